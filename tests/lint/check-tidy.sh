#!/usr/bin/env bash
# Static checks: clang-tidy with the project's .clang-tidy over the sources
# listed in tests/lint/tidy-files.txt, using the compile commands of the build
# tree given as the first argument. The list holds the files that pass today
# (the pure cores, common, the contract); a file joins it in the commit that
# makes it pass, and every new source file should be on it.
#   tests/lint/check-tidy.sh build/sanitize
set -euo pipefail
build=$(realpath "${1:?usage: check-tidy.sh <build directory with compile_commands.json>}")
cd "$(dirname "$0")/../.."
command -v clang-tidy >/dev/null ||
  { echo "check-tidy: clang-tidy is missing; run scripts/install-deps.sh" >&2; exit 1; }
[[ -f $build/compile_commands.json ]] ||
  { echo "check-tidy: $build/compile_commands.json is missing; configure that build first" >&2; exit 1; }

mapfile -t files < <(grep -v -e '^#' -e '^$' tests/lint/tidy-files.txt)
for file in "${files[@]}"; do
  [[ -f $file ]] || { echo "check-tidy: tests/lint/tidy-files.txt lists $file, which does not exist" >&2; exit 1; }
done
# GCC-only warning flags in the compile commands are not errors for clang.
printf '%s\n' "${files[@]}" |
  xargs -P "$(nproc)" -n 1 clang-tidy --quiet -p "$build" --extra-arg=-Wno-unknown-warning-option
