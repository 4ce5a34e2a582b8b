#!/usr/bin/env bash
# Configures and builds edgestream.
#   scripts/build.sh release   -> build/release   (optimised; what the run command uses)
#   scripts/build.sh sanitize  -> build/sanitize  (ASan + UBSan; what the test suite uses)
# Further arguments name targets to build (default: everything).
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
shift || true
case $flavour in
  release) args=(-DCMAKE_BUILD_TYPE=Release) ;;
  sanitize) args=(-DCMAKE_BUILD_TYPE=Debug -DEDGESTREAM_SANITIZE=ON) ;;
  *) echo "build.sh: unknown flavour '$flavour' (release|sanitize)" >&2; exit 2 ;;
esac
cmake -S . -B "build/$flavour" -G Ninja "${args[@]}" >/dev/null
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build "build/$flavour" "${targets[@]}"
