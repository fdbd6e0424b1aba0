variable "name" {
  type        = string
  description = "Name tag of the bucket; the bucket is named <name>-<account id>."
}

variable "force_destroy" {
  type        = bool
  description = "Let terraform destroy delete the bucket with the objects still in it."
}

variable "versioning_enabled" {
  type        = bool
  description = "Turn versioning on (noncurrent versions then expire after a day); false leaves the bucket unversioned."
}

variable "expiration_rule_id" {
  type        = string
  description = "Id of the lifecycle rule that expires the objects."
}

variable "expiration_days" {
  type        = number
  description = "Days after which every object expires."

  validation {
    condition     = var.expiration_days >= 1 && floor(var.expiration_days) == var.expiration_days
    error_message = "expiration_days must be a whole number of at least 1."
  }
}

variable "service_writers" {
  type = list(object({
    sid      = string
    service  = string
    key_glob = string
  }))
  description = "AWS service principals the bucket policy allows s3:PutObject for, each on the object keys matching key_glob (relative to the bucket, * allowed)."
}

variable "tags" {
  type        = map(string)
  description = "Tags for the bucket."
}
