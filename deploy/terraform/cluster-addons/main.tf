data "terraform_remote_state" "network" {
  backend = "s3"

  config = {
    bucket = var.state_bucket
    key    = var.network_state_key
    region = var.region
  }
}

data "terraform_remote_state" "cluster" {
  backend = "s3"

  config = {
    bucket = var.state_bucket
    key    = var.cluster_state_key
    region = var.region
  }
}

locals {
  network = data.terraform_remote_state.network.outputs
  cluster = data.terraform_remote_state.cluster.outputs

  # Everything on premises runs on the hybrid nodes.
  hybrid_selector = { "eks.amazonaws.com/compute-type" = "hybrid" }
  # The Auto Mode NodePool of the cloud workers.
  cloud_node_pool = "edgestream-cloud"

  monitoring_dir = abspath("${path.module}/${var.monitoring_dir}")
  dashboards     = fileset(local.monitoring_dir, "dashboards/*.json")
  rule_files     = fileset(local.monitoring_dir, "rules/*.yaml")
}

################################################################################
# Calico: the CNI of the hybrid nodes (the VPC CNI of Auto Mode never runs
# there). VXLAN overlay between the nodes; pod IPs from the network part's
# remote pod CIDRs, which must equal the cluster's remote pod networks.
################################################################################

resource "helm_release" "calico" {
  name             = "calico"
  repository       = "https://docs.tigera.io/calico/charts"
  chart            = "tigera-operator"
  version          = var.chart_versions.tigera_operator
  namespace        = "tigera-operator"
  create_namespace = true
  atomic           = true
  timeout          = 900

  values = [yamlencode({
    # The operator's own node selector is a top-level key of the
    # tigera-operator chart (tigeraOperator only holds its image settings).
    nodeSelector = local.hybrid_selector
    installation = {
      enabled = true
      cni     = { type = "Calico", ipam = { type = "Calico" } }
      calicoNetwork = {
        # BGP advertises each node's pod block to the site router; VXLAN
        # carries pod-to-pod traffic between the nodes.
        bgp = var.router_bgp == null ? "Disabled" : "Enabled"
        ipPools = [for cidr in local.network.remote_pod_cidrs : {
          cidr          = cidr
          blockSize     = 26
          encapsulation = "VXLAN"
          natOutgoing   = "Enabled"
          nodeSelector  = "eks.amazonaws.com/compute-type == \"hybrid\""
        }]
      }
      controlPlaneReplicas     = 1
      controlPlaneNodeSelector = local.hybrid_selector
      calicoNodeDaemonSet = {
        spec = { template = { spec = { nodeSelector = local.hybrid_selector } } }
      }
      csiNodeDriverDaemonSet = {
        spec = { template = { spec = { nodeSelector = local.hybrid_selector } } }
      }
      typhaDeployment = {
        spec = { template = { spec = { nodeSelector = local.hybrid_selector } } }
      }
      calicoKubeControllersDeployment = {
        spec = { template = { spec = { nodeSelector = local.hybrid_selector } } }
      }
    }
    # The aggregated Calico API server is not needed (calicoctl is not used)
    # and would be one more webhook the control plane must reach.
    apiServer = { enabled = false }
  })]
}

################################################################################
# EKS add-ons for the hybrid nodes: CoreDNS, kube-proxy and the Pod Identity
# agent. Auto Mode runs its own copies on its nodes; these put them on the
# hybrid nodes (Auto Mode nodes do not take them). They need a Ready node to
# become ACTIVE, and a hybrid node is Ready only once Calico runs on it, so
# they come after Calico (the cluster part cannot create them: no node exists
# yet when it runs). One CoreDNS replica on premises keeps name resolution
# working while the VPN is down.
################################################################################

resource "aws_eks_addon" "hybrid" {
  for_each = toset(["coredns", "kube-proxy", "eks-pod-identity-agent"])

  cluster_name                = local.cluster.cluster_name
  addon_name                  = each.value
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  depends_on = [helm_release.calico]
}

################################################################################
# AWS Load Balancer Controller: the internet-facing ALB of the smoke app
# forwards to pod IPs on the hybrid nodes (target type ip), the set-up AWS
# documents for hybrid nodes. It runs on the Auto Mode nodes, so the control
# plane reaches its webhook inside the VPC; its IAM role comes through EKS
# Pod Identity (built into Auto Mode nodes). docs/deploy.md says why EKS
# Auto Mode's own load balancing is not used for this.
################################################################################

module "lb_controller_identity" {
  # terraform-aws-modules/eks-pod-identity v2.8.1, pinned to the tag's commit.
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-eks-pod-identity.git?ref=2cbd87e243fcbf74385331dcf983e273eeb7aa36"

  name                            = "${local.cluster.cluster_name}-aws-lb-controller"
  attach_aws_lb_controller_policy = true

  associations = {
    controller = {
      cluster_name    = local.cluster.cluster_name
      namespace       = "kube-system"
      service_account = "aws-load-balancer-controller"
    }
  }
}

################################################################################
# The cloud workers: EKS Auto Mode nodes of 2 vCPU and 4 GiB, at most two
# (the NodePool's limits stop Auto Mode beyond them). Only the load balancer
# controller runs there; everything else runs on the hybrid nodes. Auto Mode
# serves the NodePool API as soon as the cluster exists, so this manifest can
# be planned before any add-on.
################################################################################

resource "kubernetes_manifest" "cloud_node_pool" {
  manifest = {
    apiVersion = "karpenter.sh/v1"
    kind       = "NodePool"
    metadata = {
      name = local.cloud_node_pool
    }
    spec = {
      template = {
        spec = {
          nodeClassRef = {
            group = "eks.amazonaws.com"
            kind  = "NodeClass"
            name  = "default"
          }
          requirements = [
            { key = "eks.amazonaws.com/instance-cpu", operator = "In", values = [tostring(var.cloud_nodes.vcpus)] },
            { key = "eks.amazonaws.com/instance-memory", operator = "In", values = [tostring(var.cloud_nodes.memory_mib)] },
            { key = "karpenter.sh/capacity-type", operator = "In", values = ["on-demand"] },
            { key = "kubernetes.io/arch", operator = "In", values = ["amd64", "arm64"] },
          ]
        }
      }
      limits = {
        cpu    = tostring(var.cloud_nodes.vcpus * var.cloud_nodes.max_nodes)
        memory = "${var.cloud_nodes.memory_mib * var.cloud_nodes.max_nodes}Mi"
      }
      disruption = {
        consolidationPolicy = "WhenEmptyOrUnderutilized"
        consolidateAfter    = "5m"
      }
    }
  }
}

resource "helm_release" "aws_load_balancer_controller" {
  name       = "aws-load-balancer-controller"
  repository = "https://aws.github.io/eks-charts"
  chart      = "aws-load-balancer-controller"
  version    = var.chart_versions.aws_load_balancer_controller
  namespace  = "kube-system"
  atomic     = true
  timeout    = 600

  values = [yamlencode({
    clusterName = local.cluster.cluster_name
    region      = var.region
    vpcId       = local.cluster.vpc_id
    serviceAccount = {
      create = true
      name   = "aws-load-balancer-controller"
    }
    # The platform chart creates the "alb" IngressClass with its parameters
    # (public subnets, allowed CIDRs).
    createIngressClassResource = false
    # Services of type LoadBalancer stay with EKS Auto Mode's controller;
    # this one serves the "alb" IngressClass only.
    enableServiceMutatorWebhook = false
    # Two replicas on the cloud workers: the controller keeps one node of
    # that pool busy, and never more than the pool's two.
    replicaCount = 2
    nodeSelector = { "karpenter.sh/nodepool" = local.cloud_node_pool }
  })]

  depends_on = [module.lb_controller_identity, kubernetes_manifest.cloud_node_pool]
}

################################################################################
# Longhorn: replicated block storage on the hybrid nodes' data disks
# (/var/lib/longhorn, prepared by the edge-nodes cloud-init).
################################################################################

resource "helm_release" "longhorn" {
  name             = "longhorn"
  repository       = "https://charts.longhorn.io"
  chart            = "longhorn"
  version          = var.chart_versions.longhorn
  namespace        = "longhorn-system"
  create_namespace = true
  atomic           = true
  timeout          = 900

  values = [yamlencode({
    persistence = {
      defaultClass             = true
      defaultClassReplicaCount = var.longhorn_default_replicas
      reclaimPolicy            = "Retain"
    }
    defaultSettings = {
      defaultDataPath                     = "/var/lib/longhorn"
      defaultReplicaCount                 = var.longhorn_default_replicas
      systemManagedComponentsNodeSelector = "eks.amazonaws.com/compute-type:hybrid"
      # Keep volumes writable when one node of three is down for maintenance.
      nodeDownPodDeletionPolicy = "delete-both-statefulset-and-deployment-pod"
    }
    longhornManager = { nodeSelector = local.hybrid_selector }
    longhornDriver  = { nodeSelector = local.hybrid_selector }
    longhornUI      = { nodeSelector = local.hybrid_selector, replicas = 1 }
  })]

  depends_on = [helm_release.calico]
}

################################################################################
# Strimzi: the Kafka operator. The cluster itself (KRaft, 3 brokers, JMX
# exporter, kafka_exporter) and the topics are resources of the
# edgestream-platform chart below.
################################################################################

resource "helm_release" "strimzi" {
  name             = "strimzi"
  repository       = "https://strimzi.io/charts"
  chart            = "strimzi-kafka-operator"
  version          = var.chart_versions.strimzi
  namespace        = "kafka"
  create_namespace = true
  atomic           = true
  timeout          = 600

  values = [yamlencode({
    watchNamespaces = []
    nodeSelector    = local.hybrid_selector
  })]

  depends_on = [helm_release.calico]
}

################################################################################
# KEDA: scales the processor and the archiver (their ScaledObjects are in the
# edgestream chart).
################################################################################

resource "helm_release" "keda" {
  name             = "keda"
  repository       = "https://kedacore.github.io/charts"
  chart            = "keda"
  version          = var.chart_versions.keda
  namespace        = "keda"
  create_namespace = true
  atomic           = true
  timeout          = 600

  values = [yamlencode({
    nodeSelector = local.hybrid_selector
    prometheus = {
      operator     = { enabled = true, serviceMonitor = { enabled = true } }
      metricServer = { enabled = true, serviceMonitor = { enabled = true } }
    }
  })]

  depends_on = [helm_release.kube_prometheus_stack]
}

################################################################################
# kube-prometheus-stack with the monitoring work's values, dashboards and
# alert rules (deploy/monitoring).
################################################################################

resource "helm_release" "kube_prometheus_stack" {
  name             = "kube-prometheus-stack"
  repository       = "https://prometheus-community.github.io/helm-charts"
  chart            = "kube-prometheus-stack"
  version          = var.chart_versions.kube_prometheus_stack
  namespace        = "monitoring"
  create_namespace = true
  atomic           = true
  timeout          = 900

  values = [
    file("${local.monitoring_dir}/kube-prometheus-stack-values.yaml"),
    yamlencode({
      prometheusOperator = { nodeSelector = local.hybrid_selector }
      prometheus = {
        prometheusSpec = {
          nodeSelector = local.hybrid_selector
          # Pick up the ServiceMonitors and PodMonitors of every release.
          serviceMonitorSelectorNilUsesHelmValues = false
          podMonitorSelectorNilUsesHelmValues     = false
          ruleSelectorNilUsesHelmValues           = false
        }
      }
      alertmanager = { alertmanagerSpec = { nodeSelector = local.hybrid_selector } }
      grafana = merge(
        { nodeSelector = local.hybrid_selector },
        var.grafana_admin_password == null ? {} : { adminPassword = var.grafana_admin_password },
      )
      # Each rule file of deploy/monitoring/rules becomes a PrometheusRule.
      additionalPrometheusRulesMap = {
        for f in local.rule_files : "edgestream-${trimsuffix(basename(f), ".yaml")}" => yamldecode(file("${local.monitoring_dir}/${f}"))
      }
    }),
  ]

  depends_on = [helm_release.longhorn]
}

# Grafana's dashboard sidecar loads every ConfigMap labelled grafana_dashboard.
resource "kubernetes_config_map_v1" "dashboards" {
  for_each = local.dashboards

  metadata {
    name      = "edgestream-dashboard-${trimsuffix(basename(each.value), ".json")}"
    namespace = "monitoring"
    labels = {
      grafana_dashboard = "1"
    }
  }

  data = {
    (basename(each.value)) = file("${local.monitoring_dir}/${each.value}")
  }

  depends_on = [helm_release.kube_prometheus_stack]
}

################################################################################
# The platform resources that are custom resources of the charts above: the
# Kafka cluster and its topics (Strimzi), Calico's BGP peering, the ALB
# ingress class (AWS Load Balancer Controller), Kafka's monitors. A local chart, so they are
# applied after their CRDs exist (no plan-time CRD lookup).
################################################################################

resource "helm_release" "platform" {
  name      = "edgestream-platform"
  chart     = "${path.module}/../../helm/edgestream-platform"
  namespace = "kafka"
  atomic    = true
  timeout   = 1200

  values = [yamlencode({
    kafka = {
      version        = var.kafka.version
      brokerStorage  = var.kafka.broker_storage
      volumeReplicas = var.kafka.volume_replicas
    }
    # One object shape in both cases: a conditional between objects of
    # different attributes unifies them into a map of strings, and the
    # chart's schema would then reject "65000" and "true" as ASN and flag.
    calicoBgp = {
      enabled    = var.router_bgp != null
      peerIp     = try(var.router_bgp.peer_ip, "")
      peerAsn    = try(var.router_bgp.peer_asn, 65000)
      clusterAsn = try(var.router_bgp.cluster_asn, 64600)
    }
    albIngressClass = {
      enabled      = true
      allowedCidrs = var.smoke_app.allowed_cidrs
      subnetIds    = local.network.public_subnet_ids
    }
  })]

  depends_on = [helm_release.strimzi, helm_release.calico, helm_release.kube_prometheus_stack, helm_release.aws_load_balancer_controller]
}
