# Sourced by the chart checks: the charts under deploy/helm, the values files
# each is rendered with, and the Kubernetes version rendered for (the
# cluster part's default kubernetes_version).
KUBE_VERSION=1.34.0
HELM=var/cache/bin/helm
# chart|values file ("" = the chart's defaults)|release name|namespace
CHART_RENDERS=(
  "deploy/helm/edgestream||edgestream|edgestream"
  "deploy/helm/edgestream|deploy/helm/edgestream/values-production.yaml|edgestream|edgestream"
)
