#!/usr/bin/env bash
# Builds the local cluster's own container images from stack/cluster/images
# (no image registry is reachable from this machine), once per source hash,
# into the shared cache as image archives that `ctr images import` reads:
#
#   var/cache/cluster-images-<hash>/pause.tar   localhost/edgestream/pause:<hash>  (pod sandbox)
#   var/cache/cluster-images-<hash>/probe.tar   localhost/edgestream/probe:<hash>  (test workload)
#
# Each image is one layer holding one static Go binary, written in the
# Docker archive layout (manifest.json, config, layer tar). Prints the
# folder on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
# shellcheck source=lib/cache.sh
source scripts/lib/cache.sh
# shellcheck source=lib/image-archive.sh
source scripts/lib/image-archive.sh
link_cache "$repo"

sources=stack/cluster/images
# The images change with their sources and with the way they are written.
hash=$( (find "$sources" -type f -print0 | sort -z | xargs -0 sha256sum
        sha256sum scripts/build-cluster-images.sh scripts/lib/image-archive.sh) | sha256sum | cut -c1-12)
out=$repo/var/cache/cluster-images-$hash
readonly images=(pause probe)
complete() {
  local name
  for name in "${images[@]}"; do [[ -s $out/$name.tar ]] || return 1; done
}
if complete; then echo "$out"; exit 0; fi

mkdir -p "$repo/var/cache"
exec 9>"$repo/var/cache/cluster-images-build.lock"
flock 9
if complete; then echo "$out"; exit 0; fi

go=${EDGESTREAM_GO:-/usr/local/go/bin/go}
[[ -x $go ]] || go=$(command -v go || true)
[[ -n $go ]] || { echo "build-cluster-images: no Go toolchain; install Go >= 1.24" >&2; exit 1; }

scratch=$(mktemp -d "$repo/var/cache/cluster-images-build.XXXXXX")
cleanup() { rm -rf "$scratch"; }
trap cleanup EXIT
export GOCACHE=$scratch/gocache GOFLAGS= GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0

# write_image NAME USER: NAME's binary becomes /NAME, the image's entrypoint.
write_image() {
  local name=$1 user=$2
  local work=$scratch/$name
  mkdir -p "$work/rootfs/etc" "$work/rootfs/tmp"
  (cd "$repo/$sources" && "$go" build -trimpath -ldflags "-s -w" -o "$work/rootfs/$name" "./$name")
  chmod 1777 "$work/rootfs/tmp"
  layer_tar "$work/rootfs" "$work/layer.tar"
  write_image_archive "$out.tmp/$name.tar" "localhost/edgestream/$name:$hash" \
    "{\"User\":\"$user\",\"Entrypoint\":[\"/$name\"],\"Env\":[\"PATH=/\"],\"WorkingDir\":\"/\"}" \
    "$work/layer.tar"
}

rm -rf "$out.tmp"
mkdir -p "$out.tmp"
write_image pause 0
write_image probe 65534
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
