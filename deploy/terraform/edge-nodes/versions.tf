terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  # Partial configuration: see ../backend.hcl.example; key = "edge-nodes/terraform.tfstate".
  backend "s3" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.28.0"
    }
    # bpg/proxmox: maintained, covers cloud-init snippets, image downloads
    # and VM lifecycle through the Proxmox VE API.
    proxmox = {
      source  = "bpg/proxmox"
      version = "0.81.0"
    }
  }
}

# Only used to read the other parts' state.
provider "aws" {
  region = var.region
}

provider "proxmox" {
  endpoint  = var.proxmox_endpoint
  api_token = var.proxmox_api_token
  # TLS verification stays on; give the host a certificate the machine
  # running Terraform trusts (or the Proxmox CA in the system store).
  insecure = false

  # Snippets (the cloud-init files) can only be written over SSH.
  ssh {
    agent    = true
    username = var.proxmox_ssh_username
  }
}
