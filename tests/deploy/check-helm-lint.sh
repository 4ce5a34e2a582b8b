#!/usr/bin/env bash
# helm lint --strict of every chart with every values file it ships.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/deploy/charts.sh
for entry in "${CHART_RENDERS[@]}"; do
  IFS='|' read -r chart values _ _ <<<"$entry"
  args=(lint --strict --kube-version "$KUBE_VERSION" "$chart")
  [[ -n $values ]] && args+=(-f "$values")
  echo "helm ${args[*]}"
  "$HELM" "${args[@]}"
done
