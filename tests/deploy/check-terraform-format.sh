#!/usr/bin/env bash
# Every Terraform/HCL file under deploy/terraform parses, is in canonical
# format (hclwrite.Format, the formatter of terraform fmt) and passes the
# repository policies of tools/hclcheck.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec var/cache/bin/hclcheck deploy/terraform
