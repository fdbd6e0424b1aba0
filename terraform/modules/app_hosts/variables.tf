variable "name" {
  type        = string
  description = "Name prefix of every resource (<project>-<environment>)."
}

variable "instance_count" {
  type        = number
  description = "Number of app hosts."

  validation {
    condition     = var.instance_count >= 1 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be a whole number of at least 1."
  }
}

variable "instance_type" {
  type        = string
  description = "Instance type of the app hosts."
}

variable "ami_id" {
  type        = string
  description = "AMI of the hosts, or null to read ami_ssm_parameter."
}

variable "ami_ssm_parameter" {
  type        = string
  description = "Public SSM parameter with the AMI id, used when ami_id is null."
}

variable "root_volume_size_gb" {
  type        = number
  description = "Root volume size of the app hosts, in GiB."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key encrypting the root volumes."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets the app hosts are spread over (round-robin)."

  validation {
    condition     = length(var.private_subnet_ids) > 0
    error_message = "private_subnet_ids must not be empty."
  }
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Public subnets; the bastion goes into the first."
}

variable "app_security_group_id" {
  type        = string
  description = "Security group of the app hosts."
}

variable "bastion_security_group_id" {
  type        = string
  description = "Security group of the bastion (null without a bastion)."
}

variable "app_port" {
  type        = number
  description = "Port the target group reaches the app on."
}

variable "target_group_arn" {
  type        = string
  description = "ALB target group the app hosts are registered in."
}

variable "ssh_public_keys" {
  type        = list(string)
  description = "OpenSSH public keys for the default user; the first becomes the EC2 key pair."
}

variable "ssm_enabled" {
  type        = bool
  description = "Attach AmazonSSMManagedInstanceCore and create the SSM transfer bucket."
}

variable "bastion_enabled" {
  type        = bool
  description = "Create the bastion and its Elastic IP."
}

variable "bastion_instance_type" {
  type        = string
  description = "Instance type of the bastion."
}

variable "app_policy_arns" {
  type        = map(string)
  description = "Extra IAM policies for the app hosts' role, by a static key (e.g. ecr_pull)."
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource (Project and Env included)."
}
