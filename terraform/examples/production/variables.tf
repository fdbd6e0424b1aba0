variable "aws_region" {
  type        = string
  description = "AWS region of the stack."
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as eu-west-1."
  }
}

variable "project" {
  type        = string
  description = "Project name (tag Project, resource name prefix)."
  default     = "palin"
}

variable "environment" {
  type        = string
  description = "Environment name (tag Env, resource name part), e.g. prod."
}

variable "domain_name" {
  type        = string
  description = "DNS name of the app; with route53_zone_id an ACM certificate is requested and validated, and an alias record created."
  default     = null
}

variable "route53_zone_id" {
  type        = string
  description = "Route 53 hosted zone of domain_name."
  default     = null
}

variable "certificate_arn" {
  type        = string
  description = "Existing ACM certificate for the HTTPS listener instead of requesting one."
  default     = null
}

variable "ssh_public_keys" {
  type        = list(string)
  description = "OpenSSH public keys of the operators (default user of the hosts)."
  default     = []
}

variable "bastion_enabled" {
  type        = bool
  description = "Create the bastion (Role=bastion) with an Elastic IP."
  default     = true
}

variable "bastion_ingress_cidrs" {
  type        = list(string)
  description = "Networks allowed to SSH to the bastion."
  default     = []
}

variable "ssm_enabled" {
  type        = bool
  description = "SSM Session Manager access to the hosts (and the transfer bucket for Ansible's aws_ssm connection)."
  default     = true
}

variable "nat_gateway_mode" {
  type        = string
  description = "\"one_per_az\" or \"single\"."
  default     = "one_per_az"
}

variable "app_instance_count" {
  type        = number
  description = "Number of app hosts."
  default     = 3
}

variable "app_instance_type" {
  type        = string
  description = "Instance type of the app hosts."
  default     = "t3.small"
}

variable "alb_deletion_protection" {
  type        = bool
  description = "Protect the ALB from deletion."
  default     = true
}

variable "alb_access_logs_enabled" {
  type        = bool
  description = "Write ALB access logs to a bucket the stack creates."
  default     = true
}

variable "db_manage_master_password" {
  type        = bool
  description = "Let RDS keep the master password in Secrets Manager (true) or generate it in Terraform (false)."
  default     = true
}

variable "db_multi_az" {
  type        = bool
  description = "Multi-AZ Postgres."
  default     = true
}

variable "db_deletion_protection" {
  type        = bool
  description = "Protect the database from deletion."
  default     = true
}

variable "redis_num_cache_clusters" {
  type        = number
  description = "Redis nodes (2 or more: failover and Multi-AZ)."
  default     = 2
}

variable "tags" {
  type        = map(string)
  description = "Extra tags (not Name, Role, Env or Project)."
  default     = {}
}
