data "terraform_remote_state" "cluster" {
  backend = "s3"

  config = {
    bucket = var.state_bucket
    key    = var.cluster_state_key
    region = var.region
  }
}

locals {
  cluster = data.terraform_remote_state.cluster.outputs
  use_ssm = local.cluster.hybrid_credential_provider == "ssm"

  # nodeadm's credential-provider names.
  credential_provider = local.use_ssm ? "ssm" : "iam-ra"

  node_labels = merge(var.node_labels, {
    "edgestream.io/role" = "edge"
  })

  # The node configuration nodeadm init reads (node.eks.aws/v1alpha1).
  node_configs = {
    for name, node in var.nodes : name => yamlencode({
      apiVersion = "node.eks.aws/v1alpha1"
      kind       = "NodeConfig"
      spec = {
        cluster = {
          name   = local.cluster.cluster_name
          region = local.cluster.region
        }
        kubelet = {
          config = {
            # Let Kafka and the archiver flush before the VM powers off.
            shutdownGracePeriod             = "120s"
            shutdownGracePeriodCriticalPods = "30s"
          }
          flags = [
            "--node-labels=${join(",", [for k, v in local.node_labels : "${k}=${v}"])}",
          ]
        }
        hybrid = local.use_ssm ? {
          ssm = {
            activationCode = local.cluster.ssm_activation_code
            activationId   = local.cluster.ssm_activation_id
          }
          } : {
          iamRolesAnywhere = {
            nodeName        = name
            trustAnchorArn  = var.iam_roles_anywhere.trust_anchor_arn
            profileArn      = var.iam_roles_anywhere.profile_arn
            roleArn         = local.cluster.hybrid_node_role_arn
            certificatePath = var.iam_roles_anywhere.certificate_path
            privateKeyPath  = var.iam_roles_anywhere.private_key_path
          }
        }
      }
    })
  }
}

resource "terraform_data" "input_checks" {
  lifecycle {
    precondition {
      condition     = local.use_ssm || var.iam_roles_anywhere != null
      error_message = "The cluster uses IAM Roles Anywhere: set iam_roles_anywhere (trust anchor and profile ARNs)."
    }
  }
}

# One dated Ubuntu cloud image, verified by its published checksum.
resource "proxmox_virtual_environment_download_file" "ubuntu" {
  content_type       = "iso"
  datastore_id       = var.image_datastore
  node_name          = var.proxmox_node
  url                = var.cloud_image.url
  checksum           = var.cloud_image.sha256
  checksum_algorithm = "sha256"
  file_name          = "edgestream-${substr(var.cloud_image.sha256, 0, 12)}.img"
  overwrite          = false
}

resource "proxmox_virtual_environment_file" "network_config" {
  for_each = var.nodes

  content_type = "snippets"
  datastore_id = var.snippets_datastore
  node_name    = var.proxmox_node

  source_raw {
    file_name = "edgestream-${each.key}-network.yaml"
    data = templatefile("${path.module}/templates/network-config.yaml.tftpl", {
      address     = each.value.address
      gateway     = var.gateway
      dns_servers = var.dns_servers
    })
  }
}

resource "proxmox_virtual_environment_file" "user_data" {
  for_each = var.nodes

  content_type = "snippets"
  datastore_id = var.snippets_datastore
  node_name    = var.proxmox_node

  source_raw {
    file_name = "edgestream-${each.key}-user-data.yaml"
    data = templatefile("${path.module}/templates/user-data.yaml.tftpl", {
      hostname            = each.key
      ssh_authorized_keys = var.ssh_authorized_keys
      node_config         = local.node_configs[each.key]
      kubernetes_version  = local.cluster.kubernetes_version
      credential_provider = local.credential_provider
      nodeadm_url         = var.nodeadm_url
      nodeadm_sha256      = var.nodeadm_sha256 == null ? "" : var.nodeadm_sha256
    })
  }
}

resource "proxmox_virtual_environment_vm" "node" {
  for_each = var.nodes

  name        = each.key
  description = "edgestream EKS hybrid node (managed by Terraform, deploy/terraform/edge-nodes)"
  tags        = ["edgestream", "eks-hybrid"]
  node_name   = var.proxmox_node
  vm_id       = each.value.vm_id
  on_boot     = true

  # The guest agent reports addresses and lets Proxmox shut the VM down
  # cleanly, which gives kubelet its graceful-shutdown window.
  agent {
    enabled = true
  }
  stop_on_destroy = false

  cpu {
    cores = var.vm_size.cores
    # Host CPU flags: Kafka's CRC32C and TLS use SSE4.2/AES-NI.
    type = "host"
  }

  memory {
    dedicated = var.vm_size.memory_mib
  }

  operating_system {
    type = "l26"
  }

  disk {
    datastore_id = var.vm_datastore
    file_id      = proxmox_virtual_environment_download_file.ubuntu.id
    interface    = "virtio0"
    size         = var.vm_size.os_disk_gb
    discard      = "on"
    iothread     = true
  }

  # Second disk: Longhorn's data path (/var/lib/longhorn), kept off the OS
  # disk so a full volume cannot stop the kubelet.
  disk {
    datastore_id = var.vm_datastore
    interface    = "virtio1"
    size         = var.vm_size.longhorn_disk_gb
    file_format  = "raw"
    discard      = "on"
    iothread     = true
  }

  network_device {
    bridge  = var.bridge
    vlan_id = var.vlan_id
  }

  serial_device {}

  initialization {
    datastore_id         = var.vm_datastore
    user_data_file_id    = proxmox_virtual_environment_file.user_data[each.key].id
    network_data_file_id = proxmox_virtual_environment_file.network_config[each.key].id
  }

  lifecycle {
    # Cloud-init runs once, on first boot; a changed snippet (for example a
    # renewed activation) must not replace a node that already joined.
    ignore_changes = [initialization]
  }

  depends_on = [terraform_data.input_checks]
}
