#!/usr/bin/env bash
# Builds edgestream's container image for the local cluster without a
# registry or a container engine: the same content as the Dockerfile's
# runtime stage, from a Debian 12 base made by debootstrap instead of
# debian:12-slim.
#
#   scripts/build-edgestream-image.sh [BIN_DIR]     (default build/release/bin)
#
# Layer 1, cached per package set in var/cache/edgestream-base-<hash>.tar:
# debootstrap's minbase of bookworm with the shared libraries the binaries
# load (tools/runtime-packages.sh, as the Dockerfile does), CA certificates,
# the user edgestream (65532) and its spool folder. Layer 2: the three
# binaries in /usr/local/bin, stripped. The runtime settings are the
# Dockerfile's (user 65532, EDGESTREAM_METRICS_ADDRESS,
# EDGESTREAM_ARCHIVER_SPOOL_DIR). The archive is written to
# var/cluster-images/edgestream-<binaries' hash>.tar; the script prints its
# path, and the image's name on the second line:
# localhost/edgestream/edgestream:<binaries' hash>.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
# shellcheck source=lib/cache.sh
source scripts/lib/cache.sh
# shellcheck source=lib/image-archive.sh
source scripts/lib/image-archive.sh
link_cache "$repo"

bin_dir=${1:-build/release/bin}
readonly binaries=(edgestream-simulator edgestream-processor edgestream-archiver)
for binary in "${binaries[@]}"; do
  [[ -x $bin_dir/$binary ]] ||
    { echo "build-edgestream-image: $bin_dir/$binary is missing; build it: scripts/build.sh release ${binaries[*]}" >&2; exit 1; }
done
command -v debootstrap >/dev/null ||
  { echo "build-edgestream-image: debootstrap is missing; apt-get install debootstrap" >&2; exit 1; }

# The Debian mirror this machine's apt uses; debootstrap fetches from it.
mirror() {
  local uri
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [[ -n $uri ]] || uri=$(awk '$1 == "deb" && $0 ~ / bookworm / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [[ -n $uri ]] || { echo "build-edgestream-image: no Debian bookworm source in /etc/apt" >&2; exit 1; }
  echo "$uri"
}

packages=$(tools/runtime-packages.sh "${binaries[@]/#/$bin_dir/}" | sort -u | paste -sd, -)
base_hash=$( (echo "$packages"; sha256sum scripts/build-edgestream-image.sh) | sha256sum | cut -c1-12)
base=$repo/var/cache/edgestream-base-$base_hash.tar

scratch=$(mktemp -d "$repo/var/edgestream-image.XXXXXX")
cleanup() {
  # debootstrap may leave proc or sys mounted in the target on failure.
  local target
  while read -r target; do umount -l "$target" 2>/dev/null || true; done < <(findmnt -rn -o TARGET | grep -F "$scratch" | sort -r)
  rm -rf "$scratch"
}
trap cleanup EXIT

if [[ ! -s $base ]]; then
  exec 9>"$repo/var/cache/edgestream-base.lock"
  flock 9
  if [[ ! -s $base ]]; then
    echo "build-edgestream-image: debootstrap bookworm minbase with $packages" >&2
    rootfs=$scratch/base
    debootstrap --variant=minbase --include="ca-certificates,$packages" bookworm "$rootfs" "$(mirror)" >&2
    chroot "$rootfs" groupadd --system --gid 65532 edgestream
    chroot "$rootfs" useradd --system --uid 65532 --gid 65532 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin edgestream
    install -d -o 65532 -g 65532 -m 0750 "$rootfs/var/spool/edgestream"
    # What a container never uses: package caches and lists, documentation.
    rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
      "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/* "$rootfs"/debootstrap
    layer_tar "$rootfs" "$base.tmp"
    mv "$base.tmp" "$base"
  fi
  flock -u 9
fi

mkdir -p "$scratch/app/usr/local/bin"
for binary in "${binaries[@]}"; do
  install -m 0755 -s "$bin_dir/$binary" "$scratch/app/usr/local/bin/"
done
hash=$( (cd "$scratch/app" && sha256sum usr/local/bin/*; echo "$base_hash") | sha256sum | cut -c1-12)
reference=localhost/edgestream/edgestream:$hash
mkdir -p var/cluster-images
out=$repo/var/cluster-images/edgestream-$hash.tar
if [[ ! -s $out ]]; then
  # One archive at a time (about 130 MB each): containerd keeps its own copy.
  rm -f var/cluster-images/edgestream-*.tar
  cp "$base" "$scratch/base.tar"
  layer_tar "$scratch/app" "$scratch/app.tar"
  write_image_archive "$out.tmp" "$reference" \
    '{"User":"65532:65532","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","EDGESTREAM_METRICS_ADDRESS=0.0.0.0:9464","EDGESTREAM_ARCHIVER_SPOOL_DIR=/var/spool/edgestream"],"Cmd":["edgestream-processor","--help"],"ExposedPorts":{"9464/tcp":{}},"WorkingDir":"/"}' \
    "$scratch/base.tar" "$scratch/app.tar"
  mv "$out.tmp" "$out"
fi
echo "$out"
echo "$reference"
