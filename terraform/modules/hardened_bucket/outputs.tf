output "id" {
  description = "Name of the bucket, available once its policy is in place."
  value       = aws_s3_bucket.this.id

  # The ALB checks, when its access logs are turned on, that it may write to
  # the bucket: whoever uses the name waits for the policy.
  depends_on = [aws_s3_bucket_policy.this]
}
