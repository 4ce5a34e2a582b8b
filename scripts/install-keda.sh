#!/usr/bin/env bash
# Builds KEDA, the event-driven autoscaler of the chart's ScaledObjects, from
# its Go module github.com/kedacore/keda/v2, pinned, once per version, into the
# shared cache:
#
#   var/cache/bin/keda-<version>/{keda,keda-adapter}   the operator, the metrics API server
#   var/cache/bin/keda-<version>/crds/*.yaml           its CustomResourceDefinitions, from the module
#   var/cache/bin/keda-<version>/rbac/*.yaml           its ClusterRoles (operator, external metrics reader)
#
# The admission webhooks are not built: the local cluster does not register
# them (docs/cluster.md). The module is copied to a scratch folder and built
# there with -mod=mod, because its go.mod carries replace directives, which
# `go install module@version` refuses. The version is stamped in as KEDA's
# Makefile does. Prints the folder on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
# shellcheck source=lib/cache.sh
source scripts/lib/cache.sh
link_cache "$repo"

KEDA_VERSION=v2.21.0
readonly binaries=(keda:cmd/operator keda-adapter:cmd/adapter)

out=$repo/var/cache/bin/keda-$KEDA_VERSION
complete() {
  local entry
  for entry in "${binaries[@]}"; do [[ -x $out/${entry%%:*} ]] || return 1; done
  [[ -s $out/crds/keda.sh_scaledobjects.yaml && -s $out/rbac/operator.yaml ]]
}
if complete; then
  echo "$out"
  exit 0
fi

# One build at a time; a second caller waits and then finds the binaries.
mkdir -p "$repo/var/cache/bin"
exec 9>"$repo/var/cache/keda-build.lock"
flock 9
if complete; then
  echo "$out"
  exit 0
fi

go=${EDGESTREAM_GO:-/usr/local/go/bin/go}
[[ -x $go ]] || go=$(command -v go || true)
[[ -n $go ]] || { echo "install-keda: no Go toolchain; install Go >= 1.26 (KEDA $KEDA_VERSION needs it)" >&2; exit 1; }

# Module downloads are kept (other builds share them); the build cache and the
# copied source are scratch.
export GOMODCACHE=$repo/var/cache/go/mod GOFLAGS=-modcacherw GOTOOLCHAIN=local GOWORK=off
scratch=$repo/var/cache/keda-build
export GOCACHE=$scratch/gocache
cleanup() { chmod -R u+w "$scratch" 2>/dev/null || true; rm -rf "$scratch"; }
trap cleanup EXIT
cleanup
mkdir -p "$scratch"

echo "install-keda: fetching github.com/kedacore/keda/v2@$KEDA_VERSION" >&2
module_dir=$("$go" mod download -json "github.com/kedacore/keda/v2@$KEDA_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -d $module_dir ]] || { echo "install-keda: download of github.com/kedacore/keda/v2@$KEDA_VERSION failed" >&2; exit 1; }
src=$scratch/src
cp -r "$module_dir" "$src"
chmod -R u+w "$src"
rm -rf "$src/vendor"

copy_manifests() { # copy_manifests MODULE_DIR TARGET
  mkdir -p "$2/crds" "$2/rbac"
  cp "$1"/config/crd/bases/*.yaml "$2/crds/"
  cp "$1/config/rbac/role.yaml" "$2/rbac/operator.yaml"
  cp "$1/config/metrics-server/role.yaml" "$2/rbac/metrics-reader.yaml"
}

ldflags="-s -w -X=github.com/kedacore/keda/v2/version.Version=${KEDA_VERSION#v}"
ldflags+=" -X=github.com/kedacore/keda/v2/version.GitCommit=module-$KEDA_VERSION"
start=$SECONDS
mkdir -p "$out"
for entry in "${binaries[@]}"; do
  name=${entry%%:*} package=${entry#*:}
  [[ -x $out/$name ]] && continue
  echo "install-keda: building $name $KEDA_VERSION" >&2
  (cd "$src" && GOFLAGS="$GOFLAGS -mod=mod" CGO_ENABLED=0 \
    "$go" build -trimpath -ldflags "$ldflags" -o "$out/$name.tmp" "./$package")
  mv "$out/$name.tmp" "$out/$name"
done
copy_manifests "$src" "$out"
echo "install-keda: built in $((SECONDS - start)) s" >&2
echo "$out"
