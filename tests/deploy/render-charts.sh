#!/usr/bin/env bash
# Renders every chart/values combination of tests/deploy/charts.sh into
# OUTDIR/<chart>-<values>.yaml (helm template, offline), and every local
# chart of the Terraform parts with the values Terraform passes
# (render-terraform-charts.sh).
set -euo pipefail
out=${1:?usage: render-charts.sh OUTDIR}
cd "$(dirname "$0")/../.."
source tests/deploy/charts.sh
mkdir -p "$out"
for entry in "${CHART_RENDERS[@]}"; do
  IFS='|' read -r chart values release namespace <<<"$entry"
  args=(template "$release" "$chart" --namespace "$namespace" --kube-version "$KUBE_VERSION")
  name=$(basename "$chart")-default
  if [[ -n $values ]]; then
    args+=(-f "$values")
    name=$(basename "$chart")-$(basename "$values" .yaml)
  fi
  "$HELM" "${args[@]}" >"$out/$name.yaml"
  echo "rendered $chart ${values:-(defaults)} -> $out/$name.yaml"
done
for part in "${TERRAFORM_CHART_PARTS[@]}"; do
  tests/deploy/render-terraform-charts.sh "$part" "$out"
done
