locals {
  account = "arn:aws:iam::123456789012:root"
  region  = "eu-central-1"
  allowed = "us-east-1" # hclcheck:allow CloudFront certificates live only in this region
  bare    = "us-east-1" # hclcheck:allow
}
