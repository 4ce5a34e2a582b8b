variable "region" {
  description = "AWS region that holds the Terraform state bucket and lock table (use the region of the cluster)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as the one printed by `aws configure get region`."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name; also the prefix of the state bucket name."
  type        = string
  default     = "edgestream"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "state_bucket_name" {
  description = "Name of the state bucket. Null derives a globally unique name from name_prefix, the account ID and the region."
  type        = string
  default     = null

  validation {
    condition     = var.state_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)."
  }
}

variable "noncurrent_state_retention_days" {
  description = "Days to keep superseded versions of state files (the undo history of every apply)."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_state_retention_days >= 7 && var.noncurrent_state_retention_days <= 3650
    error_message = "noncurrent_state_retention_days must be between 7 and 3650."
  }
}

variable "tags" {
  description = "Tags added to every resource (for example owner and cost centre)."
  type        = map(string)
  default     = {}
}
