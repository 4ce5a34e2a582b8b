#!/usr/bin/env bash
# Renders the charts and validates every manifest against the Kubernetes
# OpenAPI schemas (kubernetes-validate) and the KEDA / prometheus-operator CRD
# schemas, then applies the chart policies (validate_manifests.py). A
# known-bad manifest must fail the same validator, so the check cannot pass
# vacuously.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/deploy/charts.sh
python=var/venv-deploy/bin/python
rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT
tests/deploy/render-charts.sh "$rendered"
"$python" tests/deploy/validate_manifests.py --kube-version "$KUBE_VERSION" --crds var/cache/crds \
  --no-schema-kinds "$NO_SCHEMA_KINDS" "$rendered"/*.yaml
# The plain smoke-app manifest: schemas and workload hardening (it has a
# PodDisruptionBudget but nothing to scrape).
"$python" tests/deploy/validate_manifests.py --kube-version "$KUBE_VERSION" --crds var/cache/crds \
  --no-schema-kinds "$NO_SCHEMA_KINDS" --no-coverage deploy/smoke/eks-app.yaml

set +e
"$python" tests/deploy/validate_manifests.py --kube-version "$KUBE_VERSION" --crds var/cache/crds \
  --no-schema-kinds "$NO_SCHEMA_KINDS" tests/deploy/fixtures/bad-manifests.yaml >"$rendered/bad.log" 2>&1
status=$?
set -e
# Exit 1 (problems found), not 0 (accepted) nor a crash; and each rule the
# fixture breaks must be named.
expected=(
  "Deployment/bad: spec/template/spec/containers/0: Additional properties are not allowed ('livenesProbe' was unexpected)"
  "Deployment/bad: pod securityContext.runAsNonRoot is not true"
  "Deployment/bad: not scheduled on hybrid nodes"
  "container bad: root file system is not read-only"
  "container bad: capabilities are not all dropped"
  "container bad: privileged"
  "container bad: runs as uid 0"
  "container bad: no resource requests"
  "container bad: no readinessProbe"
  "Deployment/bad: no PodDisruptionBudget selects its pods"
  "Deployment/bad: no ServiceMonitor selects a Service of its pods"
  "ScaledObject/bad: scale target Deployment/missing is not in the release"
  "ScaledObject/bad: maxReplicaCount 10 exceeds the 3 partitions of raw-data"
  "ScaledObject/bad: Kafka trigger without consumerGroup"
  "ScaledObject/bad: Prometheus trigger does not measure the raw-data rate"
  "ScaledObject/bad: Prometheus trigger threshold is not 400 msg/s"
  "ServiceMonitor/bad: spec/endpoints"
  "Unknown/bad: no schema for example.com/v1 Unknown"
  "KafkaTopic/raw-data: replicas 1 (want 3)"
  "KafkaTopic/raw-data: min.insync.replicas is not 2"
  "KafkaTopic raw-data: 6 partitions (want 3)"
  "KafkaTopic processor-partials: missing"
  "container bad: no Kafka credentials (EDGESTREAM_PROCESSOR_KAFKA_PASSWORD_FILE)"
  "container bad: the transactional id follows the pod name of a Deployment"
  "ScaledObject/bad: Kafka trigger does not use SASL SCRAM-SHA-512 over TLS"
  "ScaledObject/bad: Kafka trigger without authenticationRef"
  "TriggerAuthentication/bad: spec: Additional properties are not allowed ('secretTargetRefs' was unexpected)"
  "Kafka/bad: listener plain is not TLS with SCRAM-SHA-512 authentication"
  "Kafka/bad: no ACL authorization"
  "KafkaUser/bad: authentication is not scram-sha-512"
  "KafkaUser/bad: ACL on every topic (wildcard name)"
  "KafkaUser/bad: ACL grants All on topic *"
)
missing=0
for line in "${expected[@]}"; do
  if ! grep -qF -- "$line" "$rendered/bad.log"; then
    echo "check-helm-validate: the validator did not report: $line" >&2
    missing=1
  fi
done
if ((status != 1 || missing)); then
  echo "check-helm-validate: the known-bad fixture was not rejected as expected (exit $status):" >&2
  cat "$rendered/bad.log" >&2
  exit 1
fi
echo "check-helm-validate: the known-bad fixture is rejected with all ${#expected[@]} expected problems"
