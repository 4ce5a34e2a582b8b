# Known-bad network part: the VPN's routes reach only the private route
# tables although internet-facing load balancers live in the public subnets.
variable "router_public_ip" {
  description = "Site router."
  type        = string
  default     = "203.0.113.10"
}

variable "remote_node_cidrs" {
  description = "Nodes on premises."
  type        = list(string)
  default     = ["192.168.10.0/24"]
}

variable "remote_pod_cidrs" {
  description = "Pods on premises."
  type        = list(string)
  default     = ["192.168.64.0/18"]
}

resource "aws_customer_gateway" "site" {
  bgp_asn    = 65000
  ip_address = var.router_public_ip
  type       = "ipsec.1"
}

module "vpc" {
  source = "./vpc"

  enable_vpn_gateway                 = true
  propagate_private_route_tables_vgw = true
  propagate_public_route_tables_vgw  = false

  public_subnet_tags  = { "kubernetes.io/role/elb" = "1" }
  private_subnet_tags = { "kubernetes.io/role/internal-elb" = "1" }
}

output "remote_node_cidrs" {
  description = "Nodes on premises."
  value       = var.remote_node_cidrs
}

output "remote_pod_cidrs" {
  description = "Pods on premises."
  value       = var.remote_pod_cidrs
}
