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
  description = "Commands that show the nodes joined: the Kubernetes view and, with SSM, the managed-instance view."
  value = join("\n", compact([
    "kubectl get nodes -l eks.amazonaws.com/compute-type=hybrid -o wide",
    local.use_ssm ? "aws ssm describe-instance-information --region ${local.cluster.region} --filters Key=ActivationIds,Values=${local.cluster.ssm_activation_id} --query 'InstanceInformationList[].[ComputerName,PingStatus,IPAddress]' --output table" : "",
    "ssh ubuntu@<node> sudo cloud-init status --long",
  ]))
}
