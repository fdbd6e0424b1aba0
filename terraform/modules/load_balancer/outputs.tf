output "lb_arn" {
  description = "ARN of the ALB."
  value       = aws_lb.this.arn
}

output "lb_name" {
  description = "Name of the ALB (the key of palin_lb in the inventory)."
  value       = aws_lb.this.name
}

output "lb_dns_name" {
  description = "DNS name of the ALB."
  value       = aws_lb.this.dns_name
}

output "lb_zone_id" {
  description = "Route 53 zone id of the ALB (for alias records)."
  value       = aws_lb.this.zone_id
}

output "target_group_arn" {
  description = "ARN of the app target group."
  value       = aws_lb_target_group.app.arn
}

output "target_group_name" {
  description = "Name of the app target group."
  value       = aws_lb_target_group.app.name
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener."
  value       = aws_lb_listener.https.arn
}

output "certificate_arn" {
  description = "ARN of the certificate the HTTPS listener serves."
  value       = local.certificate_arn
}

output "access_logs_bucket" {
  description = "Bucket receiving the access logs, null when they are off."
  value       = var.access_logs_enabled ? local.access_logs_bucket : null
}
