# The bucket Ansible's aws_ssm connection plugin stages module files in (palin.yml
# `connection: {mode: ssm, ssm_bucket: <output ssm_bucket_name>}`). The controller
# signs pre-signed URLs; the hosts only fetch and upload through them, so the
# instance role needs no S3 permission (the operator needs s3:GetObject, PutObject,
# DeleteObject, ListBucket and GetBucketLocation on it). Unversioned, and every
# object expires after a day, so no module argument outlives the run for long.

data "aws_caller_identity" "current" {}

resource "aws_s3_bucket" "ssm" {
  #checkov:skip=CKV_AWS_145:Holds transient Ansible module payloads for minutes; SSE-S3 keeps pre-signed-URL transfers free of KMS grants for every operator.
  #checkov:skip=CKV_AWS_144:Transient transfer files (expired after a day) need no cross-region replica.
  #checkov:skip=CKV_AWS_18:Only Ansible's own transient uploads land here (deleted after each task); server access logs would record nothing but them. Use CloudTrail S3 data events if an audit trail is required.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events of transfer files.
  #checkov:skip=CKV_AWS_21:Versioning stays off on purpose: the aws_ssm connection deletes each transfer file after use, and versions would keep module arguments (possibly secrets) in the bucket; its documentation asks for an unversioned bucket.
  count = var.ssm_enabled ? 1 : 0

  bucket        = "${var.name}-ssm-${data.aws_caller_identity.current.account_id}"
  force_destroy = true

  tags = merge(var.tags, { Name = "${var.name}-ssm" })
}

resource "aws_s3_bucket_public_access_block" "ssm" {
  count = var.ssm_enabled ? 1 : 0

  bucket                  = aws_s3_bucket.ssm[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "ssm" {
  count = var.ssm_enabled ? 1 : 0

  bucket = aws_s3_bucket.ssm[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "ssm" {
  count = var.ssm_enabled ? 1 : 0

  bucket = aws_s3_bucket.ssm[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "ssm" {
  count = var.ssm_enabled ? 1 : 0

  bucket = aws_s3_bucket.ssm[0].id

  rule {
    id     = "expire-transfers"
    status = "Enabled"

    filter {}

    expiration {
      days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "ssm" {
  count = var.ssm_enabled ? 1 : 0

  bucket = aws_s3_bucket.ssm[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.ssm[0].arn, "${aws_s3_bucket.ssm[0].arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.ssm]
}
