terraform {
  # 1.11: write-only arguments and the S3 backend's native lock file are GA;
  # cross-variable validation (used in variables.tf) needs 1.9 or later.
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}
