"""The edgestream chart on the local cluster, scaled by real KEDA.

KEDA's operator and metrics API server run beside the control plane
(scripts/cluster.sh); the chart is installed with `helm --wait` by
scripts/cluster-deploy.sh from the locally built image, on topics, groups and
an S3 prefix of this test only, with its real ScaledObjects. Only the
ScaledObjects' timing is shortened for the test (polling 5 s, one replica
per 15 s, 30 s scale-down stabilisation instead of 15/60/300 s); the
thresholds are the production ones (400 msg/s and 5,000 records of lag per
replica).

The scenario, in one install because every phase needs the one before:
the pods start non-root on a read-only root file system and pass their
probes; the simulator runs at 100 msg/s (one processor), then at 1,200 msg/s,
so KEDA must take the processor from 1 to 3 replicas; with 3 running, one
processor pod and one archiver pod are deleted mid-stream (their
StatefulSets bring them back); the simulator stops, and KEDA must take the
processor back to 1. Then the processor falls behind while the rate stays
below its threshold: the node is cordoned and the processor pod deleted (its
replacement stays Pending), 16,000 readings arrive at once, and the HPA must
scale the processor out because the Kafka lag trigger is above its target
while the rate trigger is below its own; uncordoned, the processors drain
the backlog. Then everything is counted: every reading the
simulator wrote to raw-data is in processed-data once, every closed window's
aggregate once with the value the Python reference model
(processor_harness.Expected) computes from raw-data, and every
processed-data record is in S3 once (test_archiver's Archive reads the
Parquet objects). The scaling timeline (replicas, rate, lag, as KEDA's HPA
saw them) is written to var/log/cluster-keda-timeline.csv for
docs/operations.md.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import REPO, Cluster, prometheus_query, unique_name, wait_until
from processor_harness import (Expected, Output, Topics, assert_output_exact, committed_everything,
                               committed_total, flush_records, make_dataset, now_ms, produce, read_to_end)
from test_archiver import expected_rows, wait_for_archive

NAMESPACE = "edgestream"
RELEASE = "edgestream"
DEPLOY = REPO / "scripts" / "cluster-deploy.sh"
RELEASE_BIN_DIR = Path(os.environ.get("EDGESTREAM_RELEASE_BIN_DIR", REPO / "build" / "release" / "bin"))
TIMELINE = REPO / "var" / "log" / "cluster-keda-timeline.csv"
LOW_RATE, HIGH_RATE = 100, 1200
# Bounds of the scaling waits: what the timing settings below allow, with room
# for a loaded 2-core machine. Measured figures are in docs/operations.md.
SCALE_OUT_BOUND_S = 240
SCALE_IN_BOUND_S = 300
LAG_SCALE_OUT_BOUND_S = 120
# The production thresholds of the processor's ScaledObject (values.yaml).
LAG_THRESHOLD, RATE_THRESHOLD = 5000, 400
# The backlog the processor falls behind by: above 3 x the lag threshold (so
# the lag trigger alone asks for the maximum, 3), yet, sent at once, below
# the rate threshold: rate(...[1m]) spreads 16,000 offsets over the minute,
# about 270-300 msg/s with Prometheus' extrapolation (276 measured).
LAG_BACKLOG = 16_000


class Release:
    def __init__(self, cluster: Cluster, topics: Topics, archiver_dlq: str, archiver_group: str,
                 prefix: str):
        self.cluster = cluster
        self.topics = topics
        self.archiver_dlq = archiver_dlq
        self.archiver_group = archiver_group
        self.prefix = prefix

    def statefulset_replicas(self, name: str) -> tuple[int, int]:
        status = self.cluster.get("statefulset", f"{RELEASE}-{name}", "--namespace", NAMESPACE)
        return status["spec"].get("replicas", 0), status["status"].get("readyReplicas", 0)

    def pods(self, component: str) -> list[dict]:
        return self.cluster.get("pods", "--namespace", NAMESPACE, "-l",
                                f"app.kubernetes.io/component={component}")["items"]

    def hpa_metrics(self, component: str) -> dict[str, float]:
        """A component's HPA's current metrics as KEDA serves them:
        metric name -> value (average per replica)."""
        hpa = self.cluster.get("hpa", f"keda-hpa-{RELEASE}-{component}", "--namespace", NAMESPACE)
        out = {}
        for metric in hpa.get("status", {}).get("currentMetrics") or []:
            external = metric.get("external") or {}
            current = external.get("current", {})
            value = current.get("averageValue") or current.get("value")
            if value is not None:
                out[external["metric"]["name"]] = _quantity(value)
        return out


def _quantity(text: str) -> float:
    """A Kubernetes quantity as the HPA reports metrics ("1200", "433m", "1k")."""
    suffixes = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9}
    if text and text[-1] in suffixes:
        return float(text[:-1]) * suffixes[text[-1]]
    return float(text)


def _utc(seconds: float) -> str:
    """A wall-clock time as Kubernetes writes timestamps (comparable as text)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _test_values(topics: Topics, archiver_dlq: str, archiver_group: str, prefix: str) -> dict:
    """Values of this test's release on top of values-local.yaml."""
    timing = {"pollingInterval": 5, "cooldownPeriod": 30, "scaleDownStabilizationSeconds": 30,
              "scaleUpPeriodSeconds": 15, "scaleDownPeriodSeconds": 15}
    return {
        "kafka": {"topics": {"raw": topics.raw, "processed": topics.processed, "deadLetter": topics.dlq,
                             "partials": topics.partials, "processedDeadLetter": archiver_dlq}},
        "simulator": {"config": {"EDGESTREAM_SIMULATOR_RATE": str(LOW_RATE),
                                 "EDGESTREAM_SIMULATOR_DEVICES": "60"}},
        "processor": {"consumerGroup": topics.group, "autoscaling": timing},
        "archiver": {"consumerGroup": archiver_group, "autoscaling": timing,
                     # 10-s archive periods, as the archiver tests' Archive reads them.
                     "config": {"EDGESTREAM_ARCHIVER_S3_PREFIX": prefix,
                                "EDGESTREAM_ARCHIVER_PERIOD_SECONDS": "10",
                                "EDGESTREAM_ARCHIVER_GRACE_SECONDS": "2"}},
        "keda": {"prometheus": {
            "rawRateQuery": f'sum(rate(kafka_topic_partition_current_offset{{topic="{topics.raw}"}}[1m]))'}},
    }


@pytest.fixture(scope="module")
def release(cluster: Cluster, stack_env: dict[str, str], s3_client_cluster, tmp_path_factory) -> Release:
    if not (RELEASE_BIN_DIR / "edgestream-processor").exists():
        pytest.fail(f"{RELEASE_BIN_DIR} has no release binaries for the chart's image: "
                    "scripts/build.sh release edgestream-simulator edgestream-processor edgestream-archiver")
    topics = Topics(stack_env["KAFKA_BOOTSTRAP_SERVERS"])
    from confluent_kafka.admin import NewTopic
    archiver_dlq = unique_name("test-cluster-archiver-dlq")
    topics.admin.create_topics([NewTopic(archiver_dlq, 3, 1)])[archiver_dlq].result(30)
    archiver_group = unique_name("test-cluster-archiver")
    prefix = unique_name("test-cluster-chart") + "/"
    env = {**os.environ, **stack_env}
    values = tmp_path_factory.mktemp("chart") / "test-values.json"  # JSON is YAML
    values.write_text(json.dumps(_test_values(topics, archiver_dlq, archiver_group, prefix)))
    deploy = subprocess.run(["bash", str(DEPLOY), str(RELEASE_BIN_DIR), "-f", str(values)],
                            capture_output=True, text=True, env=env, timeout=900)
    try:
        assert deploy.returncode == 0, \
            f"cluster-deploy.sh (helm install --wait) failed:\n{deploy.stdout[-3000:]}{deploy.stderr[-3000:]}\n" \
            + cluster.kubectl("get", "pods", "-A", "-o", "wide", check=False).stdout
        yield Release(cluster, topics, archiver_dlq, archiver_group, prefix)
    finally:
        subprocess.run(["bash", str(DEPLOY), "uninstall"], capture_output=True, text=True, env=env,
                       timeout=300)
        topics.delete()
        topics.admin.delete_topics([archiver_dlq])
        bucket = stack_env["S3_BUCKET"]
        for page in s3_client_cluster.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                s3_client_cluster.delete_object(Bucket=bucket, Key=item["Key"])


@pytest.fixture(scope="module")
def s3_client_cluster(stack_env: dict[str, str]):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=stack_env["S3_ENDPOINT_URL"],
                        aws_access_key_id=stack_env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=stack_env["AWS_SECRET_ACCESS_KEY"],
                        region_name=stack_env["AWS_REGION"],
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


def test_keda_serves_external_metrics(cluster: Cluster) -> None:
    """KEDA's metrics API server answers behind the aggregation layer."""
    service = cluster.get("apiservice", "v1beta1.external.metrics.k8s.io")
    available = {c["type"]: c["status"] for c in service["status"]["conditions"]}
    assert available.get("Available") == "True", service["status"]
    # The discovery document of external.metrics.k8s.io comes from KEDA.
    discovery = json.loads(cluster.kubectl("get", "--raw", "/apis/external.metrics.k8s.io/v1beta1").stdout)
    assert discovery["groupVersion"] == "external.metrics.k8s.io/v1beta1"


def test_pods_are_hardened_and_network_policies_are_accepted(cluster: Cluster, release: Release) -> None:
    """Every pod of the chart runs as non-root on a read-only root file system
    and is Ready (its probes pass); the chart's NetworkPolicies, which the
    local values leave out because the bridge CNI would not enforce them,
    pass the API server's validation and admission (server-side dry run)."""
    pods = cluster.get("pods", "--namespace", NAMESPACE)["items"]
    components = {pod["metadata"]["labels"]["app.kubernetes.io/component"] for pod in pods}
    assert components == {"simulator", "processor", "archiver"}, components
    for pod in pods:
        name = pod["metadata"]["name"]
        ready = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
        assert ready.get("Ready") == "True", f"{name} not Ready: {pod['status']}"
        pod_context = pod["spec"].get("securityContext", {})
        for container in pod["spec"]["containers"]:
            context = container.get("securityContext", {})
            assert context.get("readOnlyRootFilesystem") is True, name
            assert context.get("allowPrivilegeEscalation") is False, name
            assert (context.get("runAsNonRoot") or pod_context.get("runAsNonRoot")) is True, name
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                assert probe in container, f"{name} has no {probe}"
        # What the process really is: its uid and its root mount, read in
        # the container (the image's minbase has coreutils' cat).
        container = pod["spec"]["containers"][0]["name"]
        status = cluster.kubectl("exec", "--namespace", NAMESPACE, name, "-c", container, "--",
                                 "cat", "/proc/self/status").stdout
        uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        assert uid_line.split()[1] != "0", f"{name} runs as root: {uid_line}"
        mounts = cluster.kubectl("exec", "--namespace", NAMESPACE, name, "-c", container, "--",
                                 "cat", "/proc/self/mounts").stdout
        root = next(line for line in mounts.splitlines() if line.split()[1] == "/")
        assert "ro" in root.split()[3].split(","), f"{name}: / is not read-only: {root}"

    helm = str(REPO / "var" / "cache" / "bin" / "helm")
    rendered = subprocess.run(
        [helm, "template", RELEASE, str(REPO / "deploy" / "helm" / "edgestream"), "--namespace", NAMESPACE,
         "--kube-version", "1.34.4", "-f", str(REPO / "deploy" / "helm" / "edgestream" / "values-local.yaml"),
         "--set", "networkPolicy.enabled=true", "--show-only", "templates/networkpolicies.yaml"],
        capture_output=True, text=True, check=True)
    assert rendered.stdout.count("kind: NetworkPolicy") >= 3, rendered.stdout
    dry_run = cluster.kubectl("apply", "--dry-run=server", "-f", "-", input=rendered.stdout)
    assert dry_run.stdout.count("networkpolicy.networking.k8s.io") >= 3, dry_run.stdout


class Timeline:
    """Samples, every 2 s, the processor's and archiver's replicas, the raw
    rate Prometheus sees and KEDA's metrics as their HPAs see them."""

    def __init__(self, release: Release, prometheus_url: str):
        self.release = release
        self.prometheus_url = prometheus_url
        self.rows: list[dict] = []
        self.events: list[tuple[float, str]] = []
        self.start = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(30)
        TIMELINE.parent.mkdir(parents=True, exist_ok=True)
        with TIMELINE.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["t", "processor_replicas", "processor_ready",
                                                        "archiver_replicas", "raw_rate", "keda_rate_per_replica",
                                                        "keda_lag_per_replica", "archiver_keda_rate_per_replica",
                                                        "archiver_keda_lag_per_replica", "event"])
            writer.writeheader()
            events = list(self.events)
            for row in self.rows:
                marks = [text for at, text in events if at <= row["t"]]
                for text in marks:
                    events.remove(next(e for e in events if e[1] == text))
                writer.writerow({**row, "event": "; ".join(marks)})
            if events:  # marked after the last sample
                writer.writerow({"t": events[-1][0], "event": "; ".join(text for _, text in events)})

    def mark(self, text: str) -> float:
        at = round(time.monotonic() - self.start, 1)
        self.events.append((at, text))
        return at

    def _run(self):
        topic = self.release.topics.raw
        while not self._stop.is_set():
            row = {"t": round(time.monotonic() - self.start, 1)}
            try:
                row["processor_replicas"], row["processor_ready"] = \
                    self.release.statefulset_replicas("processor")
                row["archiver_replicas"], _ = self.release.statefulset_replicas("archiver")
                rate = prometheus_query(self.prometheus_url,
                                        f'sum(rate(kafka_topic_partition_current_offset{{topic="{topic}"}}[1m]))')
                row["raw_rate"] = round(float(rate[0]["value"][1]), 1) if rate else None
                for component, prefix in (("processor", ""), ("archiver", "archiver_")):
                    for name, value in self.release.hpa_metrics(component).items():
                        # KEDA names them s<trigger index>-<scaler>-...: s0-kafka-<topic>, s1-prometheus.
                        kind = "lag" if "-kafka-" in name else "rate"
                        row[f"{prefix}keda_{kind}_per_replica"] = round(value, 1)
            except Exception as error:  # noqa: BLE001 - a missed sample is not a failure
                row["event"] = f"sample failed: {error}"
            self.rows.append(row)
            self._stop.wait(2)


def test_keda_scales_the_processor_out_and_in_and_every_record_lands_once(
        cluster: Cluster, release: Release, stack_env: dict[str, str], s3_client_cluster) -> None:
    topics = release.topics
    bootstrap = topics.bootstrap
    kubectl = cluster.kubectl

    scaled = cluster.get("scaledobject", f"{RELEASE}-processor", "--namespace", NAMESPACE)
    conditions = {c["type"]: c["status"] for c in scaled["status"]["conditions"]}
    assert conditions.get("Ready") == "True", scaled["status"]

    def processor_replicas() -> int:
        return release.statefulset_replicas("processor")[0]

    def processor_ready(count: int) -> bool:
        return release.statefulset_replicas("processor") == (count, count)

    with Timeline(release, stack_env["PROMETHEUS_URL"]) as timeline:
        # 1. At 100 msg/s the flow runs through one processor.
        # (Committed input offsets: the processor's transactions carrying
        # output have committed. processed-data cannot be read "to its end"
        # while records keep arriving.)
        wait_until(lambda: committed_total(bootstrap, topics.group, topics.raw) > 0, 120,
                   "the processor pod's first committed transaction (simulator -> processor in pods)",
                   interval=1)
        assert processor_replicas() == 1

        # 2. Above 400 msg/s per replica: 1,200 msg/s asks for 3 processors.
        kubectl("set", "env", "--namespace", NAMESPACE, f"deployment/{RELEASE}-simulator",
                f"EDGESTREAM_SIMULATOR_RATE={HIGH_RATE}")
        raised = timeline.mark(f"simulator {LOW_RATE} -> {HIGH_RATE} msg/s")
        wait_until(lambda: processor_ready(3), SCALE_OUT_BOUND_S,
                   "KEDA to scale the processor to 3 ready replicas", interval=1)
        out_at = timeline.mark("processor 3/3 ready")
        print(f"scale-out 1 -> 3 ready: {out_at - raised:.0f} s after the rate was raised")

        # 3. Pods deleted mid-stream; their StatefulSets start them again.
        for pod in (f"{RELEASE}-processor-1", f"{RELEASE}-archiver-0"):
            before = cluster.get("pod", pod, "--namespace", NAMESPACE)["metadata"]["uid"]
            kubectl("delete", "pod", "--namespace", NAMESPACE, pod, "--wait=false")
            timeline.mark(f"deleted {pod}")

            def replaced(pod=pod, before=before):
                now = cluster.kubectl("get", "pod", pod, "--namespace", NAMESPACE, "-o", "json", check=False)
                if now.returncode != 0:
                    return False
                item = json.loads(now.stdout)
                ready = {c["type"]: c["status"] for c in item["status"].get("conditions", [])}
                return item["metadata"]["uid"] != before and ready.get("Ready") == "True"
            wait_until(replaced, 180, f"{pod} to come back Ready", interval=1)
            timeline.mark(f"{pod} back")

        # 4. The simulator stops; the windows are closed by one reading per
        # partition 70 s ahead; KEDA takes the processor back to 1.
        kubectl("scale", "--namespace", NAMESPACE, f"deployment/{RELEASE}-simulator", "--replicas=0")
        wait_until(lambda: not release.pods("simulator"), 120, "the simulator pod to exit", interval=1)
        stopped = timeline.mark("simulator stopped")
        flush_ms = now_ms() + 70_000
        produce(bootstrap, topics.raw, flush_records(flush_ms))
        wait_until(lambda: processor_ready(1), SCALE_IN_BOUND_S,
                   "KEDA to scale the processor back to 1", interval=1)
        in_at = timeline.mark("processor back to 1")
        print(f"scale-in 3 -> 1: {in_at - stopped:.0f} s after the simulator stopped")

        # 5. Lag, not rate: the processor falls behind. The node is cordoned
        # and the processor pod deleted, so its replacement stays Pending and
        # nothing consumes raw-data (as when a processor's node is lost and
        # no capacity is left), while a backlog of 16,000 readings (event
        # time after the flush above, closed by a second flush) arrives at
        # once. A running processor would drain it in seconds, before the
        # HPA's next 15-s sync could see it.
        node = cluster.get("nodes")["items"][0]["metadata"]["name"]
        kubectl("cordon", node)
        try:
            kubectl("delete", "pod", "--namespace", NAMESPACE, f"{RELEASE}-processor-0")
            timeline.mark("node cordoned, processor pod Pending")
            behind_wall = time.time()
            backlog_ms = max(now_ms(), flush_ms) + 1_000
            produce(bootstrap, topics.raw,
                    make_dataset(11, LAG_BACKLOG, backlog_ms, 60_000) + flush_records(backlog_ms + 130_000))
            behind = timeline.mark(f"{LAG_BACKLOG} readings behind")
            # The HPA's status holds its decision and the metrics it decided
            # on together: the first status since the backlog asking for 2 or
            # more replicas is kept.
            decision = {}

            def hpa_asks_for_more():
                hpa = cluster.get("hpa", f"keda-hpa-{RELEASE}-processor", "--namespace", NAMESPACE)
                status = hpa.get("status", {})
                if status.get("lastScaleTime", "") < _utc(behind_wall - 1) or status.get("desiredReplicas", 0) < 2:
                    return False
                decision.update(hpa)
                return True
            wait_until(hpa_asks_for_more, LAG_SCALE_OUT_BOUND_S,
                       "KEDA's HPA to ask for 2+ processors on the raw-data lag", interval=1)
            wait_until(lambda: processor_replicas() >= 2, 30, "the processor StatefulSet to follow", interval=1)
        finally:
            kubectl("uncordon", node)
        lag_out_at = timeline.mark(f"HPA asks for {decision['status']['desiredReplicas']} processors; uncordoned")
        wait_until(lambda: release.statefulset_replicas("processor")[1] >= 2, 120,
                   "2+ processor pods Ready after the node was uncordoned", interval=1)
        lag_ready_at = timeline.mark("2+ processors ready")
        print(f"lag scale-out 1 -> {decision['status']['desiredReplicas']}: HPA decision "
              f"{lag_out_at - behind:.0f} s, 2+ pods Ready {lag_ready_at - behind:.0f} s "
              "after the backlog was in raw-data")
        metrics = {}
        for metric in decision["status"].get("currentMetrics") or []:
            external = metric["external"]
            kind = "lag" if "-kafka-" in external["metric"]["name"] else "rate"
            metrics[kind] = _quantity(external["current"]["averageValue"])
        targets = {("lag" if "-kafka-" in m["external"]["metric"]["name"] else "rate"):
                   _quantity(m["external"]["target"]["averageValue"]) for m in decision["spec"]["metrics"]}
        assert targets == {"lag": LAG_THRESHOLD, "rate": RATE_THRESHOLD}, targets
        assert metrics.get("lag", 0) > LAG_THRESHOLD, f"lag trigger not above its target: {decision['status']}"
        assert metrics.get("rate", RATE_THRESHOLD) < RATE_THRESHOLD, \
            f"rate trigger not below its target, so it may have driven the scale-out: {decision['status']}"
        print(f"HPA decision: lag {metrics['lag']:.0f}/replica (target {LAG_THRESHOLD}), "
              f"rate {metrics['rate']:.1f}/replica (target {RATE_THRESHOLD})")
        # The HPA's own account of why it scaled (its event names the metric).
        events = json.loads(kubectl("get", "events", "--namespace", NAMESPACE, "-o", "json", "--field-selector",
                                    f"involvedObject.name=keda-hpa-{RELEASE}-processor,"
                                    "reason=SuccessfulRescale").stdout)["items"]
        reasons = [e["message"] for e in events
                   if (e.get("lastTimestamp") or e.get("eventTime") or "") >= _utc(behind_wall - 1)]
        assert any("-kafka-" in text and "above target" in text for text in reasons), reasons

    # 6. Exactly once through processor churn and the backlog: raw-data against processed-data
    # with the reference model.
    raw = [(partition, json.loads(value))
           for partition, _, _, value in sorted(read_to_end(bootstrap, topics.raw, with_positions=True),
                                                key=lambda r: (r[0], r[1]))]
    assert len(raw) > HIGH_RATE * 30, f"only {len(raw)} readings in raw-data"
    expected = Expected(raw)

    def complete():
        if not committed_everything(bootstrap, topics.group, topics.raw):
            return False
        output = Output(read_to_end(bootstrap, topics.processed))
        return set(output.aggregates) >= set(expected.aggregates) and \
            set(output.device_aggregates) >= set(expected.device_aggregates)
    wait_until(complete, 180, "the processor pods to consume raw-data and publish every closed window",
               interval=2)
    assert_output_exact(Output(read_to_end(bootstrap, topics.processed)), expected)
    dead_letters = read_to_end(bootstrap, topics.dlq)
    assert len(dead_letters) == sum(expected.dead_letters.values()), len(dead_letters)

    # 7. ... and processed-data against the Parquet objects in S3.
    processed = [(partition, key.decode() if key else None, json.loads(value))
                 for partition, _, key, value in read_to_end(bootstrap, topics.processed, with_positions=True)]
    rows = expected_rows(processed)
    archive = wait_for_archive(s3_client_cluster, stack_env["S3_BUCKET"], release.prefix, rows, None,
                               timeout=240)
    assert archive.problems == [], archive.problems[:5]
    assert archive.difference(rows) == []
    assert read_to_end(bootstrap, release.archiver_dlq) == []
