output "vpc_id" {
  description = "ID of the VPC."
  value       = module.vpc.vpc_id
}

output "vpc_cidr" {
  description = "CIDR of the VPC: the remote network of the site router's IPsec policy and routes."
  value       = module.vpc.vpc_cidr_block
}

output "private_subnet_ids" {
  description = "Private subnets (one per zone) for the EKS control-plane interfaces, Auto Mode nodes and the S3 endpoint."
  value       = module.vpc.private_subnets
}

output "public_subnet_ids" {
  description = "Public subnets (one per zone) for internet-facing load balancers and NAT gateways."
  value       = module.vpc.public_subnets
}

output "router_public_ip" {
  description = "Public address of the site router; the hybrid nodes reach a public Kubernetes API endpoint from it, so the cluster part admits it."
  value       = var.router_public_ip
}

output "nat_public_ips" {
  description = "Public addresses of the NAT gateways; the cluster part admits them to a public-only Kubernetes API endpoint (the Auto Mode nodes leave the VPC through them)."
  value       = module.vpc.nat_public_ips
}

output "remote_node_cidrs" {
  description = "On-premises node CIDRs, passed on to the cluster's remote network configuration."
  value       = var.remote_node_cidrs
}

output "remote_pod_cidrs" {
  description = "On-premises pod CIDRs, passed on to the cluster's remote network configuration and to Calico's IP pool."
  value       = var.remote_pod_cidrs
}

output "hybrid_security_group_id" {
  description = "Security group for the control plane's traffic with hybrid nodes; the cluster part attaches it to EKS."
  value       = aws_security_group.hybrid.id
}

output "archive_bucket" {
  description = "Name of the archive bucket (the archiver's S3_BUCKET)."
  value       = aws_s3_bucket.archive.id
}

output "archive_bucket_arn" {
  description = "ARN of the archive bucket, for the archiver's IAM policy."
  value       = aws_s3_bucket.archive.arn
}

output "archive_kms_key_arn" {
  description = "ARN of the KMS key of the archive bucket, for the archiver's IAM policy."
  value       = aws_kms_key.archive.arn
}

output "s3_endpoint_id" {
  description = "ID of the S3 interface endpoint."
  value       = aws_vpc_endpoint.s3.id
}

output "archive_endpoint_url" {
  description = "S3 endpoint URL for the archiver (S3_ENDPOINT_URL): the interface endpoint's own DNS name, https://bucket.vpce-....s3.<region>.vpce.amazonaws.com."
  value       = "https://${replace(aws_vpc_endpoint.s3.dns_entry[0].dns_name, "*", "bucket")}"
}

output "vpn_connection_id" {
  description = "ID of the site-to-site VPN connection (for aws ec2 describe-vpn-connections)."
  value       = aws_vpn_connection.site.id
}

output "router_ipsec" {
  description = "What the site router's IPsec configuration needs: per tunnel the AWS outside address and the inside (link) addresses, plus the networks on either side. The pre-shared keys are in the sensitive output router_ipsec_psks."
  value = {
    router_public_ip = var.router_public_ip
    remote_networks  = [module.vpc.vpc_cidr_block]
    local_networks   = concat(var.remote_node_cidrs, var.remote_pod_cidrs)
    ike_version      = "ikev2"
    proposal         = "aes256-sha256-modp2048 (phase 1 and 2; AWS also accepts GCM and DH groups 19-21)"
    tunnels = [
      {
        aws_outside_address   = aws_vpn_connection.site.tunnel1_address
        router_inside_address = aws_vpn_connection.site.tunnel1_cgw_inside_address
        aws_inside_address    = aws_vpn_connection.site.tunnel1_vgw_inside_address
      },
      {
        aws_outside_address   = aws_vpn_connection.site.tunnel2_address
        router_inside_address = aws_vpn_connection.site.tunnel2_cgw_inside_address
        aws_inside_address    = aws_vpn_connection.site.tunnel2_vgw_inside_address
      },
    ]
  }
}

output "router_ipsec_psks" {
  description = "Pre-shared keys of tunnel 1 and tunnel 2 (read with terraform output -json router_ipsec_psks; never paste into tickets)."
  value       = [aws_vpn_connection.site.tunnel1_preshared_key, aws_vpn_connection.site.tunnel2_preshared_key]
  sensitive   = true
}

output "customer_gateway_configuration" {
  description = "AWS's generic customer gateway configuration (XML) of the VPN connection, for routers the docs do not cover."
  value       = aws_vpn_connection.site.customer_gateway_configuration
  sensitive   = true
}
