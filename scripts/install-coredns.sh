#!/usr/bin/env bash
# Builds CoreDNS, the local cluster's DNS server, from its Go module, pinned,
# once per version, into the shared cache:
#
#   var/cache/bin/coredns-<version>/coredns
#
# The module is copied to a scratch folder and built there with -mod=mod,
# because `go install module@version` refuses modules whose go.mod carries
# replace directives. Prints the binary's path on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
# shellcheck source=lib/cache.sh
source scripts/lib/cache.sh
link_cache "$repo"

COREDNS_VERSION=v1.14.7

out=$repo/var/cache/bin/coredns-$COREDNS_VERSION
if [[ -x $out/coredns ]]; then
  echo "$out/coredns"
  exit 0
fi

# One build at a time; a second caller waits and then finds the binary.
mkdir -p "$repo/var/cache/bin"
exec 9>"$repo/var/cache/coredns-build.lock"
flock 9
if [[ -x $out/coredns ]]; then
  echo "$out/coredns"
  exit 0
fi

go=${EDGESTREAM_GO:-/usr/local/go/bin/go}
[[ -x $go ]] || go=$(command -v go || true)
[[ -n $go ]] || { echo "install-coredns: no Go toolchain; install Go >= 1.24" >&2; exit 1; }

export GOMODCACHE=$repo/var/cache/go/mod GOFLAGS=-modcacherw GOTOOLCHAIN=local GOWORK=off
scratch=$repo/var/cache/coredns-build
export GOCACHE=$scratch/gocache
cleanup() { chmod -R u+w "$scratch" 2>/dev/null || true; rm -rf "$scratch"; }
trap cleanup EXIT
cleanup
mkdir -p "$scratch"

echo "install-coredns: fetching github.com/coredns/coredns@$COREDNS_VERSION" >&2
module_dir=$("$go" mod download -json "github.com/coredns/coredns@$COREDNS_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -d $module_dir ]] || { echo "install-coredns: download of github.com/coredns/coredns@$COREDNS_VERSION failed" >&2; exit 1; }
src=$scratch/src
cp -r "$module_dir" "$src"
chmod -R u+w "$src"

start=$SECONDS
mkdir -p "$out.tmp"
(cd "$src" && GOFLAGS="$GOFLAGS -mod=mod" CGO_ENABLED=0 \
  "$go" build -trimpath -ldflags "-s -w" -o "$out.tmp/coredns" .)
rm -rf "$out"
mv "$out.tmp" "$out"
echo "install-coredns: built in $((SECONDS - start)) s" >&2
echo "$out/coredns"
