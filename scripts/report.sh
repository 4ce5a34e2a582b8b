#!/usr/bin/env bash
# Renders the golden signals (latency, traffic, errors, saturation) of the
# running local stack from Prometheus as a PNG, for people who would rather
# look than read. Usage: scripts/report.sh [MINUTES] [OUTPUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f var/edgestream.env ]] || { echo "report: the local stack is not running (scripts/stack.sh start)" >&2; exit 2; }
# shellcheck disable=SC1091
source var/edgestream.env
minutes=${1:-30}
output=${2:-var/report/golden-signals.png}
mkdir -p "$(dirname "$output")"
var/venv/bin/python deploy/monitoring/render_report.py --prometheus "$PROMETHEUS_URL" \
  --minutes "$minutes" --rate-interval 30s --output "$output"
echo "report: wrote $output"
