#!/usr/bin/env bash
# actionlint: workflow syntax, expressions, action inputs, job dependencies.
set -euo pipefail
cd "$(dirname "$0")/../.."
shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if ((${#workflows[@]} == 0)); then
  echo "check-workflows: no workflows under .github/workflows" >&2
  exit 1
fi
var/cache/bin/actionlint -no-color "${workflows[@]}"
echo "actionlint: ${#workflows[@]} workflows, no problems"
