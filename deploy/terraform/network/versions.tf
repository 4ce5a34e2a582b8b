terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  # Partial configuration: bucket, region, table and key come from
  # ../backend.hcl and -backend-config="key=network/terraform.tfstate".
  backend "s3" {}

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
      "edgestream/stack"          = "network"
    })
  }
}
