output "nodes" {
  description = "The hybrid node VMs: name => address and Proxmox VM ID."
  value = {
    for name, node in var.nodes : name => {
      address = split("/", node.address)[0]
      vm_id   = proxmox_virtual_environment_vm.node[name].vm_id
    }
  }
}

output "verify_commands" {
  description = "Commands that show the nodes joined: the Kubernetes view, with SSM the managed-instance view, cloud-init's status and nodeadm debug on a node."
  value = join("\n", compact([
    "kubectl get nodes -l eks.amazonaws.com/compute-type=hybrid -o wide",
    local.use_ssm ? "aws ssm describe-instance-information --region ${local.cluster.region} --filters Key=ActivationIds,Values=${local.cluster.ssm_activation_id} --query 'InstanceInformationList[].[ComputerName,PingStatus,IPAddress]' --output table" : "",
    "ssh ubuntu@<node> sudo cloud-init status --long",
    # Checks credentials, the API endpoint and the node's authorization one
    # by one and names the step that fails.
    "ssh ubuntu@<node> sudo nodeadm debug -c file:///etc/eks/nodeConfig.yaml",
  ]))
}
