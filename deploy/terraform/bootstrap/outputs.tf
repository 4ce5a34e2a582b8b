output "state_bucket" {
  description = "Name of the remote-state bucket; the `bucket` of every other part's backend.hcl."
  value       = aws_s3_bucket.state.id
}

output "lock_table" {
  description = "Name of the DynamoDB lock table; the `dynamodb_table` of every other part's backend.hcl."
  value       = aws_dynamodb_table.lock.name
}

output "state_kms_key_arn" {
  description = "ARN of the KMS key that encrypts state; the `kms_key_id` of every other part's backend.hcl."
  value       = aws_kms_key.state.arn
}

output "backend_hcl" {
  description = "Backend settings shared by the other parts: write them to deploy/terraform/backend.hcl (each part adds its own key)."
  value       = <<-EOT
    bucket         = "${aws_s3_bucket.state.id}"
    region         = "${var.region}"
    dynamodb_table = "${aws_dynamodb_table.lock.name}"
    encrypt        = true
    kms_key_id     = "${aws_kms_key.state.arn}"
  EOT
}
