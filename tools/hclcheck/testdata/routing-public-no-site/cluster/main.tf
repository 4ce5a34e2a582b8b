# Known-bad cluster part: a public-only endpoint that admits the operators
# but not the site router's address, from which the hybrid nodes come.
data "terraform_remote_state" "network" {
  backend = "s3"
}

locals {
  remote = concat(data.terraform_remote_state.network.outputs.remote_node_cidrs, data.terraform_remote_state.network.outputs.remote_pod_cidrs)
}

module "eks" {
  source = "./eks"

  endpoint_private_access      = false
  endpoint_public_access       = true
  endpoint_public_access_cidrs = ["198.51.100.0/24"]

  remote_network_config = {
    remote_node_networks = { cidrs = data.terraform_remote_state.network.outputs.remote_node_cidrs }
    remote_pod_networks  = { cidrs = data.terraform_remote_state.network.outputs.remote_pod_cidrs }
  }
}

resource "aws_vpc_security_group_ingress_rule" "remote" {
  for_each = toset(local.remote)

  security_group_id = module.eks.cluster_primary_security_group_id
  ip_protocol       = "-1"
  cidr_ipv4         = each.value
}
