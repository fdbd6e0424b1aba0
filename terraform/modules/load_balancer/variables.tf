variable "name" {
  type        = string
  description = "Name of the ALB and prefix of its other resources (<project>-<environment>, at most 26 characters)."

  validation {
    condition     = length(var.name) <= 26
    error_message = "name must be at most 26 characters (ALB and target group names are limited to 32)."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC of the target group."
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Public subnets the ALB spans (one per AZ)."
}

variable "security_group_id" {
  type        = string
  description = "Security group of the ALB."
}

variable "app_port" {
  type        = number
  description = "Port the target group forwards to on the app hosts."
}

variable "health_check_path" {
  type        = string
  description = "Path of the app's health endpoint."
}

variable "health_check" {
  type = object({
    interval_seconds    = number
    timeout_seconds     = number
    healthy_threshold   = number
    unhealthy_threshold = number
    matcher             = string
  })
  description = "Target group health check timing and expected status codes."
}

variable "deploy_paths" {
  type        = list(string)
  description = "The app's deploy endpoints, answered by the ALB with a fixed 404 (with everything below them)."
}

variable "deregistration_delay_seconds" {
  type        = number
  description = "Connection draining time of a deregistering target, in seconds."
}

variable "domain_name" {
  type        = string
  description = "DNS name of the app (ACM certificate and alias record), or null."
}

variable "route53_zone_id" {
  type        = string
  description = "Hosted zone for the certificate validation and alias records, or null."
}

variable "certificate_arn" {
  type        = string
  description = "Existing ACM certificate for the HTTPS listener; null requests one for domain_name."

  validation {
    condition     = var.certificate_arn != null || (var.domain_name != null && var.route53_zone_id != null)
    error_message = "Set certificate_arn, or domain_name and route53_zone_id."
  }
}

variable "ssl_policy" {
  type        = string
  description = "TLS security policy of the HTTPS listener."
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the ALB from deletion."
}

variable "access_logs_enabled" {
  type        = bool
  description = "Write access logs to S3."
}

variable "access_logs_bucket" {
  type        = string
  description = "Existing bucket for the access logs; null creates one."
}

variable "access_logs_retention_days" {
  type        = number
  description = "Days the created access log bucket keeps objects."
}

variable "waf_web_acl_arn" {
  type        = string
  description = "Regional WAFv2 web ACL to associate with the ALB, or null."
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource."
}
