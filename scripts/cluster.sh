#!/usr/bin/env bash
# A real single-node Kubernetes on this machine, part of the local stack:
#
#   scripts/cluster.sh install  install the Debian packages, build the binaries and images (cached)
#   scripts/cluster.sh up       install what is missing, start it, wait until the node is Ready
#   scripts/cluster.sh status   which processes run, the node, the pods
#   scripts/cluster.sh down     stop everything, remove its pods, mounts, network and state
#
# containerd, etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
# kubelet, kube-proxy, CoreDNS and KEDA (operator and metrics API server) run
# as host processes with their state in
# var/cluster and their logs in var/cluster/log; `kubectl --kubeconfig
# var/kubeconfig` talks to it. Pods live on the bridge esk0 (10.244.0.0/24),
# whose gateway address 10.244.0.1 exists only on this machine: the API
# server, the kubelet and CoreDNS listen there, everything else on 127.0.0.1,
# and a FORWARD rule drops whatever a pod sends towards any other interface.
# Pods reach the local stack's Kafka, S3 server and Prometheus through the
# Services kafka, s3 and prometheus of the namespace local-stack (DNAT from
# the bridge address to 127.0.0.1).
# docs/cluster.md describes the design and its limits.
#
# Only one such cluster can run per machine (the kubelet, the bridge and the
# iptables rules are machine-wide); a machine-wide lock enforces that.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
# shellcheck source=lib/cache.sh
source scripts/lib/cache.sh

readonly state=$repo/var/cluster
readonly pki=$state/pki run=$state/run log=$state/log
readonly kubeconfig=$repo/var/kubeconfig
readonly node_name=edgestream-local
readonly bridge=esk0
readonly node_ip=10.244.0.1 pod_cidr=10.244.0.0/24
readonly service_cidr=10.96.0.0/16 kubernetes_service_ip=10.96.0.1
readonly cgroup_root=edgestream-cluster
readonly forward_chain=EDGESTREAM-CLUSTER stack_chain=EDGESTREAM-CLUSTER-STACK
readonly machine_lock=/run/edgestream-cluster.lock

apiserver_port=${EDGESTREAM_CLUSTER_APISERVER_PORT:-16443}
etcd_port=${EDGESTREAM_CLUSTER_ETCD_PORT:-12379}
etcd_peer_port=${EDGESTREAM_CLUSTER_ETCD_PEER_PORT:-12380}
controller_manager_port=${EDGESTREAM_CLUSTER_CONTROLLER_MANAGER_PORT:-16257}
scheduler_port=${EDGESTREAM_CLUSTER_SCHEDULER_PORT:-16259}
kubelet_port=${EDGESTREAM_CLUSTER_KUBELET_PORT:-16250}
kubelet_healthz_port=${EDGESTREAM_CLUSTER_KUBELET_HEALTHZ_PORT:-16248}
proxy_healthz_port=${EDGESTREAM_CLUSTER_PROXY_HEALTHZ_PORT:-16256}
proxy_metrics_port=${EDGESTREAM_CLUSTER_PROXY_METRICS_PORT:-16249}
coredns_health_port=${EDGESTREAM_CLUSTER_COREDNS_HEALTH_PORT:-16053}
keda_metrics_port=${EDGESTREAM_CLUSTER_KEDA_METRICS_PORT:-16080}
keda_health_port=${EDGESTREAM_CLUSTER_KEDA_HEALTH_PORT:-16081}
keda_grpc_port=${EDGESTREAM_CLUSTER_KEDA_GRPC_PORT:-16666}
keda_apiserver_port=${EDGESTREAM_CLUSTER_KEDA_APISERVER_PORT:-16444}
keda_apiserver_metrics_port=${EDGESTREAM_CLUSTER_KEDA_APISERVER_METRICS_PORT:-16082}
# The local stack's ports, as scripts/stack.sh chooses them (space-separated
# where a service has more than one). Kafka's second port is the broker's
# listener for pods, which advertises kafka.local-stack.svc.cluster.local.
kafka_port=${EDGESTREAM_KAFKA_PORT:-19092}
declare -A stack_ports=(
  [kafka]="$kafka_port ${EDGESTREAM_KAFKA_CLUSTER_PORT:-$((kafka_port + 2))}"
  [s3]=${EDGESTREAM_S3_PORT:-19000}
  [prometheus]=${EDGESTREAM_PROMETHEUS_PORT:-19090}
)

readonly containerd_socket=$state/containerd/containerd.sock
readonly cgroup_subsystems=(cpu cpuacct cpuset memory devices freezer blkio pids systemd hugetlb net_cls net_prio perf_event rdma misc)

say() { echo "cluster: $*" >&2; }
die() { echo "cluster: $*" >&2; exit 1; }

# --- installation --------------------------------------------------------------

install_packages() {
  local package missing=()
  while read -r package; do
    [[ -z $package || $package == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done <stack/cluster/packages.txt
  ((${#missing[@]})) || return 0
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Where an init system runs them, the packages just installed start the
  # machine's own containerd and etcd; the cluster runs its own instances
  # (own sockets, ports and state), so stop those it caused. A containerd or
  # etcd that was there before is left alone: nothing here clashes with it.
  local unit
  for unit in containerd etcd; do
    [[ " ${missing[*]} " == *" $unit "* || ($unit == etcd && " ${missing[*]} " == *" etcd-server "*) ]] || continue
    if command -v systemctl >/dev/null && systemctl is-active --quiet "$unit" 2>/dev/null; then
      systemctl stop "$unit" || true
    fi
  done
}

# --- certificates and kubeconfigs -----------------------------------------------

# issue NAME CA SUBJECT EXTENSIONS: NAME.key and NAME.crt signed by CA.
issue() {
  local name=$1 ca=$2 subject=$3 extensions=$4
  openssl genrsa -out "$pki/$name.key" 2048 2>/dev/null
  openssl req -new -key "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr" 2>/dev/null
  printf '%s\n' "$extensions" >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/$ca.crt" -CAkey "$pki/$ca.key" \
    -CAcreateserial -days 365 -sha256 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

make_ca() { # make_ca NAME COMMON_NAME
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/$1.key" -out "$pki/$1.crt" \
    -days 365 -subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
}

make_certificates() {
  [[ -s $pki/admin.crt ]] && return 0
  say "generating certificates in $pki"
  mkdir -p "$pki"
  chmod 700 "$pki"
  make_ca ca edgestream-local-cluster-ca
  # The aggregation layer's own CA: the API server presents front-proxy-client
  # to extension API servers (KEDA's metrics server), which trust this CA only.
  make_ca front-proxy-ca edgestream-local-front-proxy-ca
  local client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  local server_names="DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  server_names+=",DNS:kubernetes.default.svc.cluster.local,DNS:localhost"
  server_names+=",IP:$node_ip,IP:$kubernetes_service_ip,IP:127.0.0.1"
  issue apiserver ca "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$server_names"
  issue apiserver-kubelet-client ca "/CN=edgestream:apiserver-kubelet-client" "$client"
  issue front-proxy-client front-proxy-ca "/CN=front-proxy-client" "$client"
  issue admin ca "/O=system:masters/CN=edgestream-admin" "$client"
  issue controller-manager ca "/CN=system:kube-controller-manager" "$client"
  issue scheduler ca "/CN=system:kube-scheduler" "$client"
  issue kubelet ca "/O=system:nodes/CN=system:node:$node_name" "$client"
  issue kube-proxy ca "/CN=system:kube-proxy" "$client"
  issue coredns ca "/CN=edgestream:coredns" "$client"
  issue keda ca "/CN=edgestream:keda" "$client"
  # KEDA's operator (gRPC server), its metrics API server (behind the
  # APIService) and the gRPC client between them share this one.
  local keda_names="DNS:keda-operator.keda.svc,DNS:keda-operator.keda.svc.cluster.local"
  keda_names+=",DNS:keda-metrics-apiserver.keda.svc,DNS:keda-metrics-apiserver.keda.svc.cluster.local"
  keda_names+=",IP:127.0.0.1,IP:$node_ip"
  issue keda-server ca "/CN=keda-operator" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$keda_names"
  openssl genrsa -out "$pki/service-account.key" 2048 2>/dev/null
  openssl rsa -in "$pki/service-account.key" -pubout -out "$pki/service-account.pub" 2>/dev/null
  chmod 600 "$pki"/*.key
}

write_kubeconfig() { # write_kubeconfig FILE CERTIFICATE_NAME
  local file=$1 name=$2
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: edgestream-local
    cluster:
      server: https://$node_ip:$apiserver_port
      certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
  - name: $name
    user:
      client-certificate-data: $(base64 -w0 "$pki/$name.crt")
      client-key-data: $(base64 -w0 "$pki/$name.key")
contexts:
  - name: edgestream-local
    context: {cluster: edgestream-local, user: $name}
current-context: edgestream-local
EOF
  chmod 600 "$file"
}

make_kubeconfigs() {
  mkdir -p "$state/kubeconfig"
  local name
  for name in controller-manager scheduler kubelet kube-proxy coredns keda; do
    write_kubeconfig "$state/kubeconfig/$name" "$name"
  done
  write_kubeconfig "$kubeconfig" admin
}

# --- processes -------------------------------------------------------------------

# start NAME COMMAND...: runs COMMAND in its own session, logs to
# var/cluster/log/NAME.log, remembers its PID in var/cluster/run/NAME.pid.
start() {
  local name=$1
  shift
  if running "$name"; then return 0; fi
  mkdir -p "$run" "$log"
  setsid "$@" >>"$log/$name.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid $(start_time "$pid")" >"$run/$name.pid"
}

# start_time PID: when the process started (clock ticks since boot); with the
# PID it names one process, whatever program it has since become.
start_time() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null; }

# running NAME: whether the process started as NAME still runs (and is still
# the program that was started, not a recycled PID).
running() {
  local pid_file=$run/$1.pid pid started
  [[ -f $pid_file ]] || return 1
  read -r pid started <"$pid_file"
  [[ -n $started && $(start_time "$pid") == "$started" ]]
}

pid_of() { local pid _; read -r pid _ <"$run/$1.pid"; echo "$pid"; }

# alive PID: the process exists and has not exited. An exited process whose
# parent is PID 1 stays a zombie until PID 1 reaps it, which on a machine
# without a real init can take seconds.
alive() {
  local process_state
  process_state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $process_state && $process_state != Z ]]
}

stop() { # stop NAME: TERM, up to 10 s, then KILL.
  local name=$1 pid
  if running "$name"; then
    pid=$(pid_of "$name")
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$run/$name.pid"
}

# write_config FILE: writes stdin to FILE unless FILE already holds exactly
# that; kube-proxy exits when its configuration file changes, even to the
# same content, so a second `up` must leave a running process's file alone.
write_config() {
  local file=$1 new
  new=$(cat)
  [[ -f $file && $(cat "$file") == "$new" ]] && return 0
  printf '%s\n' "$new" >"$file.tmp"
  mv "$file.tmp" "$file"
}

wait_for() { # wait_for WHAT SECONDS COMMAND...
  local what=$1 seconds=$2 deadline
  shift 2
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      die "$what did not come up within $seconds s; see $log/"
    fi
    sleep 0.5
  done
}

kubectl() { "$kubernetes/kubectl" --kubeconfig "$kubeconfig" "$@"; }

# --- network ---------------------------------------------------------------------

setup_network() {
  # Pods' bridge, created here (the CNI bridge plugin reuses it) so that the
  # API server can listen on its gateway address before the first pod exists.
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
  fi
  ip addr replace "$node_ip/24" dev "$bridge"
  ip link set "$bridge" up
  modprobe br_netfilter 2>/dev/null || true
  [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] ||
    die "the kernel lacks br_netfilter; Services cannot work between pods on one bridge"
  sysctl -qw net.bridge.bridge-nf-call-iptables=1
  # Pod-to-Service traffic is routed through the host, so the host forwards;
  # the previous setting comes back on `down`.
  [[ -f $state/ip_forward.saved ]] || sysctl -n net.ipv4.ip_forward >"$state/ip_forward.saved"
  sysctl -qw net.ipv4.ip_forward=1
  # Forwarding is allowed between pods only: nothing a pod sends is forwarded
  # to another interface, and nothing from another interface reaches a pod.
  iptables -w -N "$forward_chain" 2>/dev/null || iptables -w -F "$forward_chain"
  iptables -w -A "$forward_chain" -i "$bridge" -o "$bridge" -j ACCEPT
  iptables -w -A "$forward_chain" -i "$bridge" -j DROP
  iptables -w -A "$forward_chain" -o "$bridge" -j DROP
  iptables -w -C FORWARD -j "$forward_chain" 2>/dev/null || iptables -w -I FORWARD 1 -j "$forward_chain"
  # The local stack's ports on the bridge address lead to its loopback
  # listeners (see publish_stack_services); route_localnet on the bridge only
  # lets the kernel deliver those to 127.0.0.1.
  iptables -w -t nat -N "$stack_chain" 2>/dev/null || iptables -w -t nat -F "$stack_chain"
  local name port
  for name in "${!stack_ports[@]}"; do
    for port in ${stack_ports[$name]}; do
      iptables -w -t nat -A "$stack_chain" -i "$bridge" -d "$node_ip" -p tcp --dport "$port" \
        -j DNAT --to-destination "127.0.0.1:$port"
    done
  done
  iptables -w -t nat -C PREROUTING -j "$stack_chain" 2>/dev/null ||
    iptables -w -t nat -I PREROUTING 1 -j "$stack_chain"
  sysctl -qw "net.ipv4.conf.$bridge.route_localnet=1"

  mkdir -p "$state/cni/net.d" "$state/cni/ipam"
  write_config "$state/cni/net.d/10-edgestream.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "edgestream-cluster",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$state/cni/ipam",
        "ranges": [[{"subnet": "$pod_cidr", "gateway": "$node_ip"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
EOF
}

teardown_network() {
  if iptables -w -C FORWARD -j "$forward_chain" 2>/dev/null; then
    iptables -w -D FORWARD -j "$forward_chain"
  fi
  iptables -w -F "$forward_chain" 2>/dev/null || true
  iptables -w -X "$forward_chain" 2>/dev/null || true
  if iptables -w -t nat -C PREROUTING -j "$stack_chain" 2>/dev/null; then
    iptables -w -t nat -D PREROUTING -j "$stack_chain"
  fi
  iptables -w -t nat -F "$stack_chain" 2>/dev/null || true
  iptables -w -t nat -X "$stack_chain" 2>/dev/null || true
  if [[ -x $kubernetes/kube-proxy ]]; then
    "$kubernetes/kube-proxy" --cleanup >/dev/null 2>&1 || true
  fi
  # The kubelet's own chains (kube-proxy --cleanup leaves them).
  local table chain
  for table in filter nat mangle; do
    for chain in INPUT OUTPUT; do
      while iptables -w -t "$table" -D "$chain" -j KUBE-FIREWALL 2>/dev/null; do :; done
    done
    for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
      iptables -w -t "$table" -F "$chain" 2>/dev/null || true
      iptables -w -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
  ip link del "$bridge" 2>/dev/null || true
  if [[ -f $state/ip_forward.saved ]]; then
    sysctl -qw "net.ipv4.ip_forward=$(cat "$state/ip_forward.saved")" || true
  fi
}

# --- components --------------------------------------------------------------------

start_containerd() {
  mkdir -p "$state/containerd"
  write_config "$state/containerd/config.toml" <<EOF
version = 2
root = "$state/containerd/root"
state = "$state/containerd/state"
[grpc]
  address = "$containerd_socket"
[ttrpc]
  address = "$containerd_socket.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  # Root on this machine lacks CAP_SYS_RESOURCE: a negative oom_score_adj is
  # refused and runc fails with "can't get final child's PID from pipe".
  # This clamps the kubelet's requested values to what the process may set.
  restrict_oom_score_adj = true
  # Pods' network namespaces are mounted in containerd's state folder, not
  # /run/netns, so that everything this cluster mounts lives under var/cluster.
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni/net.d"
EOF
  start containerd containerd --config "$state/containerd/config.toml"
  wait_for containerd 30 ctr --address "$containerd_socket" version
}

ctr_k8s() { ctr --address "$containerd_socket" --namespace k8s.io "$@"; }

import_images() {
  local name
  for name in pause probe; do
    if ! ctr_k8s images ls -q | grep -qx "localhost/edgestream/$name:$images_tag"; then
      ctr_k8s images import "$images_dir/$name.tar" >/dev/null
    fi
  done
}

start_etcd() {
  mkdir -p "$state/etcd"
  chmod 700 "$state/etcd"
  start etcd etcd --name "$node_name" --data-dir "$state/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "$node_name=http://127.0.0.1:$etcd_peer_port" \
    --quota-backend-bytes $((1024 * 1024 * 1024)) --logger zap
  wait_for etcd 30 curl -fsS "http://127.0.0.1:$etcd_port/health"
}

start_control_plane() {
  start kube-apiserver "$kubernetes/kube-apiserver" \
    --advertise-address "$node_ip" --bind-address "$node_ip" --secure-port "$apiserver_port" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --service-cluster-ip-range "$service_cidr" \
    --client-ca-file "$pki/ca.crt" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/service-account.pub" \
    --service-account-signing-key-file "$pki/service-account.key" \
    --authorization-mode Node,RBAC --allow-privileged=true --profiling=false \
    --requestheader-client-ca-file "$pki/front-proxy-ca.crt" \
    --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User \
    --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$pki/front-proxy-client.crt" \
    --proxy-client-key-file "$pki/front-proxy-client.key" \
    --enable-aggregator-routing=true \
    --cert-dir "$state/apiserver"
  wait_for kube-apiserver 90 kubectl get --raw /readyz
  kubectl apply -f stack/cluster/rbac.yaml >/dev/null

  start kube-controller-manager "$kubernetes/kube-controller-manager" \
    --kubeconfig "$state/kubeconfig/controller-manager" \
    --authentication-kubeconfig "$state/kubeconfig/controller-manager" \
    --authorization-kubeconfig "$state/kubeconfig/controller-manager" \
    --bind-address 127.0.0.1 --secure-port "$controller_manager_port" \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --root-ca-file "$pki/ca.crt" --service-account-private-key-file "$pki/service-account.key" \
    --use-service-account-credentials=true --service-cluster-ip-range "$service_cidr" \
    --leader-elect=false --profiling=false --cert-dir "$state/controller-manager"
  start kube-scheduler "$kubernetes/kube-scheduler" \
    --kubeconfig "$state/kubeconfig/scheduler" \
    --authentication-kubeconfig "$state/kubeconfig/scheduler" \
    --authorization-kubeconfig "$state/kubeconfig/scheduler" \
    --bind-address 127.0.0.1 --secure-port "$scheduler_port" \
    --leader-elect=false --profiling=false --cert-dir "$state/scheduler"
  wait_for kube-controller-manager 60 curl -fsSk "https://127.0.0.1:$controller_manager_port/healthz"
  wait_for kube-scheduler 60 curl -fsSk "https://127.0.0.1:$scheduler_port/healthz"
}

start_kubelet() {
  # Pods get this cgroup root so that `down` finds and removes exactly theirs.
  local subsystem
  for subsystem in "${cgroup_subsystems[@]}"; do
    [[ -d /sys/fs/cgroup/$subsystem ]] && mkdir -p "/sys/fs/cgroup/$subsystem/$cgroup_root"
  done
  [[ -d /sys/fs/cgroup/unified ]] && mkdir -p "/sys/fs/cgroup/unified/$cgroup_root"
  # Pods with dnsPolicy Default get this file, so that no pod is ever given a
  # name server outside this machine.
  echo "nameserver $node_ip" >"$state/resolv.conf"
  local cgroup_v1=false
  [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]] || cgroup_v1=true
  mkdir -p "$state/kubelet" "$state/pod-logs"
  write_config "$state/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
port: $kubelet_port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $kubelet_healthz_port
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$containerd_socket
cgroupDriver: cgroupfs
cgroupRoot: /$cgroup_root
# This machine mounts cgroup v1; Kubernetes 1.34 refuses it unless told.
failCgroupV1: $( $cgroup_v1 && echo false || echo true )
failSwapOn: false
# Root here may not lower oom_score_adj (no CAP_SYS_RESOURCE).
oomScoreAdj: 0
clusterDNS: [$node_ip]
clusterDomain: cluster.local
resolvConf: $state/resolv.conf
podLogsDir: $state/pod-logs
maxPods: 60
serializeImagePulls: false
# The machine's disk is shared with builds: evict only when it is truly full.
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2%}
imageGCHighThresholdPercent: 95
imageGCLowThresholdPercent: 90
EOF
  start kubelet "$kubernetes/kubelet" --config "$state/kubelet.yaml" \
    --kubeconfig "$state/kubeconfig/kubelet" --root-dir "$state/kubelet" \
    --cert-dir "$state/kubelet/pki" --hostname-override "$node_name" --node-ip "$node_ip"
  wait_for kubelet 60 curl -fsS "http://127.0.0.1:$kubelet_healthz_port/healthz"
}

start_kube_proxy() {
  write_config "$state/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $state/kubeconfig/kube-proxy}
hostnameOverride: $node_name
bindAddress: $node_ip
healthzBindAddress: 127.0.0.1:$proxy_healthz_port
metricsBindAddress: 127.0.0.1:$proxy_metrics_port
mode: iptables
clusterCIDR: $pod_cidr
# NodePorts only on the bridge address: no NodePort on the machine's own
# interfaces, and no route_localnet for loopback NodePorts.
nodePortAddresses: [$node_ip/32]
# Leave the machine-wide conntrack table settings as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
  start kube-proxy "$kubernetes/kube-proxy" --config "$state/kube-proxy.yaml"
  wait_for kube-proxy 60 curl -fsS "http://127.0.0.1:$proxy_healthz_port/healthz"
}

start_coredns() {
  # A host process rather than a pod: pods need DNS from their first start,
  # and it needs neither an image nor a Service of its own. It answers only
  # the cluster's zones; no forward plugin, so no query leaves the machine.
  mkdir -p "$state/coredns"
  write_config "$state/coredns/Corefile" <<EOF
.:53 {
    bind $node_ip
    errors
    health 127.0.0.1:$coredns_health_port
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $state/kubeconfig/coredns edgestream-local
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 5
}
EOF
  start coredns "$coredns" -conf "$state/coredns/Corefile"
  wait_for coredns 60 curl -fsS "http://127.0.0.1:$coredns_health_port/health"
}

# Pods reach the local stack, which listens on 127.0.0.1 only, through
# headless Services of the namespace local-stack whose one endpoint is the
# bridge address; setup_network's DNAT rules turn a connection to that
# address and port into one to 127.0.0.1 and the same port. The connection
# goes straight to the stack's listener: if it is down, the pod's connect is
# refused, as it would be against the real thing.
publish_stack_services() {
  local name port ports
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: local-stack}
---
$(for name in "${!stack_ports[@]}"; do
    ports=$(for port in ${stack_ports[$name]}; do printf '{name: tcp-%s, port: %s, protocol: TCP},' "$port" "$port"; done)
    cat <<ITEM
apiVersion: v1
kind: Service
metadata: {name: $name, namespace: local-stack}
spec:
  clusterIP: None
  ports: [${ports%,}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $name-host
  namespace: local-stack
  labels: {kubernetes.io/service-name: $name, endpointslice.kubernetes.io/managed-by: edgestream-cluster-sh}
addressType: IPv4
ports: [${ports%,}]
endpoints: [{addresses: [$node_ip]}]
---
ITEM
  done)
EOF
}

# KEDA's operator and metrics API server run on the host like the control
# plane, as the user edgestream:keda (stack/cluster/rbac.yaml). The operator
# reads ScaledObjects, asks the scalers (the local stack's Kafka and
# Prometheus, on 127.0.0.1) and serves the metrics over gRPC on loopback; the
# metrics API server serves external.metrics.k8s.io on the bridge address,
# where the aggregation layer reaches it through the selector-less Service
# keda/keda-metrics-apiserver. Both use one certificate of the cluster CA
# (mutual TLS on the gRPC link; the APIService trusts the cluster CA).
start_keda() {
  local certs=$state/keda/certs
  mkdir -p "$certs"
  chmod 700 "$state/keda" "$certs"
  cp "$pki/ca.crt" "$certs/ca.crt"
  cp "$pki/keda-server.crt" "$certs/tls.crt"
  cp "$pki/keda-server.key" "$certs/tls.key"
  kubectl apply --server-side --force-conflicts -f "$keda/crds" >/dev/null
  # The module's operator role has a namespaced part (its own Secrets and
  # Leases, for certificate rotation and leader election, both off here).
  kubectl create namespace keda --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  kubectl apply -f "$keda/rbac" >/dev/null
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: keda-metrics-apiserver, namespace: keda}
spec:
  ports: [{name: https, port: 443, targetPort: $keda_apiserver_port, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: keda-metrics-apiserver-host
  namespace: keda
  labels: {kubernetes.io/service-name: keda-metrics-apiserver, endpointslice.kubernetes.io/managed-by: edgestream-cluster-sh}
addressType: IPv4
ports: [{name: https, port: $keda_apiserver_port, protocol: TCP}]
endpoints: [{addresses: [$node_ip]}]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.external.metrics.k8s.io}
spec:
  group: external.metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  caBundle: $(base64 -w0 "$pki/ca.crt")
  service: {name: keda-metrics-apiserver, namespace: keda, port: 443}
EOF
  local keda_env=(env "KUBECONFIG=$state/kubeconfig/keda" KEDA_CLUSTER_OBJECT_NAMESPACE=keda
    POD_NAMESPACE=keda WATCH_NAMESPACE=)
  start keda-operator "${keda_env[@]}" "$keda/keda" \
    --leader-elect=false --enable-cert-rotation=false --cert-dir "$certs" \
    --metrics-bind-address "127.0.0.1:$keda_metrics_port" \
    --health-probe-bind-address "127.0.0.1:$keda_health_port" \
    --metrics-service-bind-address "127.0.0.1:$keda_grpc_port" \
    --zap-log-level=info --zap-encoder=console
  wait_for keda-operator 60 curl -fsS "http://127.0.0.1:$keda_health_port/readyz"
  start keda-metrics-apiserver "${keda_env[@]}" "$keda/keda-adapter" \
    --bind-address "$node_ip" --secure-port "$keda_apiserver_port" \
    --tls-cert-file "$certs/tls.crt" --tls-private-key-file "$certs/tls.key" \
    --client-ca-file "$pki/ca.crt" --cert-dir "$certs" \
    --authentication-kubeconfig "$state/kubeconfig/keda" \
    --authorization-kubeconfig "$state/kubeconfig/keda" \
    --lister-kubeconfig "$state/kubeconfig/keda" \
    --metrics-service-address "127.0.0.1:$keda_grpc_port" \
    --port "$keda_apiserver_metrics_port" --zap-log-level=info --zap-encoder=console
  wait_for "APIService v1beta1.external.metrics.k8s.io Available" 90 external_metrics_available
}

external_metrics_available() {
  [[ $(kubectl get apiservice v1beta1.external.metrics.k8s.io \
    -o 'jsonpath={.status.conditions[?(@.type=="Available")].status}' 2>/dev/null) == True ]]
}

node_ready() {
  [[ $(kubectl get node "$node_name" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

# --- commands ------------------------------------------------------------------------

locate_binaries() {
  kubernetes=$(scripts/install-kubernetes.sh)
  coredns=$(scripts/install-coredns.sh)
  keda=$(scripts/install-keda.sh)
  images_dir=$(scripts/build-cluster-images.sh)
  images_tag=${images_dir##*cluster-images-}
  pause_image=localhost/edgestream/pause:$images_tag
}

take_machine_lock() {
  exec 8>"$machine_lock"
  if ! flock -n 8 && [[ $(cat "$machine_lock.owner" 2>/dev/null) != "$repo" ]]; then
    die "another local cluster runs on this machine (lock $machine_lock); stop it with its scripts/cluster.sh down"
  fi
  # The lock stays with the processes started from here (they inherit fd 8),
  # so that a second clone cannot start its cluster while this one runs.
  echo "$repo" >"$machine_lock.owner"
}

up() {
  [[ $EUID -eq 0 ]] || die "must run as root (it runs a kubelet, a bridge and iptables rules)"
  install_packages
  link_cache "$repo"
  locate_binaries
  mkdir -p "$state" "$run" "$log"
  take_machine_lock
  local begin=$SECONDS
  make_certificates
  make_kubeconfigs
  setup_network
  start_containerd
  import_images
  start_etcd
  start_control_plane
  start_kubelet
  start_kube_proxy
  start_coredns
  publish_stack_services
  start_keda
  wait_for "node $node_name Ready" 120 node_ready
  # The namespace default's ServiceAccount comes from the controller-manager;
  # pods are refused until it exists.
  wait_for "ServiceAccount default" 60 kubectl get serviceaccount default
  cat >"$state/cluster.env" <<EOF
KUBECONFIG=$kubeconfig
EDGESTREAM_CLUSTER_NODE_IP=$node_ip
EDGESTREAM_CLUSTER_APISERVER=https://$node_ip:$apiserver_port
EDGESTREAM_CLUSTER_PAUSE_IMAGE=$pause_image
EDGESTREAM_CLUSTER_PROBE_IMAGE=localhost/edgestream/probe:$images_tag
EDGESTREAM_CLUSTER_KUBECTL=$kubernetes/kubectl
EOF
  say "up in $((SECONDS - begin)) s: kubectl --kubeconfig var/kubeconfig get pods -A  (settings: var/cluster/cluster.env)"
}

# Every process of a pod lives in a cgroup under the kubelet's cgroup root.
kill_pod_processes() {
  local round pids
  for round in 1 2 3 4 5 6 7 8 9 10; do
    pids=$(find "/sys/fs/cgroup/pids/$cgroup_root" "/sys/fs/cgroup/memory/$cgroup_root" \
      "/sys/fs/cgroup/unified/$cgroup_root" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u || true)
    [[ -z $pids ]] && return 0
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.3
  done
}

remove_cgroups() {
  local subsystem
  for subsystem in "${cgroup_subsystems[@]}" unified; do
    [[ -d /sys/fs/cgroup/$subsystem/$cgroup_root ]] || continue
    find "/sys/fs/cgroup/$subsystem/$cgroup_root" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}

# containerd's shims outlive containerd; ours are the ones started with our socket.
kill_shims() {
  local pid
  for pid in $(pgrep -f -- "-address $containerd_socket" || true); do
    kill -KILL "$pid" 2>/dev/null || true
  done
}

unmount_state() {
  local target
  [[ -d $state ]] || return 0
  # Deepest first; lazily, because a dying shim may still hold one.
  while read -r target; do
    umount -l "$target" 2>/dev/null || true
  done < <(findmnt -rn -o TARGET | grep -F "$state" | sort -r)
}

down() {
  [[ $EUID -eq 0 ]] || die "must run as root"
  kubernetes=$(scripts/install-kubernetes.sh 2>/dev/null || true)
  local name
  for name in keda-metrics-apiserver keda-operator coredns kube-proxy kubelet; do
    stop "$name"
  done
  if running containerd; then
    local task
    for task in $(ctr_k8s tasks ls -q 2>/dev/null || true); do
      ctr_k8s tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true
    done
  fi
  kill_pod_processes
  stop containerd
  kill_shims
  for name in kube-scheduler kube-controller-manager kube-apiserver etcd; do
    stop "$name"
  done
  unmount_state
  teardown_network
  remove_cgroups
  # CNI's own cache of this network's attachments (not configurable in containerd 1.6).
  rm -rf /var/lib/cni/results/edgestream-cluster-* 2>/dev/null || true
  rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null || true
  if [[ -d $state ]] && findmnt -rn -o TARGET | grep -qF "$state"; then
    die "mounts under $state remain; not removing it (findmnt | grep $state)"
  fi
  rm -rf "$state" "$kubeconfig"
  rm -f "$machine_lock.owner"
  say "down"
}

status() {
  local name any=false
  for name in containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet \
    kube-proxy coredns keda-operator keda-metrics-apiserver; do
    if running "$name"; then
      printf '%-24s running (pid %s)\n' "$name" "$(pid_of "$name")"
      any=true
    else
      printf '%-24s stopped\n' "$name"
    fi
  done
  if $any && [[ -f $kubeconfig ]]; then
    kubernetes=$(scripts/install-kubernetes.sh)
    kubectl get nodes -o wide 2>&1 || true
    kubectl get pods -A -o wide 2>&1 || true
  fi
  $any
}

install() {
  [[ $EUID -eq 0 ]] || die "must run as root (it installs Debian packages)"
  install_packages
  link_cache "$repo"
  locate_binaries
}

case ${1:-} in
  install) install ;;
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: scripts/cluster.sh install|up|down|status" ;;
esac
