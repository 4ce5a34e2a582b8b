#!/usr/bin/env bash
# tflint with the bundled terraform ruleset ("all" preset, deploy/terraform/.tflint.hcl)
# over each Terraform part. Remote modules are not downloaded (no terraform
# init offline), so calls into them are checked for their arguments only.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
status=0
for part in deploy/terraform/*/; do
  [[ -n $(find "$part" -maxdepth 1 -name '*.tf' -print -quit) ]] || continue
  echo "tflint: $part"
  if ! (cd "$part" && "$root/var/cache/bin/tflint" --config "$root/deploy/terraform/.tflint.hcl" --format compact --no-color); then
    status=1
  fi
done
exit $status
