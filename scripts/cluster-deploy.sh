#!/usr/bin/env bash
# Installs the edgestream chart on the local cluster (scripts/cluster.sh up)
# with deploy/helm/edgestream/values-local.yaml, from an image built here:
#
#   scripts/cluster-deploy.sh [BIN_DIR]     (default build/release/bin)
#   scripts/cluster-deploy.sh uninstall
#
# It builds and imports the image (scripts/build-edgestream-image.sh), gives
# the archiver's spool volumes somewhere to live (the StorageClass
# edgestream-local without a provisioner and one local PersistentVolume per
# possible replica under var/cluster/volumes), copies the stack's Kafka
# passwords, CA and S3 keys into the Secrets values-local.yaml names, then
# runs `helm upgrade --install --wait` into the namespace edgestream. The
# settings that depend on the running stack (broker ports, bucket, region, S3
# and Prometheus ports) come from var/edgestream.env (scripts/stack.sh start).
# Further arguments after BIN_DIR go to helm (e.g. --set ... for a test).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
readonly namespace=edgestream release=edgestream node_name=edgestream-local
readonly spool_volumes=3

die() { echo "cluster-deploy: $*" >&2; exit 1; }
[[ -f var/cluster/cluster.env ]] || die "the local cluster is not up; run scripts/cluster.sh up"
# shellcheck source=/dev/null
source var/cluster/cluster.env
kubectl() { "$EDGESTREAM_CLUSTER_KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }

helm=$repo/var/cache/bin/helm
[[ -x $helm ]] || tests/deploy/install-tools.sh >&2
helm() { "$helm" --kubeconfig "$KUBECONFIG" "$@"; }

if [[ ${1:-} == uninstall ]]; then
  helm uninstall "$release" --namespace "$namespace" --wait 2>/dev/null || true
  kubectl delete namespace "$namespace" --ignore-not-found --wait=true >/dev/null
  kubectl delete persistentvolume -l app.kubernetes.io/part-of=edgestream-local --ignore-not-found >/dev/null
  exit 0
fi

[[ -f var/edgestream.env ]] || die "var/edgestream.env is missing: start the local stack (scripts/stack.sh start)"
# shellcheck source=/dev/null
source var/edgestream.env

bin_dir=${1:-build/release/bin}
shift || true
mapfile -t image < <(scripts/build-edgestream-image.sh "$bin_dir")
archive=${image[0]} reference=${image[1]}
ctr --address var/cluster/containerd/containerd.sock --namespace k8s.io images import "$archive" >/dev/null
echo "cluster-deploy: image $reference imported" >&2

# The archiver's StatefulSet asks for one spool volume per replica.
volumes=$(for ((i = 0; i < spool_volumes; i++)); do
  path=$repo/var/cluster/volumes/archiver-spool-$i
  mkdir -p "$path"
  chown 65532:65532 "$path"
  chmod 0750 "$path"
  cat <<ITEM
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: edgestream-local-spool-$i
  labels: {app.kubernetes.io/part-of: edgestream-local}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: edgestream-local
  local: {path: $path}
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [$node_name]}]
ITEM
done)
kubectl apply -f - >/dev/null <<EOF2
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: edgestream-local}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
$volumes
EOF2

# The credentials values-local.yaml names, from the stack's own files: the
# SCRAM password of each component's stack principal in the Secret the chart
# mounts (<release>-<component>, as Strimzi would name it), the stack's CA,
# the local S3 server's keys. Passwords go by file, never on a command line.
users_dir=var/stack/kafka/users
[[ -f $EDGESTREAM_KAFKA_CA_FILE && -d $users_dir ]] ||
  die "the stack's Kafka credentials are missing ($users_dir); start the stack (scripts/stack.sh start)"
secret() { # secret NAME ARGS...: create or update a generic Secret
  local name=$1
  shift
  kubectl create secret generic "$name" --namespace "$namespace" "$@" --dry-run=client -o yaml |
    kubectl apply -f - >/dev/null
}
kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
for pair in simulator:simulator processor:processor archiver:archiver keda:kafka-exporter; do
  secret "$release-${pair%%:*}" --from-file="password=$users_dir/${pair#*:}.password"
done
secret edgestream-local-stack-ca --from-file="ca.crt=$EDGESTREAM_KAFKA_CA_FILE"
s3_keys=$(mktemp)
trap 'rm -f "$s3_keys"' EXIT
printf 'AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$s3_keys"
secret edgestream-local-s3 --from-env-file="$s3_keys"

tag=${reference##*:}
# S3 over plain HTTP: the chart's archiver.s3.endpointUrl accepts https only
# (production), so the local endpoint goes in through archiver.config.
# KEDA runs on the host: it reaches the broker and Prometheus on loopback.
helm upgrade --install "$release" deploy/helm/edgestream \
  --namespace "$namespace" \
  -f deploy/helm/edgestream/values-local.yaml \
  --set "image.tag=$tag" \
  --set "kafka.bootstrapServers=kafka.local-stack.svc.cluster.local:$EDGESTREAM_KAFKA_CLUSTER_PORT" \
  --set "keda.kafka.bootstrapServers=127.0.0.1:$EDGESTREAM_KAFKA_PORT" \
  --set "keda.prometheus.serverAddress=http://127.0.0.1:$EDGESTREAM_PROMETHEUS_PORT" \
  --set "archiver.s3.bucket=$S3_BUCKET" --set "archiver.s3.region=${AWS_REGION:-us-east-1}" \
  --set "archiver.config.S3_ENDPOINT_URL=http://s3.local-stack.svc.cluster.local:$EDGESTREAM_S3_PORT" \
  --set "archiver.config.S3_FORCE_PATH_STYLE=true" \
  --wait --timeout 5m "$@"
kubectl get pods --namespace "$namespace" -o wide
