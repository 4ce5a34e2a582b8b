# Known-bad cluster part: "public and private" API endpoint with hybrid
# nodes, node add-ons before any node can exist, and no rule admitting the
# remote ranges to the cluster security group.
data "terraform_remote_state" "network" {
  backend = "s3"
}

module "eks" {
  source = "./eks"

  endpoint_private_access      = true
  endpoint_public_access       = true
  endpoint_public_access_cidrs = ["198.51.100.0/24"]

  addons = {
    coredns    = {}
    kube-proxy = {}
  }

  remote_network_config = {
    remote_node_networks = { cidrs = data.terraform_remote_state.network.outputs.remote_node_cidrs }
    remote_pod_networks  = { cidrs = data.terraform_remote_state.network.outputs.remote_pod_cidrs }
  }
}

# Admits the nodes, but on the module's additional group (not the one the
# cloud nodes carry) and only on 443: neither counts.
resource "aws_vpc_security_group_ingress_rule" "wrong_group" {
  security_group_id = module.eks.cluster_security_group_id
  ip_protocol       = "-1"
  cidr_ipv4         = "192.168.10.0/24"
}

resource "aws_vpc_security_group_ingress_rule" "https_only" {
  security_group_id = module.eks.cluster_primary_security_group_id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "192.168.64.0/18"
}
