output "repository_url" {
  description = "URL of the repository (<account>.dkr.ecr.<region>.amazonaws.com/<name>)."
  value       = aws_ecr_repository.this.repository_url
}

output "repository_arn" {
  description = "ARN of the repository."
  value       = aws_ecr_repository.this.arn
}

output "registry_id" {
  description = "Account id of the registry."
  value       = aws_ecr_repository.this.registry_id
}

output "pull_policy_arn" {
  description = "IAM policy that allows pulling from the repository."
  value       = aws_iam_policy.pull.arn
}
