variable "region" {
  description = "AWS region to deploy into."
  type        = string
}

variable "db_password" {
  description = "Password, supplied at apply time."
  type        = string
  sensitive   = true
}

output "region" {
  description = "The region."
  value       = var.region
}
