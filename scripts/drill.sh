#!/usr/bin/env bash
# Resilience drills against the local stack, unattended, each ending by itself
# with a report (var/reports/<drill>-<UTC time>/report.md and PNG plots):
#   scripts/drill.sh load   500 msg/s for 10 minutes: lag, latency, CPU, audit
#   scripts/drill.sh cut    the same load with the archiver's link to S3 cut for
#                           10 minutes: backlog in Kafka, catch-up, audit
#   scripts/drill.sh scale  the KEDA ramp on the local Kubernetes (needs
#                           scripts/cluster.sh up)
#   scripts/drill.sh all    load, then cut, then scale when the cluster is up
#                           (else the summary says scale was skipped), one summary
# Options (after the drill's name): --rate, --minutes, --devices, --cut-minutes,
# --cut-after-minutes, --period-seconds, ...; --help lists them.
# Installs what is missing, builds (optimised) and starts the stack like
# scripts/run.sh. Exit code: 0 every criterion passed, 1 one failed, 2 the
# drill could not run, 3 scale without a cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -eq 0 || ! $1 =~ ^(load|cut|scale|all|-h|--help)$ ]]; then
  echo "usage: scripts/drill.sh load|cut|scale|all [options]  (scripts/drill.sh load --help lists the options)" >&2
  exit 2
fi
scripts/install-deps.sh
scripts/build.sh release edgestream-simulator edgestream-processor edgestream-archiver edgestream-audit
scripts/stack.sh start
exec var/venv/bin/python scripts/drill.py "$@"
