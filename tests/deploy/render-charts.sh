#!/usr/bin/env bash
# Renders every chart/values combination of tests/deploy/charts.sh into
# OUTDIR/<chart>-<values>.yaml (helm template, offline).
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
