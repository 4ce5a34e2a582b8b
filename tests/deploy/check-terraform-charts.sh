#!/usr/bin/env bash
# What Terraform would really install and route, checked from its source:
#
#   1. routing and access policies of the hybrid-nodes set-up
#      (hclcheck routing: API endpoint mode and allowed CIDRs, VPN route
#      propagation for the load balancers' subnets, cluster security group
#      rules for the remote ranges, node add-ons before any node exists);
#   2. the values Terraform passes to third-party charts against the charts'
#      own values.yaml and CRDs (check_chart_values.py; the charts whose
#      source cannot be obtained offline are listed);
#   3. every local chart rendered with exactly those values, which validates
#      them against the chart's values.schema.json as helm install does.
#      (check-helm-validate.sh then validates the rendered manifests.)
#
# Each step also runs on a known-bad fixture that it must reject, naming the
# problem, so the check cannot pass vacuously.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/deploy/charts.sh
python=var/venv-deploy/bin/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

# expect_rejection NAME LOG STATUS MESSAGE...: the known-bad run must exit 1
# and print every MESSAGE.
expect_rejection() {
  local name=$1 log=$2 status=$3
  shift 3
  local missing=0 message
  for message in "$@"; do
    if ! grep -qF -- "$message" "$log"; then
      echo "check-terraform-charts: $name: the known-bad fixture was not reported for: $message" >&2
      missing=1
    fi
  done
  if ((status != 1 || missing)); then
    echo "check-terraform-charts: $name: the known-bad fixture was not rejected as expected (exit $status):" >&2
    cat "$log" >&2
    failed=1
  else
    echo "check-terraform-charts: $name: the known-bad fixture is rejected ($# problems named)"
  fi
}

echo "== routing and access policies"
"$HCLCHECK" routing -placeholders "$PLAN_TIME_OUTPUTS" deploy/terraform || failed=1
set +e
"$HCLCHECK" routing tools/hclcheck/testdata/routing-bad >"$work/routing-bad.log" 2>&1
status=$?
set -e
expect_rejection routing "$work/routing-bad.log" "$status" \
  "hybrid nodes with a public and private API endpoint" \
  "add-on coredns needs a Ready node" \
  "no all-traffic ingress rule for the remote range 192.168.64.0/18" \
  "propagate_public_route_tables_vgw is not true"

echo "== values passed to third-party charts"
for part in "${TERRAFORM_CHART_PARTS[@]}"; do
  "$HCLCHECK" helm-values -placeholders "$PLAN_TIME_OUTPUTS" "$part" >"$work/releases.json"
  "$python" tests/deploy/check_chart_values.py "$work/releases.json" --charts var/cache/charts || failed=1
done
bad=tests/deploy/fixtures/terraform-values-bad/cluster-addons
"$HCLCHECK" helm-values "$bad" >"$work/bad-releases.json"
set +e
"$python" tests/deploy/check_chart_values.py "$work/bad-releases.json" --charts var/cache/charts >"$work/values-bad.log" 2>&1
status=$?
set -e
expect_rejection chart-values "$work/values-bad.log" "$status" \
  "tigeraOperator.nodeSelector: not a key of the chart" \
  "'controlPlaneReplica' was unexpected"

echo "== local charts rendered with the values Terraform passes"
for part in "${TERRAFORM_CHART_PARTS[@]}"; do
  tests/deploy/render-terraform-charts.sh "$part" "$work/rendered" || failed=1
done
set +e
tests/deploy/render-terraform-charts.sh "$bad" "$work/rendered-bad" >"$work/render-bad.log" 2>&1
status=$?
set -e
expect_rejection chart-schema "$work/render-bad.log" "$status" \
  "values don't meet the specifications of the schema" \
  "inboundCidrs"

exit $failed
