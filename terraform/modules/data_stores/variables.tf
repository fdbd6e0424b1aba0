variable "name" {
  type        = string
  description = "Name prefix of every resource (<project>-<environment>)."
}

variable "data_subnet_ids" {
  type        = list(string)
  description = "Isolated subnets of the database and the cache (one per AZ)."

  validation {
    condition     = length(var.data_subnet_ids) >= 2
    error_message = "data_subnet_ids must hold at least two subnets in different AZs (RDS and ElastiCache subnet groups need them)."
  }
}

variable "db_security_group_id" {
  type        = string
  description = "Security group of the Postgres instance."
}

variable "cache_security_group_id" {
  type        = string
  description = "Security group of the Redis replication group."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for storage, Performance Insights, the master user secret, log groups and Redis at rest."
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the Postgres and Redis log groups, in days."
}

variable "db_engine_version" {
  type        = string
  description = "PostgreSQL major or major.minor version."

  validation {
    condition     = can(regex("^1[3-9](\\.[0-9]+)?$", var.db_engine_version))
    error_message = "db_engine_version must be a PostgreSQL major (13-19) or major.minor version."
  }
}

variable "db_instance_class" {
  type        = string
  description = "RDS instance class."
}

variable "db_allocated_storage_gb" {
  type        = number
  description = "Initial storage, in GiB."
}

variable "db_max_allocated_storage_gb" {
  type        = number
  description = "Storage autoscaling ceiling, in GiB (0: off)."
}

variable "db_name" {
  type        = string
  description = "Name of the app database RDS creates."
}

variable "db_username" {
  type        = string
  description = "Master user name."
}

variable "db_manage_master_password" {
  type        = bool
  description = "true: RDS manages the master password in Secrets Manager; false: Terraform generates it."
}

variable "db_multi_az" {
  type        = bool
  description = "Synchronous standby in another AZ."
}

variable "db_deletion_protection" {
  type        = bool
  description = "Protect the database from deletion."
}

variable "db_backup_retention_days" {
  type        = number
  description = "Days of automated backups."
}

variable "db_skip_final_snapshot" {
  type        = bool
  description = "Skip the final snapshot on destroy."
}

variable "redis_engine_version" {
  type        = string
  description = "Redis OSS major.minor version."
}

variable "redis_node_type" {
  type        = string
  description = "ElastiCache node type."
}

variable "redis_num_cache_clusters" {
  type        = number
  description = "Nodes in the replication group (2 or more: failover and Multi-AZ)."

  validation {
    condition     = var.redis_num_cache_clusters >= 1 && var.redis_num_cache_clusters <= 6
    error_message = "redis_num_cache_clusters must be from 1 to 6."
  }
}

variable "redis_snapshot_retention_days" {
  type        = number
  description = "Days of automatic Redis snapshots (0: off)."
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource."
}
