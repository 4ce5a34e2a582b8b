#!/usr/bin/env bash
# Builds Jaeger (the OTLP receiver with a query API that the tracing
# integration test runs on loopback) from its Go module, pinned, once:
#
#   var/cache/bin/jaeger-<version>
#
# Jaeger's go.mod has replace directives, which `go install module@version`
# refuses, so the module's source is downloaded and built as the main module.
# Its dependencies (~1.3 GB of modules, ~1.6 GB of build cache) go to a
# scratch folder that is deleted once the binary exists: only the binary is
# kept. A cold build took ~7 CPU-minutes (docs/dependencies.md); a second run
# does nothing. Prints the binary's path on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
# shellcheck source=lib/cache.sh
source scripts/lib/cache.sh
link_cache "$repo"

JAEGER_MODULE=github.com/jaegertracing/jaeger
# v1.76.0 is the Go module version of Jaeger v2.13.0 (the project tags both;
# Go modules can only use the v1 line). cmd/jaeger is the v2 binary.
JAEGER_VERSION=v1.76.0

bin=$repo/var/cache/bin/jaeger-$JAEGER_VERSION
if [[ -x $bin ]]; then
  echo "$bin"
  exit 0
fi

# One build at a time (scripts/test.sh and a test may both ask for it); the
# second waits and then finds the binary.
mkdir -p "$repo/var/cache/bin"
exec 9>"$repo/var/cache/jaeger-build.lock"
flock 9
if [[ -x $bin ]]; then
  echo "$bin"
  exit 0
fi

go=${EDGESTREAM_GO:-/usr/local/go/bin/go}
[[ -x $go ]] || go=$(command -v go || true)
if [[ -z $go ]]; then
  echo "install-jaeger: no Go toolchain (EDGESTREAM_GO, /usr/local/go/bin/go or go on PATH); install Go >= 1.24" >&2
  exit 1
fi

scratch=$repo/var/cache/jaeger-build
rm -rf "$scratch"
mkdir -p "$scratch" "$repo/var/cache/bin"
cleanup() { chmod -R u+w "$scratch" 2>/dev/null || true; rm -rf "$scratch"; }
trap cleanup EXIT
export GOMODCACHE=$scratch/mod GOCACHE=$scratch/build GOFLAGS=-modcacherw GOTOOLCHAIN=local CGO_ENABLED=0

echo "install-jaeger: building $JAEGER_MODULE/cmd/jaeger $JAEGER_VERSION (several CPU-minutes, once)" >&2
start=$SECONDS
source_dir=$("$go" mod download -json "$JAEGER_MODULE@$JAEGER_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
if [[ -z $source_dir || ! -f $source_dir/go.mod ]]; then
  echo "install-jaeger: could not download $JAEGER_MODULE@$JAEGER_VERSION; is the Go module proxy reachable (GOPROXY)?" >&2
  exit 1
fi
(cd "$source_dir" && "$go" build -trimpath -o "$bin.tmp" ./cmd/jaeger)
mv "$bin.tmp" "$bin"
echo "install-jaeger: built in $((SECONDS - start)) s" >&2
echo "$bin"
