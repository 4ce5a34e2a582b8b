# Remote state for the other parts: one versioned, KMS-encrypted bucket with
# public access blocked and a TLS-only policy, and a DynamoDB lock table.
# This part keeps its own state locally (terraform.tfstate in this folder);
# keep that file, or migrate it into the bucket afterwards (README.md).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id  = data.aws_caller_identity.current.account_id
  bucket_name = coalesce(var.state_bucket_name, "${var.name_prefix}-tfstate-${local.account_id}-${var.region}")
  table_name  = "${var.name_prefix}-tflock"
}

resource "aws_kms_key" "state" {
  description             = "${var.name_prefix}: encrypts the Terraform state bucket and lock table"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.state_key.json
}

resource "aws_kms_alias" "state" {
  name          = "alias/${var.name_prefix}-tfstate"
  target_key_id = aws_kms_key.state.key_id
}

# Account-root administration only: IAM policies of the account then decide
# who may use the key, as for any other KMS key of the account.
data "aws_iam_policy_document" "state_key" {
  #checkov:skip=CKV_AWS_109:A key policy's "*" resource is the key itself; administration stays with the account, whose IAM policies decide who uses the key.
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource is the key itself, not every resource of the account.
  #checkov:skip=CKV_AWS_356:A key policy's "*" resource is the key itself, not every resource of the account.
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root"]
    }
  }
}

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_18:Server access logs would need a second bucket that itself needs this one's controls; state reads and writes are audited through CloudTrail data events instead.
  #checkov:skip=CKV_AWS_144:State is small and rebuilt from code plus `terraform import`; cross-region replication is left to organisations that require it.
  #checkov:skip=CKV2_AWS_62:Nothing consumes state-bucket events.
  bucket = local.bucket_name

  # State is the only record of what was created; destroying it by accident
  # orphans a whole environment.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-superseded-state"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_state_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}

data "aws_iam_policy_document" "state_bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.state.arn,
      "${aws_s3_bucket.state.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.state]
}

resource "aws_dynamodb_table" "lock" {
  name         = local.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "LockID"

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.state.arn
  }

  deletion_protection_enabled = true
}
