# Sourced by the chart checks: the charts under deploy/helm, the values files
# each is rendered with, and the Kubernetes version rendered for (the
# cluster part's default kubernetes_version).
KUBE_VERSION=1.34.0
HELM=var/cache/bin/helm
# chart|values file ("" = the chart's defaults)|release name|namespace
CHART_RENDERS=(
  "deploy/helm/edgestream||edgestream|edgestream"
  "deploy/helm/edgestream|deploy/helm/edgestream/values-production.yaml|edgestream|edgestream"
  "deploy/helm/edgestream-platform||edgestream-platform|kafka"
  "deploy/helm/edgestream-platform|tests/deploy/fixtures/platform-values.yaml|edgestream-platform|kafka"
)
# Custom resources of the platform chart whose CRDs no package registry ships
# (Strimzi is Java, Calico's and EKS Auto Mode's CRDs are not Go module
# files): validate_manifests.py applies its policies to them instead.
NO_SCHEMA_KINDS=Kafka,KafkaNodePool,KafkaTopic,BGPConfiguration,BGPPeer,IngressClassParams
