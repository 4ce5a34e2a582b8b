terraform {
  # 1.10 brings S3-native state locking (use_lockfile); the DynamoDB table
  # below serves the older 1.6 - 1.9 releases and OpenTofu users.
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.28.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      "app.kubernetes.io/part-of" = "edgestream"
      "edgestream/stack"          = "bootstrap"
    })
  }
}
