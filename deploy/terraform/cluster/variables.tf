variable "region" {
  description = "AWS region of the cluster (the region of the network part)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as the one printed by `aws configure get region`."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name; also the cluster name."
  type        = string
  default     = "edgestream"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "state_bucket" {
  description = "Remote-state bucket (output state_bucket of the bootstrap part), to read the network part's outputs."
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

variable "kubernetes_version" {
  description = "Kubernetes minor version of the cluster and of the hybrid nodes (nodeadm installs the same)."
  type        = string
  default     = "1.34"

  validation {
    condition     = can(regex("^1\\.(3[1-9]|[4-9][0-9])$", var.kubernetes_version))
    error_message = "kubernetes_version must be a minor version such as 1.34 (1.31 or later, as EKS Auto Mode and hybrid nodes need)."
  }
}

variable "service_ipv4_cidr" {
  description = "Kubernetes service CIDR. Must not overlap the VPC or the on-premises node and pod CIDRs."
  type        = string
  default     = "172.20.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.service_ipv4_cidr)) && tonumber(split("/", var.service_ipv4_cidr)[1]) >= 12 && tonumber(split("/", var.service_ipv4_cidr)[1]) <= 24
    error_message = "service_ipv4_cidr must be an IPv4 CIDR between /12 and /24, as EKS requires."
  }
}

variable "endpoint_access" {
  description = "Which Kubernetes API endpoint the cluster has: \"public\" (the default: hybrid nodes reach it from the site router's public address, which is admitted automatically) or \"private\" (the endpoint name resolves to the control plane's private addresses, reachable through the VPN only, also for kubectl). \"Public and private\" is not offered: hybrid nodes do not work with it."
  type        = string
  default     = "public"

  validation {
    condition     = contains(["public", "private"], var.endpoint_access)
    error_message = "endpoint_access must be \"public\" or \"private\"."
  }
}

variable "endpoint_public_access_cidrs" {
  description = "CIDRs of operators and CI allowed to reach the public Kubernetes API endpoint; the site router's address and the NAT gateways' addresses are added to them. Ignored with endpoint_access = \"private\"."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.endpoint_public_access_cidrs : can(cidrnetmask(c)) && c != "0.0.0.0/0"])
    error_message = "endpoint_public_access_cidrs must be IPv4 CIDRs, and not 0.0.0.0/0."
  }
}

variable "admin_principal_arns" {
  description = "IAM role or user ARNs that get cluster-admin through EKS access entries (for example an SSO administrator role)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.admin_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/", a))])
    error_message = "admin_principal_arns must be IAM role or user ARNs."
  }
}

variable "enable_cluster_creator_admin_permissions" {
  description = "Give the identity that runs Terraform cluster-admin through an access entry (convenient for a first install; prefer admin_principal_arns)."
  type        = bool
  default     = true
}

variable "hybrid_node_count" {
  description = "Number of hybrid nodes that will register (the SSM activation admits this many)."
  type        = number
  default     = 3

  validation {
    condition     = var.hybrid_node_count >= 1 && var.hybrid_node_count <= 1000
    error_message = "hybrid_node_count must be between 1 and 1000."
  }
}

variable "hybrid_credential_provider" {
  description = "How hybrid nodes get AWS credentials: \"ssm\" (SSM hybrid activation, the default) or \"iam-roles-anywhere\" (X.509 certificates from your CA)."
  type        = string
  default     = "ssm"

  validation {
    condition     = contains(["ssm", "iam-roles-anywhere"], var.hybrid_credential_provider)
    error_message = "hybrid_credential_provider must be \"ssm\" or \"iam-roles-anywhere\"."
  }
}

variable "ssm_activation_ttl_hours" {
  description = "Hours the SSM hybrid activation stays valid for new registrations (registered nodes keep working after it expires). At most 720, the SSM limit."
  type        = number
  default     = 72

  validation {
    condition     = var.ssm_activation_ttl_hours >= 1 && var.ssm_activation_ttl_hours <= 720
    error_message = "ssm_activation_ttl_hours must be between 1 and 720."
  }
}

variable "iam_roles_anywhere_ca_certificate_pem" {
  description = "PEM of the CA certificate that signs the hybrid nodes' certificates; required when hybrid_credential_provider is \"iam-roles-anywhere\"."
  type        = string
  default     = null

  validation {
    condition     = var.iam_roles_anywhere_ca_certificate_pem == null || can(regex("-----BEGIN CERTIFICATE-----", var.iam_roles_anywhere_ca_certificate_pem))
    error_message = "iam_roles_anywhere_ca_certificate_pem must be a PEM certificate."
  }
}

variable "archiver_namespace" {
  description = "Namespace of the edgestream Helm release; the archiver's IAM role is bound to its service account there. The Kafka cluster's namespace (kafka): the release's KafkaUsers and the cluster CA Secret its pods mount live there."
  type        = string
  default     = "kafka"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.archiver_namespace))
    error_message = "archiver_namespace must be a Kubernetes namespace name."
  }
}

variable "archiver_service_account" {
  description = "Service account of the archiver pods (the chart's default is edgestream-archiver)."
  type        = string
  default     = "edgestream-archiver"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", var.archiver_service_account))
    error_message = "archiver_service_account must be a Kubernetes service account name."
  }
}

variable "archiver_identity" {
  description = "How archiver pods get their IAM role: \"pod-identity\" (EKS Pod Identity, the default) or \"irsa\" (IAM roles for service accounts; then annotate the service account with output archiver_role_arn)."
  type        = string
  default     = "pod-identity"

  validation {
    condition     = contains(["pod-identity", "irsa"], var.archiver_identity)
    error_message = "archiver_identity must be \"pod-identity\" or \"irsa\"."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
