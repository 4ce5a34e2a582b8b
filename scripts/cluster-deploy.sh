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
# possible replica under var/cluster/volumes), then runs `helm upgrade
# --install` into the namespace edgestream and waits for the pods. The
# settings that depend on the running stack (broker port, bucket, region, S3
# port) come from var/edgestream.env (scripts/stack.sh start).
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

mapfile -t image < <(scripts/build-edgestream-image.sh "${1:-build/release/bin}")
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

tag=${reference##*:}
# S3 over plain HTTP: the chart's archiver.s3.endpointUrl accepts https only
# (production), so the local endpoint goes in through archiver.config.
helm upgrade --install "$release" deploy/helm/edgestream \
  --namespace "$namespace" --create-namespace \
  -f deploy/helm/edgestream/values-local.yaml \
  --set "image.tag=$tag" \
  --set "kafka.bootstrapServers=kafka.local-stack.svc.cluster.local:$EDGESTREAM_KAFKA_PORT" \
  --set "archiver.s3.bucket=$S3_BUCKET" --set "archiver.s3.region=${AWS_REGION:-us-east-1}" \
  --set "archiver.config.S3_ENDPOINT_URL=http://s3.local-stack.svc.cluster.local:$EDGESTREAM_S3_PORT" \
  --set "archiver.config.S3_FORCE_PATH_STYLE=true"
# Not `helm --wait`: today the processor and the archiver cannot become
# ready here (docs/cluster.md, "The chart on the local cluster"); wait until
# every pod has been scheduled and its containers created, then show them.
started() {
  [[ -z $(kubectl get pods --namespace "$namespace" -o \
    'jsonpath={range .items[*]}{.status.phase}{" "}{.status.containerStatuses[*].state.waiting.reason}{"\n"}{end}' |
    grep -E 'Pending|ContainerCreating') ]]
}
for ((i = 0; i < 120; i++)); do started && break; sleep 1; done
kubectl get pods --namespace "$namespace" -o wide
