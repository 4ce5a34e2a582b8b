#!/usr/bin/env bash
# Renders every local chart a Terraform part installs (helm_release with a
# chart path) with exactly the values Terraform would pass, evaluated from the
# part's source by `hclcheck helm-values` (example tfvars, remote-state
# outputs of the sibling parts, plan-time placeholders for what only apply
# knows). helm template validates the values against the chart's
# values.schema.json, as helm install does. Writes
# OUTDIR/<chart>-terraform-<part>.yaml; exits non-zero on the first failure.
set -euo pipefail
part=${1:?usage: render-terraform-charts.sh PART_DIR OUTDIR}
out=${2:?usage: render-terraform-charts.sh PART_DIR OUTDIR}
cd "$(dirname "$0")/../.."
source tests/deploy/charts.sh
python=var/venv-deploy/bin/python
values=$(mktemp -d)
trap 'rm -rf "$values"' EXIT
mkdir -p "$out"
"$HCLCHECK" helm-values -placeholders "$PLAN_TIME_OUTPUTS" "$part" >"$values/releases.json"
"$python" tests/deploy/terraform_values.py "$values/releases.json" "$values" >"$values/local.txt"
if [[ ! -s $values/local.txt ]]; then
  echo "render-terraform-charts: $part installs no local chart"
  exit 0
fi
while IFS='|' read -r chart release namespace files; do
  args=(template "$release" "$chart" --namespace "$namespace" --kube-version "$KUBE_VERSION")
  IFS=',' read -ra list <<<"$files"
  for file in "${list[@]}"; do
    args+=(-f "$file")
  done
  name=$(basename "$chart")-terraform-$(basename "$part")
  "$HELM" "${args[@]}" >"$out/$name.yaml"
  echo "rendered $chart with the values of $part -> $out/$name.yaml"
done <"$values/local.txt"
