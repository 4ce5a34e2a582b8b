#!/usr/bin/env bash
# Installs everything edgestream needs on Debian 12, idempotently:
#   - C++ toolchain and libraries (Debian packages; docs/dependencies.md says why each)
#   - the Python test harness in var/venv (versions pinned in tests/requirements.txt)
# The local stack's own downloads (Kafka, the S3 server, exporters) are fetched
# and cached by scripts/stack.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/cache.sh
source scripts/lib/cache.sh
link_cache "$PWD"

apt_packages=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates
  librdkafka-dev prometheus-cpp-dev libsimdjson-dev libzstd-dev libsnappy-dev
  libcurl4-openssl-dev libssl-dev libexpat1-dev libcli11-dev libgtest-dev libbenchmark-dev
  clang libclang-rt-14-dev clang-format clang-tidy
  kcat openssl
  python3 python3-venv python3-pip
  openjdk-17-jre-headless maven
  prometheus prometheus-node-exporter
  iproute2 procps
)

missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's prometheus package starts its own daemons on install; the local
# stack runs its own instances on its own ports, so stop the system ones.
for unit in prometheus prometheus-node-exporter; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$unit" 2>/dev/null; then
    systemctl stop "$unit" || true
  fi
done

# Go builds the stack's S3 server and lag exporter and the test tools
# (helm, tflint, Jaeger) from their Go modules; Debian 12's Go is too old.
go_bin=${EDGESTREAM_GO:-/usr/local/go/bin/go}
[[ -x $go_bin ]] || go_bin=$(command -v go || true)
if [[ -z $go_bin ]]; then
  echo "install-deps: no Go toolchain found; install Go 1.24 or newer in /usr/local/go" \
       "(or set EDGESTREAM_GO to its go binary) and run again" >&2
  exit 1
fi

venv=var/venv
if [[ ! -x $venv/bin/python ]]; then
  mkdir -p var
  python3 -m venv "$venv"
fi
stamp=$venv/.requirements.sha
want=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  "$venv/bin/pip" install -q --disable-pip-version-check -r tests/requirements.txt
  echo "$want" >"$stamp"
fi
