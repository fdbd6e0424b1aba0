# The bucket Ansible's aws_ssm connection plugin stages module files in (palin.yml
# `connection: {mode: ssm, ssm_bucket: <output ssm_bucket_name>}`). The controller
# signs pre-signed URLs; the hosts only fetch and upload through them, so the
# instance role needs no S3 permission (the operator needs s3:GetObject, PutObject,
# DeleteObject, ListBucket and GetBucketLocation on it). Unversioned, and every
# object expires after a day, so no module argument outlives the run for long.

module "ssm_bucket" {
  #checkov:skip=CKV_AWS_145:Holds transient Ansible module payloads for minutes; SSE-S3 keeps pre-signed-URL transfers free of KMS grants for every operator.
  #checkov:skip=CKV_AWS_144:Transient transfer files (expired after a day) need no cross-region replica.
  #checkov:skip=CKV_AWS_18:Only Ansible's own transient uploads land here (deleted after each task); server access logs would record nothing but them. Use CloudTrail S3 data events if an audit trail is required.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events of transfer files.
  #checkov:skip=CKV_AWS_21:Versioning stays off on purpose: the aws_ssm connection deletes each transfer file after use, and versions would keep module arguments (possibly secrets) in the bucket; its documentation asks for an unversioned bucket.
  source = "../hardened_bucket"
  count  = var.ssm_enabled ? 1 : 0

  name               = "${var.name}-ssm"
  force_destroy      = true
  versioning_enabled = false
  expiration_rule_id = "expire-transfers"
  expiration_days    = 1
  service_writers    = []
  tags               = var.tags
}

# The bucket's resources were declared here (as aws_s3_bucket.ssm etc.) before
# the hardened_bucket module existed: existing states move, nothing is replaced.
moved {
  from = aws_s3_bucket.ssm[0]
  to   = module.ssm_bucket[0].aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_public_access_block.ssm[0]
  to   = module.ssm_bucket[0].aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_ownership_controls.ssm[0]
  to   = module.ssm_bucket[0].aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.ssm[0]
  to   = module.ssm_bucket[0].aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.ssm[0]
  to   = module.ssm_bucket[0].aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.ssm[0]
  to   = module.ssm_bucket[0].aws_s3_bucket_policy.this
}
