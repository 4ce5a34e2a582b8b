variable "region" {
  description = "AWS region of the cluster and of the state bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as the one printed by `aws configure get region`."
  }
}

variable "state_bucket" {
  description = "Remote-state bucket (output state_bucket of the bootstrap part), to read the network and cluster parts' outputs."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be a valid S3 bucket name."
  }
}

variable "network_state_key" {
  description = "Key of the network part's state in the state bucket."
  type        = string
  default     = "network/terraform.tfstate"
}

variable "cluster_state_key" {
  description = "Key of the cluster part's state in the state bucket."
  type        = string
  default     = "cluster/terraform.tfstate"
}

variable "chart_versions" {
  description = "Pinned chart versions of the add-ons. Calico must stay on a release EKS hybrid nodes support (3.29.x); KEDA and the prometheus-operator inside kube-prometheus-stack must match the CRDs tests/deploy validates against."
  type = object({
    tigera_operator              = string
    longhorn                     = string
    strimzi                      = string
    keda                         = string
    kube_prometheus_stack        = string
    aws_load_balancer_controller = string
  })
  default = {
    tigera_operator              = "v3.29.4"
    longhorn                     = "1.9.1"
    strimzi                      = "0.48.0"
    keda                         = "2.18.3"
    kube_prometheus_stack        = "88.5.3"
    aws_load_balancer_controller = "1.14.0"
  }

  validation {
    condition     = can(regex("^v3\\.29\\.[0-9]+$", var.chart_versions.tigera_operator))
    error_message = "EKS hybrid nodes support Calico 3.29.x: chart_versions.tigera_operator must be v3.29.<patch>."
  }
}

variable "router_bgp" {
  description = "BGP peering of Calico with the site router, which makes the pod CIDR routable on premises and, through the VPN's static route, from the VPC (webhooks, ALB targets). Null disables BGP: then route the pod CIDR to the nodes by other means."
  type = object({
    peer_ip     = string
    peer_asn    = number
    cluster_asn = number
  })
  default = null

  validation {
    condition     = var.router_bgp == null || can(cidrhost("${var.router_bgp.peer_ip}/32", 0))
    error_message = "router_bgp.peer_ip must be the router's IPv4 address on the node network."
  }
}

variable "kafka" {
  description = "Kafka on the hybrid nodes: Kafka version (one the Strimzi release supports), broker volume size and the Longhorn replica count of the broker volumes (1: Kafka already keeps 3 replicas)."
  type = object({
    version         = string
    broker_storage  = string
    volume_replicas = number
  })
  default = {
    version         = "4.1.0"
    broker_storage  = "100Gi"
    volume_replicas = 1
  }

  validation {
    condition     = can(regex("^[0-9]+Gi$", var.kafka.broker_storage)) && var.kafka.volume_replicas >= 1 && var.kafka.volume_replicas <= 3
    error_message = "kafka.broker_storage must be like 100Gi and kafka.volume_replicas between 1 and 3."
  }
}

variable "longhorn_default_replicas" {
  description = "Longhorn replicas of volumes in the default longhorn class (the archiver's spool): 2 survives the loss of one of the 3 hybrid nodes."
  type        = number
  default     = 2

  validation {
    condition     = var.longhorn_default_replicas >= 1 && var.longhorn_default_replicas <= 3
    error_message = "longhorn_default_replicas must be 1, 2 or 3."
  }
}

variable "monitoring_dir" {
  description = "Folder of the monitoring work (kube-prometheus-stack values, dashboards, alert rules), relative to this part."
  type        = string
  default     = "../../monitoring"
}

variable "grafana_admin_password" {
  description = "Initial Grafana admin password; pass it as TF_VAR_grafana_admin_password. Null lets the chart generate one (read it from the Secret)."
  type        = string
  default     = null
  sensitive   = true
}

variable "smoke_app" {
  description = "The smoke app: an HTTP echo server with an Ingress on the internet-facing ALB, scheduled on the hybrid nodes so a response proves the ALB -> VPN -> pod path. allowed_cidrs limits who may reach the ALB."
  type = object({
    enabled       = bool
    image         = string
    allowed_cidrs = list(string)
  })
  default = {
    enabled       = true
    image         = "public.ecr.aws/nginx/nginx-unprivileged:1.29-alpine"
    allowed_cidrs = []
  }

  validation {
    condition     = alltrue([for c in var.smoke_app.allowed_cidrs : can(cidrnetmask(c))])
    error_message = "smoke_app.allowed_cidrs must be IPv4 CIDRs."
  }
}

variable "cloud_nodes" {
  description = "Size of the cloud workers (an EKS Auto Mode NodePool): vCPUs and memory of each node and the most nodes the pool may have."
  type = object({
    vcpus      = number
    memory_mib = number
    max_nodes  = number
  })
  default = {
    vcpus      = 2
    memory_mib = 4096
    max_nodes  = 2
  }

  validation {
    condition     = var.cloud_nodes.vcpus >= 1 && var.cloud_nodes.memory_mib >= 1024 && var.cloud_nodes.max_nodes >= 1
    error_message = "cloud_nodes needs at least 1 vCPU, 1024 MiB and 1 node."
  }
}
