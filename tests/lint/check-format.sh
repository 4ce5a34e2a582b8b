#!/usr/bin/env bash
# Layout check: the C++ files listed in tests/lint/format-checked.txt are
# formatted as .clang-format says. The list holds every file that was
# formatted when the configuration came; older files join it in the commit
# that reformats them as a whole (a mass reformat would collide with every
# open change), new files in the commit that adds them.
set -euo pipefail
cd "$(dirname "$0")/../.."
list=tests/lint/format-checked.txt
command -v clang-format >/dev/null ||
  { echo "check-format: clang-format is missing; run scripts/install-deps.sh" >&2; exit 1; }

mapfile -t files < <(grep -v -e '^#' -e '^$' "$list")
for file in "${files[@]}"; do
  [[ -f $file ]] || { echo "check-format: $list lists $file, which does not exist; remove the line" >&2; exit 1; }
done
if ! clang-format --dry-run --Werror "${files[@]}"; then
  echo "check-format: run clang-format -i on the files above" >&2
  exit 1
fi
