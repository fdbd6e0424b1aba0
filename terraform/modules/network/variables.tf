variable "name" {
  type        = string
  description = "Name prefix of every resource (<project>-<environment>)."
}

variable "vpc_cidr" {
  type        = string
  description = "IPv4 CIDR of the VPC (/16 to /18)."

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 18, false)
    error_message = "vpc_cidr must be an IPv4 CIDR from /16 to /18."
  }
}

variable "availability_zones" {
  type        = list(string)
  description = "The three AZs to create subnets in."

  validation {
    condition     = length(distinct(var.availability_zones)) == 3
    error_message = "availability_zones must hold exactly three distinct zones."
  }
}

variable "nat_gateway_mode" {
  type        = string
  description = "\"one_per_az\" or \"single\" NAT gateway for the private subnets."

  validation {
    condition     = contains(["one_per_az", "single"], var.nat_gateway_mode)
    error_message = "nat_gateway_mode must be \"one_per_az\" or \"single\"."
  }
}

variable "flow_logs_enabled" {
  type        = bool
  description = "Record VPC flow logs in CloudWatch Logs."
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the flow log group, in days."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key encrypting the flow log group."
}

variable "app_port" {
  type        = number
  description = "Port of the app on the app hosts (ALB to app rule)."
}

variable "alb_ingress_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs allowed to reach the ALB on 443 and 80."
}

variable "bastion_enabled" {
  type        = bool
  description = "Create the bastion security group and its SSH rules."
}

variable "bastion_ingress_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs allowed to SSH to the bastion."
}

variable "ssh_allowed_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs allowed to SSH straight to the app hosts."
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource."
}
