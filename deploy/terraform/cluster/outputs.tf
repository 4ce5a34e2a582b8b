output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "URL of the Kubernetes API."
  value       = module.eks.cluster_endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 CA certificate of the Kubernetes API (for the providers of cluster-addons)."
  value       = module.eks.cluster_certificate_authority_data
}

output "cluster_security_group_id" {
  description = "Additional security group the module created for the cluster's control-plane interfaces."
  value       = module.eks.cluster_security_group_id
}

output "cluster_primary_security_group_id" {
  description = "Security group EKS created for the cluster; Auto Mode nodes use it, and it admits the on-premises node and pod networks."
  value       = module.eks.cluster_primary_security_group_id
}

output "vpc_id" {
  description = "VPC of the cluster (the AWS Load Balancer Controller's vpcId)."
  value       = local.network.vpc_id
}

output "kubernetes_version" {
  description = "Kubernetes minor version; nodeadm installs the same on the hybrid nodes."
  value       = var.kubernetes_version
}

output "region" {
  description = "Region of the cluster."
  value       = var.region
}

output "kubeconfig_command" {
  description = "Command that writes a kubeconfig entry for the cluster."
  value       = "aws eks update-kubeconfig --region ${var.region} --name ${module.eks.cluster_name}"
}

output "hybrid_node_role_arn" {
  description = "IAM role the hybrid nodes assume (mapped by the HYBRID_LINUX access entry)."
  value       = module.hybrid_node_role.arn
}

output "hybrid_credential_provider" {
  description = "Credential provider of the hybrid nodes: ssm or iam-roles-anywhere."
  value       = var.hybrid_credential_provider
}

output "ssm_activation_id" {
  description = "ID of the SSM hybrid activation the nodes register with (null with IAM Roles Anywhere)."
  value       = try(aws_ssm_activation.hybrid[0].id, null)
}

output "ssm_activation_code" {
  description = "Code of the SSM hybrid activation; a registration secret until the activation expires."
  value       = try(aws_ssm_activation.hybrid[0].activation_code, null)
  sensitive   = true
}

output "iam_roles_anywhere_lookup" {
  description = "Commands that print the trust anchor and profile ARNs the edge-nodes part needs with IAM Roles Anywhere (null with SSM)."
  value = local.use_ssm ? null : join("\n", [
    "aws rolesanywhere list-trust-anchors --region ${var.region} --query \"trustAnchors[?name=='${var.name_prefix}-hybrid-node'].trustAnchorArn\" --output text",
    "aws rolesanywhere list-profiles --region ${var.region} --query \"profiles[?name=='${var.name_prefix}-hybrid-node'].profileArn\" --output text",
  ])
}

output "archiver_role_arn" {
  description = "IAM role of the archiver pods. With pod-identity it is already bound; with irsa annotate the service account with it (chart value archiver.serviceAccount.annotations)."
  value       = aws_iam_role.archiver.arn
}

output "archiver_identity" {
  description = "How archiver pods get their role: pod-identity or irsa."
  value       = var.archiver_identity
}
