variable "region" {
  description = "AWS region of the cluster and of the state bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as the one printed by `aws configure get region`."
  }
}

variable "state_bucket" {
  description = "Remote-state bucket (output state_bucket of the bootstrap part), to read the cluster part's outputs."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be a valid S3 bucket name."
  }
}

variable "cluster_state_key" {
  description = "Key of the cluster part's state in the state bucket."
  type        = string
  default     = "cluster/terraform.tfstate"
}

variable "proxmox_endpoint" {
  description = "URL of the Proxmox VE API, for example https://pve.example.internal:8006/."
  type        = string

  validation {
    condition     = can(regex("^https://", var.proxmox_endpoint))
    error_message = "proxmox_endpoint must be an https:// URL."
  }
}

variable "proxmox_api_token" {
  description = "Proxmox API token, USER@REALM!TOKENID=SECRET. Pass it as TF_VAR_proxmox_api_token, never in a file."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^[^@]+@[^!]+![^=]+=.+$", var.proxmox_api_token))
    error_message = "proxmox_api_token must look like USER@REALM!TOKENID=SECRET."
  }
}

variable "proxmox_ssh_username" {
  description = "User the provider logs in as over SSH (with the running ssh-agent) to upload the cloud-init snippets."
  type        = string
  default     = "root"
}

variable "proxmox_node" {
  description = "Name of the Proxmox node that hosts the VMs."
  type        = string
}

variable "vm_datastore" {
  description = "Datastore for the VM disks (for example local-lvm)."
  type        = string
  default     = "local-lvm"
}

variable "image_datastore" {
  description = "Datastore that accepts ISO/image content, for the cloud image."
  type        = string
  default     = "local"
}

variable "snippets_datastore" {
  description = "Datastore with the snippets content type enabled, for the cloud-init files."
  type        = string
  default     = "local"
}

variable "cloud_image" {
  description = "Ubuntu 24.04 LTS cloud image (an OS EKS hybrid nodes support) and its SHA-256 from the release's SHA256SUMS, pinned to one dated build."
  type = object({
    url    = string
    sha256 = string
  })

  validation {
    condition     = can(regex("^https://", var.cloud_image.url)) && can(regex("^[0-9a-f]{64}$", var.cloud_image.sha256))
    error_message = "cloud_image needs an https:// url and a 64-hex-digit sha256."
  }
}

variable "bridge" {
  description = "Proxmox bridge the VMs attach to (the on-premises node network)."
  type        = string
  default     = "vmbr0"
}

variable "vlan_id" {
  description = "VLAN tag of the node network on the bridge; null for an untagged bridge."
  type        = number
  default     = null

  validation {
    condition     = var.vlan_id == null || (var.vlan_id >= 1 && var.vlan_id <= 4094)
    error_message = "vlan_id must be between 1 and 4094."
  }
}

variable "nodes" {
  description = "The hybrid worker VMs: name => static IPv4 address with prefix (inside the network part's remote_node_cidrs) and Proxmox VM ID."
  type = map(object({
    address = string
    vm_id   = number
  }))

  validation {
    condition     = length(var.nodes) == 3
    error_message = "edgestream runs Kafka with 3 brokers, one per hybrid node: define exactly 3 nodes."
  }

  validation {
    condition     = alltrue([for n in values(var.nodes) : can(cidrhost(n.address, 0)) && n.vm_id >= 100])
    error_message = "Each node needs an address like 192.168.10.21/24 and a vm_id of at least 100."
  }

  validation {
    condition     = alltrue([for name in keys(var.nodes) : can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", name))])
    error_message = "Node names must be DNS labels (they become hostnames and Kubernetes node names)."
  }
}

variable "gateway" {
  description = "Default gateway of the node network (the site router)."
  type        = string

  validation {
    condition     = can(cidrhost("${var.gateway}/32", 0))
    error_message = "gateway must be an IPv4 address."
  }
}

variable "dns_servers" {
  description = "DNS resolvers of the node network."
  type        = list(string)

  validation {
    condition     = length(var.dns_servers) > 0 && alltrue([for d in var.dns_servers : can(cidrhost("${d}/32", 0))])
    error_message = "dns_servers must hold at least one IPv4 address."
  }
}

variable "ssh_authorized_keys" {
  description = "Public SSH keys of the operators, for the ubuntu user (password login stays disabled)."
  type        = list(string)

  validation {
    condition     = length(var.ssh_authorized_keys) > 0 && alltrue([for k in var.ssh_authorized_keys : can(regex("^(ssh-ed25519|ecdsa-sha2-nistp[0-9]+|ssh-rsa) ", k))])
    error_message = "ssh_authorized_keys must hold at least one OpenSSH public key."
  }
}

variable "vm_size" {
  description = "Size of each VM: cores, memory in MiB, OS disk and Longhorn data disk in GiB. Kafka, Longhorn and the pipeline share each node."
  type = object({
    cores            = number
    memory_mib       = number
    os_disk_gb       = number
    longhorn_disk_gb = number
  })
  default = {
    cores            = 4
    memory_mib       = 16384
    os_disk_gb       = 40
    longhorn_disk_gb = 200
  }

  validation {
    condition     = var.vm_size.cores >= 2 && var.vm_size.memory_mib >= 8192 && var.vm_size.os_disk_gb >= 30 && var.vm_size.longhorn_disk_gb >= 50
    error_message = "Each VM needs at least 2 cores, 8192 MiB, a 30 GiB OS disk and a 50 GiB Longhorn disk."
  }
}

variable "nodeadm_url" {
  description = "Where the VMs download nodeadm (the hybrid nodes build, amd64)."
  type        = string
  default     = "https://hybrid-assets.eks.amazonaws.com/releases/latest/bin/linux/amd64/nodeadm"

  validation {
    condition     = can(regex("^https://", var.nodeadm_url))
    error_message = "nodeadm_url must be an https:// URL."
  }
}

variable "nodeadm_sha256" {
  description = "Expected SHA-256 of nodeadm; when set, cloud-init refuses any other binary. Pin it (with a versioned nodeadm_url) for reproducible nodes."
  type        = string
  default     = null

  validation {
    condition     = var.nodeadm_sha256 == null || can(regex("^[0-9a-f]{64}$", var.nodeadm_sha256))
    error_message = "nodeadm_sha256 must be 64 hex digits."
  }
}

variable "iam_roles_anywhere" {
  description = "With the cluster's hybrid_credential_provider = iam-roles-anywhere: the ARNs (see the cluster output iam_roles_anywhere_lookup) and where each VM finds its certificate and key (install them before nodeadm init runs, for example from your configuration management)."
  type = object({
    trust_anchor_arn = string
    profile_arn      = string
    certificate_path = optional(string, "/etc/iam/pki/server.pem")
    private_key_path = optional(string, "/etc/iam/pki/server.key")
  })
  default = null
}

variable "node_labels" {
  description = "Extra Kubernetes labels for the hybrid nodes (for example the site)."
  type        = map(string)
  default     = {}
}
