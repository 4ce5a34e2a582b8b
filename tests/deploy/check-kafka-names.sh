#!/usr/bin/env bash
# Topic, consumer-group and ACL names agree between the binaries (their
# defaults), the local stack, the edgestream chart, the platform chart and the
# rendered KafkaUsers (check_kafka_names.py); a known-bad set must be
# rejected with each problem named.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/deploy/charts.sh
python=var/venv-deploy/bin/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
headers=(
  src/simulator/include/edgestream/simulator/simulator.h
  src/processor/include/edgestream/processor/processor.h
  src/archiver/include/edgestream/archiver/archiver.h
)
tests/deploy/render-charts.sh "$work/rendered" >/dev/null
"$python" tests/deploy/check_kafka_names.py --headers "${headers[@]}" --stack scripts/stack.sh \
  --chart-values deploy/helm/edgestream/values.yaml \
  --platform-values deploy/helm/edgestream-platform/values.yaml \
  --manifests "$work"/rendered/edgestream-*.yaml

set +e
"$python" tests/deploy/check_kafka_names.py --headers "${headers[@]}" --stack scripts/stack.sh \
  --chart-values deploy/helm/edgestream/values.yaml \
  --platform-values tests/deploy/fixtures/kafka-names-bad/platform-values.yaml \
  --manifests tests/deploy/fixtures/kafka-names-bad/kafka-users.yaml >"$work/bad.log" 2>&1
status=$?
set -e
expected=(
  "topic processed-data-dlq (archiver.h:dead_letter_topic) is not created by the platform chart"
  "topic processed-data-dlq (chart kafka.topics.processedDeadLetter) is not created by the platform chart"
  "KafkaUser bad-archiver: ACL on topic processed-data-dead-letters (literal) names no topic of the deployment"
  "KafkaUser bad-archiver: ACL on group archiver (literal) names no group of the deployment"
)
missing=0
for line in "${expected[@]}"; do
  grep -qF -- "$line" "$work/bad.log" || { echo "check-kafka-names: not reported: $line" >&2; missing=1; }
done
if ((status != 1 || missing)); then
  echo "check-kafka-names: the known-bad fixture was not rejected as expected (exit $status):" >&2
  cat "$work/bad.log" >&2
  exit 1
fi
echo "check-kafka-names: the known-bad fixture is rejected with all ${#expected[@]} expected problems"
