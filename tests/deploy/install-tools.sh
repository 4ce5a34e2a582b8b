#!/usr/bin/env bash
# Installs the tools of the offline deployment checks (tests/deploy), pinned,
# idempotently, from the package registries the project's machines reach:
#
#   var/cache/bin/hclcheck     this repository's tools/hclcheck (HCL parse + format + policy)
#   var/cache/bin/helm         helm, built from its Go module
#   var/cache/bin/tflint       tflint, built from its Go module (terraform ruleset bundled)
#   var/cache/bin/actionlint   actionlint, built from its Go module (GitHub workflow checks)
#   var/cache/crds/            KEDA, prometheus-operator and AWS Load Balancer Controller CRDs, from their Go modules
#   var/cache/charts/          sources of the third-party charts cluster-addons installs, from Go modules
#   var/venv-checkov/          checkov (PyPI), alone in its venv
#   var/venv-deploy/           kubernetes-validate + jsonschema + PyYAML (PyPI)
#
# Go modules and build results are cached under var/cache/ (GOMODCACHE,
# GOCACHE), so a second run does nothing and takes about a second. Needs the Go
# toolchain (/usr/local/go/bin/go, or go on PATH) and python3 with venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
# shellcheck source=../../scripts/lib/cache.sh
source scripts/lib/cache.sh
link_cache "$repo"

HELM_VERSION=v3.22.0
TFLINT_VERSION=v0.64.0
ACTIONLINT_VERSION=v1.7.12
# The CRD versions match the chart versions installed by
# deploy/terraform/cluster-addons (keda_chart_version and the operator inside
# kube_prometheus_stack_chart_version).
KEDA_VERSION=v2.18.3
PROMETHEUS_OPERATOR_VERSION=v0.93.1

bin=$repo/var/cache/bin
crds=$repo/var/cache/crds
mkdir -p "$bin" "$crds"
# The cache is shared by every clone on the machine: one install at a time.
exec 8>"$repo/var/cache/deploy-tools-install.lock"
flock 8

go=$(command -v go || true)
[[ -z $go && -x /usr/local/go/bin/go ]] && go=/usr/local/go/bin/go
if [[ -z $go ]]; then
  echo "install-tools: no Go toolchain (looked on PATH and at /usr/local/go/bin/go); install Go >= 1.24 to build helm, tflint and hclcheck" >&2
  exit 1
fi
export GOMODCACHE=$repo/var/cache/gomod
export GOCACHE=$repo/var/cache/go-build
# Writable module cache, so that `rm -rf var` always works.
export GOFLAGS=-modcacherw
export GOTOOLCHAIN=local
export CGO_ENABLED=0

log() { echo "install-tools: $*"; }

# go_install NAME MODULE/PATH VERSION: builds NAME once per version.
go_install() {
  local name=$1 package=$2 version=$3
  local stamp=$bin/.$name.version
  if [[ -x $bin/$name && -f $stamp && $(cat "$stamp") == "$version" ]]; then
    return
  fi
  log "building $name $version from its Go module"
  local start=$SECONDS
  GOBIN=$bin "$go" install "$package@$version"
  echo "$version" >"$stamp"
  log "$name built in $((SECONDS - start)) s"
}

# hclcheck is this repository's own code: rebuild when its sources change.
hclcheck_hash=$(cat tools/hclcheck/go.mod tools/hclcheck/go.sum tools/hclcheck/*.go | sha256sum | cut -d' ' -f1)
if [[ ! -x $bin/hclcheck || ! -f $bin/.hclcheck.version || $(cat "$bin/.hclcheck.version") != "$hclcheck_hash" ]]; then
  log "building hclcheck"
  (cd tools/hclcheck && "$go" build -trimpath -o "$bin/hclcheck" .)
  echo "$hclcheck_hash" >"$bin/.hclcheck.version"
fi

go_install helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
go_install tflint github.com/terraform-linters/tflint "$TFLINT_VERSION"
go_install actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION"

# fetch_crds NAME MODULE VERSION SUBDIR FILE...: copies CRD manifests out of a
# Go module; they are read at test time and never committed.
fetch_crds() {
  local name=$1 module=$2 version=$3 subdir=$4
  shift 4
  local dest=$crds/$name
  if [[ -f $dest/.version && $(cat "$dest/.version") == "$version" ]]; then
    return
  fi
  log "fetching $name CRDs $version"
  local dir
  dir=$("$go" mod download -json "$module@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$dest"
  mkdir -p "$dest"
  for file in "$@"; do
    cp "$dir/$subdir/$file" "$dest/"
  done
  chmod u+w "$dest"/*
  echo "$version" >"$dest/.version"
}
fetch_crds keda github.com/kedacore/keda/v2 "$KEDA_VERSION" config/crd/bases \
  keda.sh_scaledobjects.yaml keda.sh_triggerauthentications.yaml
fetch_crds prometheus-operator github.com/prometheus-operator/prometheus-operator \
  "$PROMETHEUS_OPERATOR_VERSION" example/prometheus-operator-crd \
  monitoring.coreos.com_servicemonitors.yaml monitoring.coreos.com_podmonitors.yaml \
  monitoring.coreos.com_prometheusrules.yaml

# The AWS Load Balancer Controller's CRDs (IngressClassParams of the platform
# chart's ALB class). The proxy serves a snapshot of the repository, not the
# release tag of the pinned chart; IngressClassParams has been stable since
# v2.2, and docs/deploy.md names the snapshot.
fetch_crds aws-load-balancer-controller github.com/kubernetes-sigs/aws-load-balancer-controller \
  v0.0.0-20260423195125-93ff3b5fdaad helm/aws-load-balancer-controller/crds crds.yaml

# Sources of the third-party charts that deploy/terraform/cluster-addons
# installs, for tests/deploy/check_chart_values.py: the values Terraform
# passes are checked against each chart's own values.yaml (and schema or
# CRDs where it has them). The module proxy serves these repositories only
# at the snapshots below, not at the pinned chart releases; each copy records
# its chart version, which the check prints beside the pinned one. Longhorn's
# and Strimzi's chart repositories are not served at all (listed as not
# checked).
charts=$repo/var/cache/charts
mkdir -p "$charts"
# fetch_chart NAME MODULE VERSION SUBDIR: copies one chart folder out of a Go module.
fetch_chart() {
  local name=$1 module=$2 version=$3 subdir=$4
  local dest=$charts/$name
  if [[ -f $dest/.source && $(cat "$dest/.source") == "$module@$version" ]]; then
    return
  fi
  log "fetching the $name chart source from $module@$version"
  local dir
  dir=$("$go" mod download -json "$module@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$dest"
  cp -r "$dir/$subdir" "$dest"
  chmod -R u+w "$dest"
  echo "$module@$version" >"$dest/.source"
}
fetch_chart tigera-operator github.com/projectcalico/calico \
  v1.11.0-cni-plugin.0.20250813170300-a0db560f0520 charts/tigera-operator
fetch_chart keda github.com/kedacore/charts \
  v2.20.3-0.20260903105638-fe065f4d8938+incompatible keda
fetch_chart aws-load-balancer-controller github.com/aws/eks-charts \
  v0.0.243-0.20260821194545-743f98a89b5b stable/aws-load-balancer-controller
for chart in kube-prometheus-stack kube-state-metrics prometheus-node-exporter prometheus-windows-exporter; do
  fetch_chart "$chart" github.com/prometheus-community/helm-charts \
    v0.0.0-20260828105119-ed5d7d9b5933 "charts/$chart"
done

# venv NAME REQUIREMENTS: a venv that is rebuilt when its requirements change.
venv() {
  local dir=$repo/var/$1 requirements=$2
  local stamp=$dir/.requirements.sha want
  want=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [[ -x $dir/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
    return
  fi
  log "installing $requirements into var/$1"
  [[ -x $dir/bin/python ]] || python3 -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check -r "$requirements"
  echo "$want" >"$stamp"
}
venv venv-checkov tests/deploy/requirements-checkov.txt
venv venv-deploy tests/deploy/requirements-validate.txt

log "ready: $("$bin/helm" version --short 2>/dev/null), tflint $("$bin/tflint" --version | head -n1 | awk '{print $3}'), checkov $("$repo/var/venv-checkov/bin/checkov" --version)"
