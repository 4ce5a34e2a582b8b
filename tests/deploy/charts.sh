# Sourced by the chart checks: the charts under deploy/helm, the values files
# each is rendered with, and the Kubernetes version rendered for (the
# cluster part's default kubernetes_version).
KUBE_VERSION=1.34.0
HELM=var/cache/bin/helm
# chart|values file ("" = the chart's defaults)|release name|namespace
CHART_RENDERS=(
  "deploy/helm/edgestream||edgestream|kafka"
  "deploy/helm/edgestream|deploy/helm/edgestream/values-production.yaml|edgestream|kafka"
  "deploy/helm/edgestream|tests/deploy/fixtures/edgestream-tracing-values.yaml|edgestream|kafka"
  "deploy/helm/edgestream-platform||edgestream-platform|kafka"
)
# Terraform parts whose local charts are also rendered with exactly the
# values Terraform passes (render-terraform-charts.sh), evaluated from the
# Terraform source, with these stand-ins for outputs known only after apply.
HCLCHECK=var/cache/bin/hclcheck
# Every part with a helm_release, found rather than listed, so a new one is
# checked without anyone remembering to add it here.
mapfile -t TERRAFORM_CHART_PARTS < <(grep -l '^resource "helm_release"' deploy/terraform/*/*.tf | xargs -n1 dirname | sort -u)
PLAN_TIME_OUTPUTS=tests/deploy/fixtures/plan-time-outputs.json
# Custom resources whose CRDs cannot be obtained offline (Strimzi's
# repository is Java and not served by the Go module proxy; Calico's
# repository is served only at a snapshot whose BGP CRDs are not in a chart
# folder): validate_manifests.py applies its policies to them instead.
NO_SCHEMA_KINDS=Kafka,KafkaNodePool,KafkaTopic,KafkaUser,BGPConfiguration,BGPPeer
