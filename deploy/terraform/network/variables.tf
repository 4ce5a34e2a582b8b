variable "region" {
  description = "AWS region of the VPC, the VPN and the archive bucket (the cluster's region)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as the one printed by `aws configure get region`."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "edgestream"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC. Must not overlap the on-premises node and pod CIDRs or the Kubernetes service CIDR."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be an IPv4 CIDR of /20 or larger (the subnets are carved out of it)."
  }
}

variable "az_count" {
  description = "Number of availability zones to spread the subnets over; EKS needs at least 2."
  type        = number
  default     = 3

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 4
    error_message = "az_count must be 2, 3 or 4."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper) instead of one per zone (survives the loss of a zone)."
  type        = bool
  default     = false
}

variable "remote_node_cidrs" {
  description = "On-premises CIDRs of the hybrid nodes (the Proxmox VMs' network). RFC 1918 only, as EKS hybrid nodes require."
  type        = list(string)

  validation {
    condition     = length(var.remote_node_cidrs) > 0 && alltrue([for c in var.remote_node_cidrs : can(cidrnetmask(c))])
    error_message = "remote_node_cidrs must hold at least one IPv4 CIDR."
  }

  validation {
    condition = alltrue([for c in var.remote_node_cidrs : (
      cidrsubnet(c, 0, 0) == c && (
        cidrsubnet("${split("/", c)[0]}/8", 0, 0) == "10.0.0.0/8" ||
        (tonumber(split("/", c)[1]) >= 12 && cidrsubnet("${split("/", c)[0]}/12", 0, 0) == "172.16.0.0/12") ||
        (tonumber(split("/", c)[1]) >= 16 && cidrsubnet("${split("/", c)[0]}/16", 0, 0) == "192.168.0.0/16")
      )
    )])
    error_message = "Each remote node CIDR must be a network address inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16."
  }
}

variable "remote_pod_cidrs" {
  description = "On-premises CIDRs of the pods on hybrid nodes (Calico's IP pool). RFC 1918 only; routed over the VPN so the control plane reaches webhooks and the ALB reaches pods."
  type        = list(string)

  validation {
    condition     = length(var.remote_pod_cidrs) > 0 && alltrue([for c in var.remote_pod_cidrs : can(cidrnetmask(c))])
    error_message = "remote_pod_cidrs must hold at least one IPv4 CIDR."
  }

  validation {
    condition = alltrue([for c in var.remote_pod_cidrs : (
      cidrsubnet(c, 0, 0) == c && (
        cidrsubnet("${split("/", c)[0]}/8", 0, 0) == "10.0.0.0/8" ||
        (tonumber(split("/", c)[1]) >= 12 && cidrsubnet("${split("/", c)[0]}/12", 0, 0) == "172.16.0.0/12") ||
        (tonumber(split("/", c)[1]) >= 16 && cidrsubnet("${split("/", c)[0]}/16", 0, 0) == "192.168.0.0/16")
      )
    )])
    error_message = "Each remote pod CIDR must be a network address inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16."
  }
}

variable "router_public_ip" {
  description = "Static public IPv4 address of the on-premises site router (the IPsec peer; the customer gateway)."
  type        = string

  validation {
    condition = can(regex("^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$", var.router_public_ip)) && !(
      startswith(var.router_public_ip, "10.") || startswith(var.router_public_ip, "192.168.") ||
      can(regex("^172\\.(1[6-9]|2[0-9]|3[01])\\.", var.router_public_ip))
    )
    error_message = "router_public_ip must be a public IPv4 address (the router's WAN address, not an RFC 1918 one)."
  }
}

variable "router_bgp_asn" {
  description = "ASN of the site router. The VPN uses static routes, but AWS requires an ASN on every customer gateway; keep the default unless the router already speaks BGP."
  type        = number
  default     = 65000

  validation {
    condition     = (var.router_bgp_asn >= 64512 && var.router_bgp_asn <= 65534) || (var.router_bgp_asn >= 4200000000 && var.router_bgp_asn <= 4294967294)
    error_message = "router_bgp_asn must be a private ASN (64512-65534 or 4200000000-4294967294)."
  }
}

variable "amazon_side_asn" {
  description = "ASN of the virtual private gateway."
  type        = number
  default     = 64512

  validation {
    condition     = (var.amazon_side_asn >= 64512 && var.amazon_side_asn <= 65534) || (var.amazon_side_asn >= 4200000000 && var.amazon_side_asn <= 4294967294)
    error_message = "amazon_side_asn must be a private ASN (64512-65534 or 4200000000-4294967294)."
  }
}

variable "webhook_ports" {
  description = "TCP ports of admission and API-aggregation webhooks that run in pods on hybrid nodes; the control plane must reach them on the pod CIDRs. Defaults: KEDA admission (9443) and metrics API (6443), prometheus-operator admission (10250), Longhorn conversion and admission (9501, 9502), Calico API server (5443)."
  type        = list(number)
  default     = [5443, 6443, 9443, 9501, 9502, 10250]

  validation {
    condition     = alltrue([for p in var.webhook_ports : p >= 1 && p <= 65535 && floor(p) == p])
    error_message = "webhook_ports must be TCP port numbers (1-65535)."
  }
}

variable "archive_bucket_name" {
  description = "Name of the archive bucket that receives the Parquet files. Null derives a globally unique name from name_prefix, the account ID and the region."
  type        = string
  default     = null

  validation {
    condition     = var.archive_bucket_name == null || can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.archive_bucket_name))
    error_message = "archive_bucket_name must be 3-63 lower-case letters, digits and hyphens (no dots: the endpoint's TLS certificate covers one label)."
  }
}

variable "archive_transition_days" {
  description = "Days after which archived objects move to S3 Standard-IA, and then to Glacier Instant Retrieval."
  type = object({
    standard_ia = number
    glacier_ir  = number
    noncurrent  = number
  })
  default = {
    standard_ia = 30
    glacier_ir  = 90
    noncurrent  = 30
  }

  validation {
    condition     = var.archive_transition_days.standard_ia >= 30 && var.archive_transition_days.glacier_ir >= var.archive_transition_days.standard_ia + 30 && var.archive_transition_days.noncurrent >= 1
    error_message = "S3 requires at least 30 days before Standard-IA and 30 more days before the next transition; noncurrent must be at least 1."
  }
}

variable "require_endpoint_for_writes" {
  description = "Deny object writes to the archive bucket that do not come through the S3 interface endpoint, so the data path stays on the VPN."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the VPC flow logs and the VPN tunnel logs in CloudWatch Logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the retention periods CloudWatch Logs accepts."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
