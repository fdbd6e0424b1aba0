# ALB access logs: into access_logs_bucket if given, else into a private bucket
# created here. ALB log delivery supports SSE-S3 only (not SSE-KMS).

locals {
  create_bucket      = var.access_logs_enabled && var.access_logs_bucket == null
  access_logs_bucket = local.create_bucket ? module.access_logs_bucket[0].id : var.access_logs_bucket
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

module "access_logs_bucket" {
  #checkov:skip=CKV_AWS_145:ALB access log delivery only supports SSE-S3 (AES256) buckets, not SSE-KMS.
  #checkov:skip=CKV_AWS_144:Access logs are operational data kept for access_logs_retention_days; cross-region replication would double their cost for no recovery need.
  #checkov:skip=CKV_AWS_18:This bucket is itself a log sink; logging its access to another bucket would only move the question one bucket further.
  #checkov:skip=CKV2_AWS_62:Nothing consumes new-log events; event notifications would have no subscriber.
  source = "../hardened_bucket"
  count  = local.create_bucket ? 1 : 0

  name               = "${var.name}-alb-logs"
  force_destroy      = false
  versioning_enabled = true
  expiration_rule_id = "expire-access-logs"
  expiration_days    = var.access_logs_retention_days
  tags               = var.tags

  service_writers = [{
    sid      = "AlbLogDelivery"
    service  = "logdelivery.elasticloadbalancing.amazonaws.com"
    key_glob = "${var.name}/AWSLogs/${data.aws_caller_identity.current.account_id}/*"
  }]
}

# The bucket's resources were declared here (as aws_s3_bucket.access_logs etc.)
# before the hardened_bucket module existed: existing states move, nothing is
# replaced.
moved {
  from = aws_s3_bucket.access_logs[0]
  to   = module.access_logs_bucket[0].aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_public_access_block.access_logs[0]
  to   = module.access_logs_bucket[0].aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_ownership_controls.access_logs[0]
  to   = module.access_logs_bucket[0].aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.access_logs[0]
  to   = module.access_logs_bucket[0].aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_versioning.access_logs[0]
  to   = module.access_logs_bucket[0].aws_s3_bucket_versioning.this[0]
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.access_logs[0]
  to   = module.access_logs_bucket[0].aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.access_logs[0]
  to   = module.access_logs_bucket[0].aws_s3_bucket_policy.this
}
