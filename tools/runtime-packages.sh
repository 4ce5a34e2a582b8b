#!/usr/bin/env bash
# Prints, one per line, the Debian packages that own the shared libraries the
# given binaries load (ldd), leaving out the ones every Debian image has
# (libc6, libgcc-s1, libstdc++6 are in debian:12-slim). The Dockerfile's
# runtime stage installs exactly these. Fails, naming the library, when no
# package owns one (a library built from source would need copying instead).
#
#   tools/runtime-packages.sh build/release/bin/edgestream-*
set -euo pipefail
(($# > 0)) || { echo "usage: runtime-packages.sh BINARY..." >&2; exit 2; }

# dpkg registers files under the path the package ships them at; on merged-/usr
# systems ldd may report the other spelling (/lib vs /usr/lib), so try both.
owner() {
  local lib=$1 candidate
  for candidate in "$lib" "${lib#/usr}" "/usr$lib" "$(readlink -f "$lib")"; do
    if dpkg -S "$candidate" 2>/dev/null | cut -d: -f1 | head -n1 | grep .; then
      return 0
    fi
  done
  echo "runtime-packages: no Debian package owns $lib" >&2
  return 1
}

libs=$(ldd "$@" | awk '/=> \// {print $3}' | sort -u)
packages=()
for lib in $libs; do
  packages+=("$(owner "$lib")")
done
printf '%s\n' "${packages[@]}" | sort -u | grep -vxE 'libc6|libgcc-s1|libstdc\+\+6' || true
