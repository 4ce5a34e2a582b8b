#!/usr/bin/env bash
# The Dockerfile's runtime stage installs the packages tools/runtime-packages.sh
# finds for the three binaries. Here the same script runs on the binaries of
# this build tree (Debian 12, as the image's build stage): every library they
# load must map to a Debian package. Binaries not built yet are reported.
set -euo pipefail
bin_dir=${1:?usage: check-image-runtime.sh BIN_DIR}
cd "$(dirname "$0")/../.."
binaries=()
for name in edgestream-simulator edgestream-processor edgestream-archiver; do
  if [[ -x $bin_dir/$name ]]; then
    binaries+=("$bin_dir/$name")
  else
    echo "check-image-runtime: $name is not built in $bin_dir (not checked)"
  fi
done
if ((${#binaries[@]} == 0)); then
  echo "check-image-runtime: none of the three binaries is built in $bin_dir" >&2
  exit 1
fi
packages=$(tools/runtime-packages.sh "${binaries[@]}")
echo "check-image-runtime: ${#binaries[@]} binaries need these Debian packages at run time:"
echo "$packages" | sed 's/^/  /'
grep -qx librdkafka1 <<<"$packages" || { echo "check-image-runtime: librdkafka1 missing from the list; the ldd mapping is broken" >&2; exit 1; }
