#!/usr/bin/env bash
# Builds the Kubernetes binaries of the local single-node cluster from the
# k8s.io/kubernetes Go module, pinned, once per version, into the shared cache:
#
#   var/cache/bin/kubernetes-<version>/{kube-apiserver,kube-controller-manager,
#                                       kube-scheduler,kubelet,kube-proxy,kubectl}
#
# The module's go.mod replaces every k8s.io/* staging module with a folder
# under ./staging that its module archive does not contain; the source is
# copied to a scratch folder and each such replace is pointed at the published
# k8s.io/<name> module of the matching v0 version. The version is stamped in
# through -ldflags, as Kubernetes' own build does, because Helm and KEDA read
# the API server's version. Prints the binaries' folder on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
# shellcheck source=lib/cache.sh
source scripts/lib/cache.sh
link_cache "$repo"

KUBERNETES_VERSION=v1.34.4
readonly binaries=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

out=$repo/var/cache/bin/kubernetes-$KUBERNETES_VERSION
complete() {
  local name
  for name in "${binaries[@]}"; do [[ -x $out/$name ]] || return 1; done
}
if complete; then
  echo "$out"
  exit 0
fi

# One build at a time; a second caller waits and then finds the binaries.
mkdir -p "$repo/var/cache/bin"
exec 9>"$repo/var/cache/kubernetes-build.lock"
flock 9
if complete; then
  echo "$out"
  exit 0
fi

go=${EDGESTREAM_GO:-/usr/local/go/bin/go}
[[ -x $go ]] || go=$(command -v go || true)
[[ -n $go ]] || { echo "install-kubernetes: no Go toolchain; install Go >= 1.24" >&2; exit 1; }

# Module downloads are kept (other builds share them); the build cache and the
# copied source are scratch.
export GOMODCACHE=$repo/var/cache/go/mod GOFLAGS=-modcacherw GOTOOLCHAIN=local GOWORK=off
scratch=$repo/var/cache/kubernetes-build
export GOCACHE=$scratch/gocache
cleanup() { chmod -R u+w "$scratch" 2>/dev/null || true; rm -rf "$scratch"; }
trap cleanup EXIT
cleanup
mkdir -p "$scratch"

echo "install-kubernetes: fetching k8s.io/kubernetes@$KUBERNETES_VERSION" >&2
module_dir=$("$go" mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -d $module_dir ]] || { echo "install-kubernetes: download of k8s.io/kubernetes@$KUBERNETES_VERSION failed" >&2; exit 1; }
src=$scratch/src
cp -r "$module_dir" "$src"
chmod -R u+w "$src"
rm -rf "$src/vendor" "$src/go.work" "$src/go.work.sum"

# k8s.io/<name> => ./staging/src/k8s.io/<name>  becomes  k8s.io/<name> => k8s.io/<name> v0.<minor>.<patch>
staging_version=v0.${KUBERNETES_VERSION#v1.}
sed -i -E "s#^([[:space:]]*)(k8s\.io/[A-Za-z0-9._-]+) => \./staging/src/k8s\.io/[A-Za-z0-9._-]+\$#\1\2 => \2 $staging_version#" "$src/go.mod"
if grep -q '=> ./staging' "$src/go.mod"; then
  echo "install-kubernetes: go.mod still names staging folders:" >&2
  grep '=> ./staging' "$src/go.mod" >&2
  exit 1
fi

IFS=. read -r major minor _ <<<"${KUBERNETES_VERSION#v}"
version_package=k8s.io/component-base/version
client_version_package=k8s.io/client-go/pkg/version
ldflags="-s -w"
for package in $version_package $client_version_package; do
  ldflags+=" -X $package.gitVersion=$KUBERNETES_VERSION -X $package.gitMajor=$major"
  ldflags+=" -X $package.gitMinor=$minor -X $package.gitTreeState=clean"
  ldflags+=" -X $package.buildDate=1970-01-01T00:00:00Z"
done

mkdir -p "$out.tmp"
start=$SECONDS
for name in "${binaries[@]}"; do
  echo "install-kubernetes: building $name $KUBERNETES_VERSION" >&2
  (cd "$src" && GOFLAGS="$GOFLAGS -mod=mod" CGO_ENABLED=0 \
    "$go" build -trimpath -tags providerless -ldflags "$ldflags" -o "$out.tmp/$name" "./cmd/$name")
done
rm -rf "$out"
mv "$out.tmp" "$out"
echo "install-kubernetes: built in $((SECONDS - start)) s" >&2
echo "$out"
