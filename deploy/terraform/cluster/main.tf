data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

data "terraform_remote_state" "network" {
  backend = "s3"

  config = {
    bucket = var.state_bucket
    key    = var.network_state_key
    region = var.region
  }
}

locals {
  network   = data.terraform_remote_state.network.outputs
  partition = data.aws_partition.current.partition
  use_ssm   = var.hybrid_credential_provider == "ssm"

  endpoint_private = var.endpoint_access == "private"
  # With the public endpoint, three sources must be admitted: the operators
  # (variable), the site router's public address (the hybrid nodes' kubelet,
  # kube-proxy and nodeadm reach the API from there) and the NAT gateways'
  # addresses (the Auto Mode nodes in the private subnets leave the VPC
  # through them when there is no private endpoint).
  endpoint_public_cidrs = distinct(concat(
    var.endpoint_public_access_cidrs,
    ["${local.network.router_public_ip}/32"],
    [for ip in local.network.nat_public_ips : "${ip}/32"],
  ))
  remote_cidrs = concat(local.network.remote_node_cidrs, local.network.remote_pod_cidrs)

  admin_access_entries = {
    for i, arn in var.admin_principal_arns : "admin-${i}" => {
      principal_arn = arn
      policy_associations = {
        cluster_admin = {
          policy_arn   = "arn:${local.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
          access_scope = { type = "cluster" }
        }
      }
    }
  }
}

################################################################################
# EKS in Auto Mode (the general-purpose node pool runs in the VPC) with the
# on-premises node and pod networks declared as remote networks, so hybrid
# nodes can join and the control plane routes to their pods' webhooks.
################################################################################

module "eks" {
  # terraform-aws-modules/eks v21.19.0, pinned to the tag's commit: a tag
  # can be moved, a commit cannot.
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-eks.git?ref=bef29c4d9523523e57fe898643fde2895106b339"

  name               = var.name_prefix
  kubernetes_version = var.kubernetes_version
  service_ipv4_cidr  = var.service_ipv4_cidr

  # Exactly one of the two endpoints: with "Public and Private" the endpoint's
  # name resolves to public addresses outside the VPC, so the hybrid nodes
  # would use the public one anyway (docs/deploy.md, "API endpoint").
  endpoint_private_access      = local.endpoint_private
  endpoint_public_access       = !local.endpoint_private
  endpoint_public_access_cidrs = local.endpoint_private ? null : local.endpoint_public_cidrs

  enabled_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  vpc_id     = local.network.vpc_id
  subnet_ids = local.network.private_subnet_ids

  additional_security_group_ids = [local.network.hybrid_security_group_id]

  compute_config = {
    enabled    = true
    node_pools = ["general-purpose"]
  }

  # Auto Mode nodes use the cluster security group; hybrid nodes have none.
  create_node_security_group = false

  remote_network_config = {
    remote_node_networks = {
      cidrs = local.network.remote_node_cidrs
    }
    remote_pod_networks = {
      cidrs = local.network.remote_pod_cidrs
    }
  }

  # No add-ons here: CoreDNS, kube-proxy and the Pod Identity agent for the
  # hybrid nodes need a node to run on, and no hybrid node is Ready before
  # the edge-nodes part has run and Calico (cluster-addons) is installed;
  # waiting for them to become ACTIVE here would time out. cluster-addons
  # creates them after Calico.

  authentication_mode                      = "API"
  enable_cluster_creator_admin_permissions = var.enable_cluster_creator_admin_permissions
  enable_irsa                              = var.archiver_identity == "irsa"

  access_entries = merge(local.admin_access_entries, {
    hybrid_nodes = {
      principal_arn = module.hybrid_node_role.arn
      type          = "HYBRID_LINUX"
    }
  })
}

################################################################################
# On premises to the cloud nodes: Auto Mode nodes carry the cluster security
# group that EKS creates, which admits only itself. Pods on the hybrid nodes
# reach CoreDNS, webhooks and other pods on the cloud nodes, and the cloud
# nodes' pods answer probes and traffic from the hybrid nodes, so the remote
# node and pod ranges are admitted there (as the upstream module's hybrid
# nodes example does). The ranges only ever arrive over the VPN.
################################################################################

resource "aws_vpc_security_group_ingress_rule" "cluster_from_remote" {
  for_each = toset(local.remote_cidrs)

  security_group_id = module.eks.cluster_primary_security_group_id
  description       = "All traffic from the on-premises hybrid node and pod networks (over the VPN)"
  ip_protocol       = "-1"
  cidr_ipv4         = each.value
}

################################################################################
# Hybrid nodes' IAM role: assumed through SSM hybrid activations (default) or
# IAM Roles Anywhere with certificates from your own CA (the alternative).
################################################################################

module "hybrid_node_role" {
  # The hybrid-node-role submodule of terraform-aws-modules/eks v21.19.0.
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-eks.git//modules/hybrid-node-role?ref=bef29c4d9523523e57fe898643fde2895106b339"

  name = "${var.name_prefix}-hybrid-node"

  # With IAM Roles Anywhere the module also creates the trust anchor (your CA)
  # and the profile; read their ARNs with the commands in output
  # iam_roles_anywhere_lookup and hand them to the edge-nodes part.
  enable_ira                             = !local.use_ssm
  ira_trust_anchor_source_type           = local.use_ssm ? null : "CERTIFICATE_BUNDLE"
  ira_trust_anchor_x509_certificate_data = local.use_ssm ? null : var.iam_roles_anywhere_ca_certificate_pem
}

# Cross-variable checks (Terraform before 1.9 cannot express them in a
# variable's own validation).
resource "terraform_data" "input_checks" {
  lifecycle {
    precondition {
      condition     = local.use_ssm || var.iam_roles_anywhere_ca_certificate_pem != null
      error_message = "hybrid_credential_provider = \"iam-roles-anywhere\" needs iam_roles_anywhere_ca_certificate_pem."
    }
  }
}

resource "time_static" "activation" {}

resource "aws_ssm_activation" "hybrid" {
  count = local.use_ssm ? 1 : 0

  name               = "${var.name_prefix}-hybrid-nodes"
  description        = "Registers the ${var.hybrid_node_count} edgestream hybrid nodes with SSM"
  iam_role           = module.hybrid_node_role.name
  registration_limit = var.hybrid_node_count
  expiration_date    = timeadd(time_static.activation.rfc3339, "${var.ssm_activation_ttl_hours}h")

  lifecycle {
    # A new activation would not re-register nodes that already joined.
    ignore_changes = [expiration_date]
  }
}

################################################################################
# Archiver: an IAM role that may write objects to the archive bucket and do
# nothing else, bound to the archiver's service account.
################################################################################

data "aws_iam_policy_document" "archiver_trust_pod_identity" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

data "aws_iam_policy_document" "archiver_trust_irsa" {
  count = var.archiver_identity == "irsa" ? 1 : 0

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [module.eks.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${module.eks.oidc_provider}:sub"
      values   = ["system:serviceaccount:${var.archiver_namespace}:${var.archiver_service_account}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${module.eks.oidc_provider}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "archiver" {
  name               = "${var.name_prefix}-archiver"
  description        = "edgestream archiver pods: write Parquet objects to the archive bucket"
  assume_role_policy = var.archiver_identity == "irsa" ? data.aws_iam_policy_document.archiver_trust_irsa[0].json : data.aws_iam_policy_document.archiver_trust_pod_identity.json
}

data "aws_iam_policy_document" "archiver" {
  statement {
    sid = "WriteArchiveObjects"
    actions = [
      "s3:PutObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = ["${local.network.archive_bucket_arn}/*"]
  }

  # HeadObject (s3:GetObject) lets the archiver confirm an upload it could not
  # see acknowledged before it re-sends, so a retry never duplicates a file.
  statement {
    sid       = "ConfirmArchiveObjects"
    actions   = ["s3:GetObject"]
    resources = ["${local.network.archive_bucket_arn}/*"]
  }

  statement {
    sid       = "ListArchiveBucket"
    actions   = ["s3:ListBucket", "s3:ListBucketMultipartUploads"]
    resources = [local.network.archive_bucket_arn]
  }

  # SSE-KMS: S3 asks KMS for a data key on the archiver's behalf.
  statement {
    sid       = "EncryptArchiveObjects"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [local.network.archive_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "archiver" {
  name   = "archive-bucket-write"
  role   = aws_iam_role.archiver.id
  policy = data.aws_iam_policy_document.archiver.json
}

resource "aws_eks_pod_identity_association" "archiver" {
  count = var.archiver_identity == "pod-identity" ? 1 : 0

  cluster_name    = module.eks.cluster_name
  namespace       = var.archiver_namespace
  service_account = var.archiver_service_account
  role_arn        = aws_iam_role.archiver.arn
}
