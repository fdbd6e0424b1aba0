# A complete, runnable deployment of the palin stack:
#
#   cp terraform.tfvars.example terraform.tfvars   # then edit it
#   terraform init
#   terraform apply
#   PALIN_CONFIG=$PWD/palin.yml ansible-inventory -i /path/to/palin-inventory --graph

provider "aws" {
  region = var.aws_region

  # Tags for every resource that the stack does not set itself. Inventory
  # groups come from the Role, Env and Project tags, which the stack sets on
  # each resource (not through default_tags).
  default_tags {
    tags = {
      ManagedBy = "terraform"
      Stack     = "palin"
    }
  }
}

module "palin" {
  source = "../.."

  project     = var.project
  environment = var.environment

  domain_name     = var.domain_name
  route53_zone_id = var.route53_zone_id
  certificate_arn = var.certificate_arn

  ssh_public_keys       = var.ssh_public_keys
  bastion_enabled       = var.bastion_enabled
  bastion_ingress_cidrs = var.bastion_ingress_cidrs
  ssm_enabled           = var.ssm_enabled

  nat_gateway_mode        = var.nat_gateway_mode
  app_instance_count      = var.app_instance_count
  app_instance_type       = var.app_instance_type
  alb_deletion_protection = var.alb_deletion_protection
  alb_access_logs_enabled = var.alb_access_logs_enabled

  db_manage_master_password = var.db_manage_master_password
  db_multi_az               = var.db_multi_az
  db_deletion_protection    = var.db_deletion_protection
  redis_num_cache_clusters  = var.redis_num_cache_clusters

  tags = var.tags
}
