variable "name" {
  type        = string
  description = "Name prefix of the IAM policy (<project>-<environment>)."
}

variable "repository_name" {
  type        = string
  description = "Name of the ECR repository."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key encrypting the repository."
}

variable "keep_images" {
  type        = number
  description = "Images the lifecycle policy keeps."

  validation {
    condition     = var.keep_images >= 1
    error_message = "keep_images must be at least 1."
  }
}

variable "untagged_expiry_days" {
  type        = number
  description = "Days after which untagged images expire."

  validation {
    condition     = var.untagged_expiry_days >= 1
    error_message = "untagged_expiry_days must be at least 1."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource."
}
