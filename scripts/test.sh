#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine:
#   installs what is missing, builds with ASan + UBSan, starts the local stack
#   (Kafka, S3 server, Prometheus, exporters), runs every unit, integration,
#   fuzz and deployment check through ctest, and stops the stack it started.
# Output ends with ctest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

# The stack's and the deployment checks' tools (Maven and Go downloads and
# builds) are fetched while the C++ code compiles; their logs go to var/ and
# are shown if they fail.
mkdir -p var/log
scripts/stack.sh install >var/log/stack-install.log 2>&1 &
stack_install=$!
tests/deploy/install-tools.sh >var/log/deploy-tools-install.log 2>&1 &
tools_install=$!
scripts/install-jaeger.sh >var/log/jaeger-install.log 2>&1 &
jaeger_install=$!
scripts/cluster.sh install >var/log/cluster-install.log 2>&1 &
cluster_install=$!
wait_for() { # wait_for PID LOG WHAT
  if ! wait "$1"; then
    tail -n 40 "$2" >&2
    echo "test.sh: $3 failed; full log in $2" >&2
    exit 1
  fi
}

scripts/build.sh sanitize
# The chart's image on the local cluster (tests/cluster/test_chart.py) holds
# optimised binaries, as the Dockerfile's does.
scripts/build.sh release edgestream-simulator edgestream-processor edgestream-archiver

# Fuzz targets need clang's libFuzzer; they get their own build tree.
if [[ ${EDGESTREAM_SKIP_FUZZ:-0} != 1 ]]; then
  CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DEDGESTREAM_FUZZ=ON >/dev/null
  cmake --build build/fuzz --target fuzz_targets
  ctest --test-dir build/fuzz -L fuzz --output-on-failure
fi

wait_for "$stack_install" var/log/stack-install.log "installing the local stack"
wait_for "$tools_install" var/log/deploy-tools-install.log "installing the deployment check tools"
wait_for "$jaeger_install" var/log/jaeger-install.log "building Jaeger (tracing tests)"
wait_for "$cluster_install" var/log/cluster-install.log "installing the local Kubernetes cluster (cluster tests)"

started_stack=0
if ! scripts/stack.sh status >/dev/null 2>&1; then
  scripts/stack.sh start
  started_stack=1
fi
stop_stack() { ((started_stack)) && scripts/stack.sh stop >/dev/null 2>&1 || true; }
trap stop_stack EXIT

# Sanitizer reports fail the process that produced them.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir build/sanitize -LE fuzz --output-on-failure --timeout 900 "$@"
