# A private S3 bucket for the stack's own machine-written files: public access
# blocked, ACLs disabled (bucket owner enforced), SSE-S3, every object expired
# after expiration_days, TLS-only access, s3:PutObject for the service
# principals of service_writers. Optionally versioned, with noncurrent versions
# expiring after a day.
#
# Encryption is SSE-S3 on purpose: ALB access log delivery supports nothing
# else, and pre-signed URL transfers (the aws_ssm connection) need no KMS grant.
# The checks this design fails (CKV_AWS_145 KMS, CKV_AWS_144 replication,
# CKV_AWS_18 access logging, CKV2_AWS_62 event notifications, CKV_AWS_21
# versioning when off) are skipped on each module call, with that caller's reason.

data "aws_caller_identity" "current" {}

resource "aws_s3_bucket" "this" {
  bucket        = "${var.name}-${data.aws_caller_identity.current.account_id}"
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "this" {
  count = var.versioning_enabled ? 1 : 0

  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    # Always "Enabled" when the resource exists (count). Spelled as the
    # condition so that static analysis, which keeps count = 0 resources,
    # sees an unversioned bucket as such (checkov CKV_AWS_21).
    status = var.versioning_enabled ? "Enabled" : "Disabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = var.expiration_rule_id
    status = "Enabled"

    filter {}

    expiration {
      days = var.expiration_days
    }

    dynamic "noncurrent_version_expiration" {
      for_each = var.versioning_enabled ? [1] : []

      content {
        noncurrent_days = 1
      }
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [for w in var.service_writers : {
        Sid       = w.sid
        Effect    = "Allow"
        Principal = { Service = w.service }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.this.arn}/${w.key_glob}"
      }],
      [{
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      }],
    )
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}
