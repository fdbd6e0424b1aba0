output "instance_ids" {
  description = "IDs of the app hosts, in index order."
  value       = aws_instance.web[*].id
}

output "private_ips" {
  description = "Private IPs of the app hosts, in index order."
  value       = aws_instance.web[*].private_ip
}

output "host_names" {
  description = "Name tags of the app hosts: their host names in the palin-inventory inventory."
  value       = [for i in aws_instance.web : i.tags["Name"]]
}

output "iam_role_name" {
  description = "IAM role of the app hosts."
  value       = aws_iam_role.app.name
}

output "instance_profile_name" {
  description = "Instance profile of the app hosts."
  value       = aws_iam_instance_profile.app.name
}

output "key_name" {
  description = "EC2 key pair of the hosts, null without SSH keys."
  value       = local.key_name
}

output "bastion_instance_id" {
  description = "ID of the bastion, null without one."
  value       = var.bastion_enabled ? aws_instance.bastion[0].id : null
}

output "bastion_public_ip" {
  description = "Elastic IP of the bastion, null without one."
  value       = var.bastion_enabled ? aws_eip.bastion[0].public_ip : null
}

output "ssm_bucket_name" {
  description = "Bucket for Ansible's aws_ssm file transfers, null when SSM is off."
  value       = var.ssm_enabled ? module.ssm_bucket[0].id : null
}
