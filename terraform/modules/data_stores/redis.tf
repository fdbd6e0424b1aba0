# ElastiCache for Redis OSS as a replication group (cluster mode disabled): one
# primary endpoint for writes, one reader endpoint, TLS and AUTH required.

locals {
  redis_id = "${var.name}-redis"

  # default.redis7 for 7.x; Redis 6 parameter groups are named default.redis6.x.
  redis_parameter_group = startswith(var.redis_engine_version, "6.") ? "default.redis6.x" : "default.redis${split(".", var.redis_engine_version)[0]}"
}

resource "aws_elasticache_subnet_group" "redis" {
  name        = local.redis_id
  description = "Data subnets of ${var.name}"
  subnet_ids  = var.data_subnet_ids

  tags = merge(var.tags, { Name = local.redis_id })
}

# ElastiCache AUTH tokens: 16-128 printable characters without @, " or /.
resource "random_password" "redis_auth" {
  length  = 64
  special = false
}

resource "aws_cloudwatch_log_group" "redis_slow_log" {
  name              = "/aws/elasticache/${local.redis_id}/slow-log"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = merge(var.tags, { Name = "${local.redis_id}-slow-log" })
}

resource "aws_elasticache_replication_group" "redis" {
  #checkov:skip=CKV2_AWS_50:Automatic failover and Multi-AZ are on whenever redis_num_cache_clusters >= 2 (the default); checkov cannot evaluate the expression. A single-node group has nothing to fail over to.
  replication_group_id = local.redis_id
  description          = "Redis of ${var.name}"
  engine               = "redis"
  engine_version       = var.redis_engine_version
  node_type            = var.redis_node_type
  num_cache_clusters   = var.redis_num_cache_clusters
  port                 = 6379
  parameter_group_name = local.redis_parameter_group
  subnet_group_name    = aws_elasticache_subnet_group.redis.name
  security_group_ids   = [var.cache_security_group_id]

  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  auth_token                 = random_password.redis_auth.result
  auth_token_update_strategy = "ROTATE"

  automatic_failover_enabled = var.redis_num_cache_clusters > 1
  multi_az_enabled           = var.redis_num_cache_clusters > 1
  snapshot_retention_limit   = var.redis_snapshot_retention_days
  snapshot_window            = "01:00-02:00"
  maintenance_window         = "sun:05:00-sun:06:00"
  final_snapshot_identifier  = "${local.redis_id}-final"
  auto_minor_version_upgrade = true
  apply_immediately          = false

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.redis_slow_log.name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "slow-log"
  }

  tags = merge(var.tags, { Name = local.redis_id })
}
