#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine:
#   installs what is missing, builds with ASan + UBSan, starts the local stack
#   (Kafka, S3 server, Prometheus, exporters), runs every unit, integration,
#   fuzz and deployment check through ctest, and stops the stack it started.
# Output ends with ctest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
[[ -x tests/deploy/install-tools.sh ]] && tests/deploy/install-tools.sh
scripts/build.sh sanitize

# Fuzz targets need clang's libFuzzer; they get their own build tree.
if [[ ${EDGESTREAM_SKIP_FUZZ:-0} != 1 ]]; then
  CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DEDGESTREAM_FUZZ=ON >/dev/null
  cmake --build build/fuzz --target record_parser_fuzz
  ctest --test-dir build/fuzz -L fuzz --output-on-failure
fi

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
