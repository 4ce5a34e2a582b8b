# helm_release values built from variables, locals, remote state and a file.
data "terraform_remote_state" "network" {
  backend = "s3"
}

variable "allowed_cidrs" {
  description = "Who may reach the load balancer."
  type        = list(string)
  default     = []
}

locals {
  network  = data.terraform_remote_state.network.outputs
  selector = { "eks.amazonaws.com/compute-type" = "hybrid" }
}

resource "helm_release" "local" {
  name      = "platform"
  chart     = "${path.module}/../chart"
  namespace = "kafka"

  values = [
    file("${path.module}/extra.yaml"),
    yamlencode({
      nodeSelector = local.selector
      ingress = {
        allowedCidrs = var.allowed_cidrs
        subnetIds    = local.network.public_subnet_ids
        pools        = [for cidr in local.network.remote_pod_cidrs : { cidr = cidr }]
      }
    }),
  ]
}

resource "helm_release" "remote" {
  name       = "keda"
  repository = "https://example.invalid/charts"
  chart      = "keda"
  version    = "1.2.3"

  values = [yamlencode({ replicas = length(var.allowed_cidrs) })]
}
