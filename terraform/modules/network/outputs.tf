output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets (ALB, NAT gateways, bastion), one per AZ in AZ order."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets of the app hosts, one per AZ in AZ order."
  value       = aws_subnet.private[*].id
}

output "data_subnet_ids" {
  description = "Isolated subnets of Postgres and Redis, one per AZ in AZ order."
  value       = aws_subnet.data[*].id
}

output "nat_public_ips" {
  description = "Public IPs the private subnets egress from (allow-list them at third parties)."
  value       = aws_eip.nat[*].public_ip
}

output "alb_security_group_id" {
  description = "Security group of the ALB."
  value       = aws_security_group.alb.id
}

output "app_security_group_id" {
  description = "Security group of the app hosts."
  value       = aws_security_group.app.id
}

output "bastion_security_group_id" {
  description = "Security group of the bastion, null without a bastion."
  value       = var.bastion_enabled ? aws_security_group.bastion[0].id : null
}

output "db_security_group_id" {
  description = "Security group of the Postgres instance."
  value       = aws_security_group.db.id
}

output "cache_security_group_id" {
  description = "Security group of the Redis replication group."
  value       = aws_security_group.cache.id
}
