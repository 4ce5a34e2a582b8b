data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:The subnets take the first az_count zones of the sorted list; a zone AWS adds later sorts after them, and the subnets are fixed in state once created.
  state = "available"

  # Local and Wavelength zones cannot host EKS control-plane interfaces.
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  azs        = slice(data.aws_availability_zones.available.names, 0, var.az_count)

  # /20 private subnets (4091 addresses each) leave room for EKS Auto Mode
  # pods, which take VPC addresses; /24 public subnets only hold load
  # balancers and NAT gateways.
  private_subnets = [for i, _ in local.azs : cidrsubnet(var.vpc_cidr, 4, i)]
  public_subnets  = [for i, _ in local.azs : cidrsubnet(var.vpc_cidr, 8, 240 + i)]

  remote_cidrs        = concat(var.remote_node_cidrs, var.remote_pod_cidrs)
  archive_bucket_name = coalesce(var.archive_bucket_name, "${var.name_prefix}-archive-${local.account_id}-${var.region}")
}

################################################################################
# VPC: public and private subnets over the zones, NAT for the private ones,
# a virtual private gateway whose routes are propagated to the private and the
# public route tables (the VPN's static routes to the on-premises node and pod
# CIDRs).
################################################################################

module "vpc" {
  # terraform-aws-modules/vpc v6.6.0, pinned to the tag's commit.
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-vpc.git?ref=82d1929e669efef4e2ad00611b8a68e7a56e049c"

  name = var.name_prefix
  cidr = var.vpc_cidr
  azs  = local.azs

  private_subnets = local.private_subnets
  public_subnets  = local.public_subnets

  enable_dns_hostnames = true
  enable_dns_support   = true

  enable_nat_gateway     = true
  single_nat_gateway     = var.single_nat_gateway
  one_nat_gateway_per_az = !var.single_nat_gateway

  enable_vpn_gateway                 = true
  amazon_side_asn                    = var.amazon_side_asn
  propagate_private_route_tables_vgw = true
  # The internet-facing ALB lives in the public subnets and forwards to pod
  # IPs on premises (target type ip): its subnets need the VPN routes too, or
  # every target stays unhealthy. Only the static node and pod routes of the
  # VPN are propagated; the default route stays with the internet gateway.
  propagate_public_route_tables_vgw = true

  # The default security group of the VPC allows nothing.
  manage_default_security_group  = true
  default_security_group_ingress = []
  default_security_group_egress  = []

  enable_flow_log                                 = true
  create_flow_log_cloudwatch_log_group            = true
  create_flow_log_cloudwatch_iam_role             = true
  flow_log_cloudwatch_log_group_retention_in_days = var.log_retention_days
  flow_log_cloudwatch_log_group_kms_key_id        = aws_kms_key.logs.arn
  flow_log_max_aggregation_interval               = 60

  # Subnet roles for the load balancers EKS Auto Mode creates.
  public_subnet_tags = {
    "kubernetes.io/role/elb" = "1"
  }
  private_subnet_tags = {
    "kubernetes.io/role/internal-elb" = "1"
  }
}

################################################################################
# Logs: one key for the flow logs and the VPN tunnel logs.
################################################################################

resource "aws_kms_key" "logs" {
  description             = "${var.name_prefix}: encrypts VPC flow logs and VPN tunnel logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.logs_key.json
}

resource "aws_kms_alias" "logs" {
  name          = "alias/${var.name_prefix}-network-logs"
  target_key_id = aws_kms_key.logs.key_id
}

data "aws_iam_policy_document" "logs_key" {
  #checkov:skip=CKV_AWS_109:A key policy's "*" resource is the key itself; administration stays with the account, whose IAM policies decide who uses the key.
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource is the key itself, not every resource of the account.
  #checkov:skip=CKV_AWS_356:A key policy's "*" resource is the key itself, not every resource of the account.
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # CloudWatch Logs encrypts with the key on behalf of log groups of this
  # account and region only.
  statement {
    sid       = "CloudWatchLogs"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:*"]
    }
  }
}

resource "aws_cloudwatch_log_group" "vpn" {
  name              = "/aws/vpn/${var.name_prefix}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
}

################################################################################
# Site-to-site VPN: the customer gateway is the site router; two tunnels
# (AWS terminates each in a different zone), static routes to the on-premises
# node and pod CIDRs, IKEv2 with AES-256/SHA-256 and DH group 14 or better only.
################################################################################

resource "aws_customer_gateway" "site" {
  bgp_asn     = var.router_bgp_asn
  ip_address  = var.router_public_ip
  type        = "ipsec.1"
  device_name = "${var.name_prefix}-site-router"

  tags = {
    Name = "${var.name_prefix}-site"
  }
}

resource "aws_vpn_connection" "site" {
  vpn_gateway_id      = module.vpc.vgw_id
  customer_gateway_id = aws_customer_gateway.site.id
  type                = "ipsec.1"
  static_routes_only  = true

  local_ipv4_network_cidr  = "0.0.0.0/0"
  remote_ipv4_network_cidr = "0.0.0.0/0"

  tunnel1_ike_versions                 = ["ikev2"]
  tunnel1_phase1_encryption_algorithms = ["AES256", "AES256-GCM-16"]
  tunnel1_phase1_integrity_algorithms  = ["SHA2-256", "SHA2-384", "SHA2-512"]
  tunnel1_phase1_dh_group_numbers      = [14, 19, 20, 21]
  tunnel1_phase2_encryption_algorithms = ["AES256", "AES256-GCM-16"]
  tunnel1_phase2_integrity_algorithms  = ["SHA2-256", "SHA2-384", "SHA2-512"]
  tunnel1_phase2_dh_group_numbers      = [14, 19, 20, 21]
  tunnel1_dpd_timeout_action           = "restart"
  tunnel1_startup_action               = "start"

  tunnel1_log_options {
    cloudwatch_log_options {
      log_enabled       = true
      log_group_arn     = aws_cloudwatch_log_group.vpn.arn
      log_output_format = "json"
    }
  }

  tunnel2_ike_versions                 = ["ikev2"]
  tunnel2_phase1_encryption_algorithms = ["AES256", "AES256-GCM-16"]
  tunnel2_phase1_integrity_algorithms  = ["SHA2-256", "SHA2-384", "SHA2-512"]
  tunnel2_phase1_dh_group_numbers      = [14, 19, 20, 21]
  tunnel2_phase2_encryption_algorithms = ["AES256", "AES256-GCM-16"]
  tunnel2_phase2_integrity_algorithms  = ["SHA2-256", "SHA2-384", "SHA2-512"]
  tunnel2_phase2_dh_group_numbers      = [14, 19, 20, 21]
  tunnel2_dpd_timeout_action           = "restart"
  tunnel2_startup_action               = "start"

  tunnel2_log_options {
    cloudwatch_log_options {
      log_enabled       = true
      log_group_arn     = aws_cloudwatch_log_group.vpn.arn
      log_output_format = "json"
    }
  }

  tags = {
    Name = "${var.name_prefix}-site"
  }
}

resource "aws_vpn_connection_route" "remote" {
  for_each = toset(local.remote_cidrs)

  vpn_connection_id      = aws_vpn_connection.site.id
  destination_cidr_block = each.value
}

################################################################################
# Security group for the EKS control plane's traffic with the hybrid nodes
# (attached to the cluster by the cluster part). Exactly the flows EKS lists
# for hybrid nodes, nothing wider:
#   in  443   from node CIDRs  kubelet and nodeadm to the API server
#   in  443   from pod CIDRs   pods to the API server (when the CNI does not NAT)
#   out 10250 to node CIDRs    API server to kubelet (logs, exec, port-forward)
#   out hooks to pod CIDRs     API server to webhooks and aggregated APIs
# Calico's own ports (BGP 179, VXLAN 4789, Typha 5473) flow only between the
# hybrid nodes on premises, never through the VPC, so they have no rule here;
# docs/deploy.md lists them for the on-premises firewall.
################################################################################

resource "aws_security_group" "hybrid" {
  #checkov:skip=CKV2_AWS_5:Attached to the EKS cluster by the cluster part (additional_security_group_ids), which reads its ID from this part's state.
  name        = "${var.name_prefix}-eks-hybrid"
  description = "EKS control plane traffic with hybrid nodes and their pods"
  vpc_id      = module.vpc.vpc_id

  tags = {
    Name = "${var.name_prefix}-eks-hybrid"
  }
}

resource "aws_vpc_security_group_ingress_rule" "api_from_nodes" {
  for_each = toset(var.remote_node_cidrs)

  security_group_id = aws_security_group.hybrid.id
  description       = "kubelet and nodeadm on hybrid nodes to the Kubernetes API"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "api_from_pods" {
  for_each = toset(var.remote_pod_cidrs)

  security_group_id = aws_security_group.hybrid.id
  description       = "Pods on hybrid nodes to the Kubernetes API"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "kubelet" {
  for_each = toset(var.remote_node_cidrs)

  security_group_id = aws_security_group.hybrid.id
  description       = "Kubernetes API to kubelet on hybrid nodes (logs, exec, port-forward)"
  ip_protocol       = "tcp"
  from_port         = 10250
  to_port           = 10250
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "webhooks" {
  for_each = {
    for pair in setproduct(var.remote_pod_cidrs, var.webhook_ports) : "${pair[0]}:${pair[1]}" => {
      cidr = pair[0]
      port = pair[1]
    }
  }

  security_group_id = aws_security_group.hybrid.id
  description       = "Kubernetes API to webhooks in pods on hybrid nodes"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr
}

################################################################################
# S3 interface endpoint: the archiver on the hybrid nodes reaches S3 through
# the VPN at the endpoint's own DNS name, which resolves to the endpoint's
# private addresses from anywhere, so on-premises DNS needs no forwarding.
################################################################################

resource "aws_security_group" "s3_endpoint" {
  name        = "${var.name_prefix}-s3-endpoint"
  description = "HTTPS from hybrid nodes and their pods to the S3 interface endpoint"
  vpc_id      = module.vpc.vpc_id

  tags = {
    Name = "${var.name_prefix}-s3-endpoint"
  }
}

resource "aws_vpc_security_group_ingress_rule" "s3_endpoint" {
  for_each = toset(local.remote_cidrs)

  security_group_id = aws_security_group.s3_endpoint.id
  description       = "HTTPS to S3 from on-premises nodes and pods"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id             = module.vpc.vpc_id
  service_name       = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type  = "Interface"
  subnet_ids         = module.vpc.private_subnets
  security_group_ids = [aws_security_group.s3_endpoint.id]
  ip_address_type    = "ipv4"
  policy             = data.aws_iam_policy_document.s3_endpoint.json
  # Private DNS does not apply: it would send every S3 request in the VPC
  # (among them the image layers EKS Auto Mode nodes pull from ECR's S3
  # buckets) to this endpoint, whose policy admits the archive bucket only.
  # The archiver uses the endpoint-specific name (output archive_endpoint_url)
  # instead, which needs no DNS changes anywhere.
  private_dns_enabled = false

  tags = {
    Name = "${var.name_prefix}-s3"
  }
}

# The endpoint lets through requests on the archive bucket only, whoever
# makes them; the archiver's IAM role then narrows what it may do there.
data "aws_iam_policy_document" "s3_endpoint" {
  statement {
    sid = "ArchiveBucketOnly"
    actions = [
      "s3:PutObject",
      "s3:GetObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
      "s3:ListBucket",
      "s3:ListBucketMultipartUploads",
      "s3:GetBucketLocation",
    ]
    resources = [
      aws_s3_bucket.archive.arn,
      "${aws_s3_bucket.archive.arn}/*",
    ]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    # Only principals of this account, even with the bucket name in hand.
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

################################################################################
# Archive bucket: versioned, KMS-encrypted, public access blocked, TLS only,
# objects move to cheaper storage classes as they age.
################################################################################

resource "aws_kms_key" "archive" {
  description             = "${var.name_prefix}: encrypts the archive bucket"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.archive_key.json
}

resource "aws_kms_alias" "archive" {
  name          = "alias/${var.name_prefix}-archive"
  target_key_id = aws_kms_key.archive.key_id
}

data "aws_iam_policy_document" "archive_key" {
  #checkov:skip=CKV_AWS_109:A key policy's "*" resource is the key itself; administration stays with the account, whose IAM policies decide who uses the key.
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource is the key itself, not every resource of the account.
  #checkov:skip=CKV_AWS_356:A key policy's "*" resource is the key itself, not every resource of the account.
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

resource "aws_s3_bucket" "archive" {
  #checkov:skip=CKV_AWS_18:Object-level access is audited through CloudTrail S3 data events (docs/deploy.md); server access logs would need a second bucket with the same controls.
  #checkov:skip=CKV_AWS_144:The archive lives in the cluster's region by design; organisations that need a second region add replication to their own bucket.
  #checkov:skip=CKV2_AWS_62:No consumer of object-created events exists; readers query the bucket by prefix.
  bucket = local.archive_bucket_name
}

resource "aws_s3_bucket_ownership_controls" "archive" {
  bucket = aws_s3_bucket.archive.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "archive" {
  bucket = aws_s3_bucket.archive.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "archive" {
  bucket = aws_s3_bucket.archive.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.archive.arn
    }
    # One data key per bucket instead of per object: the archiver writes many
    # objects an hour and each KMS call costs and counts against a quota.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "archive" {
  bucket                  = aws_s3_bucket.archive.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "archive" {
  bucket = aws_s3_bucket.archive.id

  rule {
    id     = "age-into-cheaper-storage"
    status = "Enabled"

    filter {}

    transition {
      days          = var.archive_transition_days.standard_ia
      storage_class = "STANDARD_IA"
    }

    transition {
      days          = var.archive_transition_days.glacier_ir
      storage_class = "GLACIER_IR"
    }

    noncurrent_version_expiration {
      noncurrent_days = var.archive_transition_days.noncurrent
    }

    # An interrupted multipart upload leaves parts that are billed but
    # invisible; the archiver retries with a new upload.
    abort_incomplete_multipart_upload {
      days_after_initiation = 2
    }
  }

  depends_on = [aws_s3_bucket_versioning.archive]
}

data "aws_iam_policy_document" "archive_bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.archive.arn,
      "${aws_s3_bucket.archive.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  dynamic "statement" {
    for_each = var.require_endpoint_for_writes ? [1] : []

    content {
      sid       = "DenyWritesOutsideTheEndpoint"
      effect    = "Deny"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.archive.arn}/*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = "StringNotEquals"
        variable = "aws:SourceVpce"
        values   = [aws_vpc_endpoint.s3.id]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "archive" {
  bucket = aws_s3_bucket.archive.id
  policy = data.aws_iam_policy_document.archive_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.archive]
}
