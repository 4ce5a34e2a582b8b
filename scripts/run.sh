#!/usr/bin/env bash
# The pipeline, live, from a fresh Debian 12 machine:
#   installs what is missing, builds (optimised), starts the local stack, runs
#   the simulator, the processor and the archiver, and shows messages/s in and
#   out, consumer lag and archived files as they arrive, until Ctrl-C.
# Logs: var/run/<component>.log. Rate: EDGESTREAM_SIMULATOR_RATE (default 100).
# Archive period: EDGESTREAM_ARCHIVER_PERIOD_SECONDS (default 60 here).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

scripts/install-deps.sh
scripts/build.sh release edgestream-simulator edgestream-processor edgestream-archiver
scripts/stack.sh start
# shellcheck disable=SC1091
source var/edgestream.env

bin=$repo/build/release/bin
run_dir=$repo/var/run
mkdir -p "$run_dir" var/archiver-spool
pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "run: stopping the pipeline (the stack keeps running; scripts/stack.sh stop stops it)"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all INT TERM EXIT

start() {
  local name=$1
  shift
  "$@" >>"$run_dir/$name.log" 2>&1 &
  pids+=($!)
  echo "run: started $name (pid $!, log var/run/$name.log)"
}

start processor "$bin/edgestream-processor" --instance-id local-1 \
  --metrics-address "127.0.0.1:${EDGESTREAM_PROCESSOR_METRICS_PORT:-19465}"
# One-minute files here, so archived files show up while you watch; the
# production default is an hour (--period-seconds 3600).
start archiver "$bin/edgestream-archiver" --spool-dir var/archiver-spool \
  --period-seconds "${EDGESTREAM_ARCHIVER_PERIOD_SECONDS:-60}" --grace-seconds 10 \
  --metrics-address "127.0.0.1:${EDGESTREAM_ARCHIVER_METRICS_PORT:-19466}"
start simulator "$bin/edgestream-simulator" --rate "${EDGESTREAM_SIMULATOR_RATE:-100}" \
  --metrics-address "127.0.0.1:${EDGESTREAM_SIMULATOR_METRICS_PORT:-19464}"

var/venv/bin/python scripts/live_view.py
