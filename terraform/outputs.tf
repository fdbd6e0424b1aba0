# Every output becomes a variable of the inventory's `all` group when
# palin-inventory reads the state of a root module that re-exports them (see
# examples/production/outputs.tf). Sensitive outputs are withheld unless
# revealed by name (PALIN_REVEAL=db_password). Outputs that are null are not
# stored in the state at all, so they are absent from the inventory.

# ---- network ------------------------------------------------------------------

output "aws_region" {
  description = "Region of the stack."
  value       = data.aws_region.current.region
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "public_subnet_ids" {
  description = "Public subnets (ALB, NAT gateways, bastion), one per AZ."
  value       = module.network.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnets of the app hosts, one per AZ."
  value       = module.network.private_subnet_ids
}

output "data_subnet_ids" {
  description = "Isolated subnets of Postgres and Redis, one per AZ."
  value       = module.network.data_subnet_ids
}

output "nat_public_ips" {
  description = "Public IPs the private subnets egress from."
  value       = module.network.nat_public_ips
}

output "kms_key_arn" {
  description = "KMS key encrypting the stack's data at rest and log groups."
  value       = local.kms_key_arn
}

# ---- load balancer and app ------------------------------------------------------

output "lb_name" {
  description = "Name of the ALB (the key of palin_lb)."
  value       = module.load_balancer.lb_name
}

output "lb_arn" {
  description = "ARN of the ALB."
  value       = module.load_balancer.lb_arn
}

output "lb_dns_name" {
  description = "DNS name of the ALB (also palin_lb_dns_name)."
  value       = module.load_balancer.lb_dns_name
}

output "lb_zone_id" {
  description = "Route 53 zone id of the ALB, for alias records."
  value       = module.load_balancer.lb_zone_id
}

output "app_url" {
  description = "Public HTTPS URL of the app: the domain name if set, else the ALB's DNS name."
  value       = "https://${var.domain_name != null ? var.domain_name : module.load_balancer.lb_dns_name}"
}

output "target_group_arn" {
  description = "ARN of the app target group: the deploy playbook takes a host out of it before replacing the container and puts it back after."
  value       = module.load_balancer.target_group_arn
}

output "target_group_name" {
  description = "Name of the app target group."
  value       = module.load_balancer.target_group_name
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener."
  value       = module.load_balancer.https_listener_arn
}

output "certificate_arn" {
  description = "ARN of the certificate the HTTPS listener serves."
  value       = module.load_balancer.certificate_arn
}

output "alb_access_logs_bucket" {
  description = "Bucket receiving the ALB access logs; absent when access logs are off."
  value       = module.load_balancer.access_logs_bucket
}

output "app_port" {
  description = "Port the app listens on on every app host."
  value       = var.app_port
}

output "app_health_check_path" {
  description = "Health endpoint the target group polls."
  value       = var.app_health_check_path
}

output "app_deploy_paths" {
  description = "The app's deploy endpoints (drain, ready): reachable on the hosts at app_port, answered 404 by the ALB."
  value       = var.app_deploy_paths
}

# ---- hosts --------------------------------------------------------------------

output "app_instance_ids" {
  description = "IDs of the app hosts."
  value       = module.app_hosts.instance_ids
}

output "app_private_ips" {
  description = "Private IPs of the app hosts."
  value       = module.app_hosts.private_ips
}

output "app_host_names" {
  description = "Name tags of the app hosts, i.e. their inventory host names."
  value       = module.app_hosts.host_names
}

output "app_security_group_id" {
  description = "Security group of the app hosts."
  value       = module.network.app_security_group_id
}

output "app_iam_role_name" {
  description = "IAM role of the app hosts (attach more policies to it for the app's own AWS needs)."
  value       = module.app_hosts.iam_role_name
}

output "app_instance_profile_name" {
  description = "Instance profile of the app hosts."
  value       = module.app_hosts.instance_profile_name
}

output "ssh_key_name" {
  description = "EC2 key pair of the hosts; absent without SSH keys."
  value       = module.app_hosts.key_name
}

output "bastion_instance_id" {
  description = "ID of the bastion; absent without a bastion."
  value       = module.app_hosts.bastion_instance_id
}

output "bastion_public_ip" {
  description = "Elastic IP of the bastion (the ProxyJump address); absent without a bastion."
  value       = module.app_hosts.bastion_public_ip
}

output "ssm_bucket_name" {
  description = "Bucket for Ansible's aws_ssm file transfers (palin.yml connection.ssm_bucket); absent when SSM is off."
  value       = module.app_hosts.ssm_bucket_name
}

# ---- data stores ----------------------------------------------------------------

output "db_identifier" {
  description = "Identifier of the RDS instance (the key of palin_rds)."
  value       = module.data_stores.db_identifier
}

output "db_arn" {
  description = "ARN of the RDS instance."
  value       = module.data_stores.db_arn
}

output "db_address" {
  description = "Host name of Postgres (also palin_postgres_host)."
  value       = module.data_stores.db_address
}

output "db_port" {
  description = "Port of Postgres (also palin_postgres_port)."
  value       = module.data_stores.db_port
}

output "db_name" {
  description = "Name of the app database (also palin_postgres_db_name)."
  value       = module.data_stores.db_name
}

output "db_username" {
  description = "Master user name of Postgres (also palin_postgres_username)."
  value       = module.data_stores.db_username
}

output "db_master_user_secret_arn" {
  description = "Secrets Manager secret with the master credentials (JSON username/password); absent when Terraform generated the password."
  value       = module.data_stores.db_master_user_secret_arn
}

output "db_password" {
  description = "Master password generated by Terraform; absent when Secrets Manager manages it. Withheld by palin-inventory unless revealed (PALIN_REVEAL=db_password)."
  value       = module.data_stores.db_password
  sensitive   = true
}

output "redis_replication_group_id" {
  description = "ID of the Redis replication group (the key of palin_redis)."
  value       = module.data_stores.redis_replication_group_id
}

output "redis_primary_endpoint" {
  description = "Primary endpoint of Redis (also palin_redis_host)."
  value       = module.data_stores.redis_primary_endpoint
}

output "redis_reader_endpoint" {
  description = "Reader endpoint of Redis (also palin_redis_reader_host)."
  value       = module.data_stores.redis_reader_endpoint
}

output "redis_port" {
  description = "Port of Redis (also palin_redis_port)."
  value       = module.data_stores.redis_port
}

output "redis_auth_token" {
  description = "AUTH token of Redis (TLS is required). Withheld by palin-inventory unless revealed (PALIN_REVEAL=redis_auth_token)."
  value       = module.data_stores.redis_auth_token
  sensitive   = true
}

# ---- registry -------------------------------------------------------------------

output "ecr_repository_url" {
  description = "URL of the app's ECR repository (push with docker push <url>:<tag>)."
  value       = module.registry.repository_url
}

output "ecr_repository_arn" {
  description = "ARN of the app's ECR repository."
  value       = module.registry.repository_arn
}

output "ecr_registry_id" {
  description = "Account id of the ECR registry (for docker login)."
  value       = module.registry.registry_id
}
