variable "untyped" {
  description = "No type."
}

variable "undescribed" {
  type = string
}

variable "api_token" {
  description = "Token with a default."
  type        = string
  default     = "abc"
}

output "nothing" {
  value = 1
}
