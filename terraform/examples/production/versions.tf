terraform {
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

  # State: the local backend (./terraform.tfstate) until you copy
  # backend_s3.tf.example to backend_s3.tf and run `terraform init -migrate-state`.
  # palin.yml reads the local state, palin-s3.yml the S3 object.
}
