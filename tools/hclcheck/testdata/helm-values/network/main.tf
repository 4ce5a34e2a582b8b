# A network part whose subnet IDs are known only after apply.
variable "remote_pod_cidrs" {
  description = "Pods on premises."
  type        = list(string)
  default     = ["192.168.64.0/18"]
}

module "vpc" {
  source = "./vpc"
}

output "public_subnet_ids" {
  description = "Known after apply."
  value       = module.vpc.public_subnets
}

output "remote_pod_cidrs" {
  description = "Known at plan time."
  value       = var.remote_pod_cidrs
}
