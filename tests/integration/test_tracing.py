"""Distributed tracing against a real OTLP receiver: Jaeger (built from its Go
module by scripts/install-jaeger.sh) on loopback ports of its own, with
in-memory storage, queried through its HTTP API.

The simulator samples a share of its readings; each sampled record carries a
W3C traceparent header. The processor and the archiver continue those traces
only (parentbased_always_off, so that nothing but the simulator's decision
counts); the processor puts its own span's context on the reading it
publishes, and the archiver ends each sampled reading's trace with a span
naming the S3 object that holds it. The test reads the topics back with an
independent client (confluent-kafka) and the objects with pyarrow, and checks,
for every record, that the header and the spans in Jaeger agree with it.
"""
import datetime
import io
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import REPO, kafka_config, wait_until
from processor_harness import PARTITIONS, ProcessorProcess, Topics, committed_everything, kept, read_messages

JAEGER_START_TIMEOUT = 60
# The install script builds Jaeger on first use; scripts/test.sh runs it
# beforehand, while the C++ code compiles.
JAEGER_INSTALL_TIMEOUT = 540


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Jaeger:
    """Jaeger v2 with an OTLP/HTTP receiver and the query API, memory storage."""

    def __init__(self, binary, folder):
        self.otlp_port = free_port()
        self.query_port = free_port()
        grpc_port = free_port()
        config = folder / "jaeger.yaml"
        # Only what the test needs: no default ports (4317/4318/16686/8888)
        # that another process on the machine might hold.
        config.write_text(f"""
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:{self.query_port}
    grpc:
      endpoint: 127.0.0.1:{grpc_port}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{self.otlp_port}
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
""")
        self.log_path = folder / "jaeger.log"
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen([binary, "--config", str(config)], stdout=self.log,
                                        stderr=subprocess.STDOUT)
        self.endpoint = f"http://127.0.0.1:{self.otlp_port}"
        self.query = f"http://127.0.0.1:{self.query_port}"

    def get(self, path):
        with urllib.request.urlopen(self.query + path, timeout=10) as response:
            return json.load(response)

    def ready(self):
        assert self.process.poll() is None, "jaeger exited:\n" + self.tail()
        self.get("/api/services")
        # The receiver too: an empty export must be accepted.
        request = urllib.request.Request(self.endpoint + "/v1/traces", data=b'{"resourceSpans":[]}',
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status == 200

    def traces(self, service):
        """All traces that have a span of `service`, by trace id (hex)."""
        body = self.get(f"/api/traces?service={service}&limit=100000&lookback=1h")
        return {trace["traceID"]: trace for trace in body["data"] or []}

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(30)
        self.log.close()

    def tail(self):
        return self.log_path.read_bytes()[-4000:].decode(errors="replace")


@pytest.fixture
def jaeger(tmp_path):
    install = subprocess.run([str(REPO / "scripts" / "install-jaeger.sh")], capture_output=True,
                             text=True, timeout=JAEGER_INSTALL_TIMEOUT)
    assert install.returncode == 0, "scripts/install-jaeger.sh failed:\n" + install.stderr[-4000:]
    receiver = Jaeger(install.stdout.strip().splitlines()[-1], tmp_path)
    try:
        wait_until(receiver.ready, JAEGER_START_TIMEOUT, "jaeger to serve its query API and OTLP receiver",
                   retry_on=(urllib.error.URLError, ConnectionError, OSError))
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
def topics(stack_env):
    made = Topics(stack_env["KAFKA_BOOTSTRAP_SERVERS"])
    yield made
    made.delete()


def read_with_headers(bootstrap, topic, partitions=PARTITIONS):
    """Every committed record of `topic`: dicts with partition, offset, key, value, traceparent."""
    records = []
    for message in read_messages(bootstrap, topic, partitions):
        headers = [value for name, value in (message.headers() or []) if name == "traceparent"]
        assert len(headers) <= 1, f"{topic}/{message.partition()}@{message.offset()}: {headers}"
        records.append({"partition": message.partition(), "offset": message.offset(),
                        "key": message.key(), "value": json.loads(message.value()),
                        "traceparent": headers[0].decode() if headers else None})
    return records


def parse_traceparent(text):
    """The W3C format, parsed here independently of the C++ code."""
    version, trace_id, span_id, flags = text.split("-")
    assert version == "00" and len(trace_id) == 32 and len(span_id) == 16 and len(flags) == 2, text
    assert trace_id == trace_id.lower() and int(trace_id, 16) != 0 and int(span_id, 16) != 0, text
    return trace_id, span_id, int(flags, 16)


def tags(span):
    return {tag["key"]: tag["value"] for tag in span["tags"]}


def spans_of(trace, service):
    return [span for span in trace["spans"] if trace["processes"][span["processID"]]["serviceName"] == service]


def run_simulator(bin_dir, stack_env, topic, count, env):
    command = [os.path.join(bin_dir, "edgestream-simulator"),
               "--bootstrap-servers", stack_env["KAFKA_BOOTSTRAP_SERVERS"], "--metrics-address", "",
               "--topic", topic, "--count", str(count), "--rate", "0",
               # One reading per device, so device id names a reading.
               "--devices", str(count)]
    result = subprocess.run(command, env={**os.environ, **stack_env, **env}, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stderr


def run_archiver(bin_dir, stack_env, topic, dlq, prefix, folder, env):
    """The archiver with 10 s periods and 2 s of grace (files are cut 2 s
    after the input goes quiet), until every sampled reading's object is in S3."""
    command = [os.path.join(bin_dir, "edgestream-archiver"), "--input-topic", topic,
               "--dead-letter-topic", dlq, "--group-id", f"archiver-{uuid.uuid4().hex[:8]}",
               "--spool-dir", str(folder / "spool"), "--s3-prefix", prefix,
               "--period-seconds", "10", "--grace-seconds", "2", "--metrics-address", "",
               "--upload-backoff-max-seconds", "1"]
    log = open(folder / "archiver.log", "wb")
    process = subprocess.Popen(command, env={**os.environ, **stack_env, **env}, stdout=log,
                               stderr=subprocess.STDOUT)
    return process, log


def utc(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_sampled_reading_is_traced_from_the_simulator_to_its_s3_object(
        bin_dir, stack_env, topics, jaeger, tmp_path, monkeypatch, unique_topic, s3_client, s3_bucket,
        s3_prefix):
    tag = uuid.uuid4().hex[:8]
    simulator_service, processor_service = f"edgestream-simulator-{tag}", f"edgestream-processor-{tag}"
    archiver_service = f"edgestream-archiver-{tag}"
    count, ratio = 400, 0.2
    common = {"OTEL_EXPORTER_OTLP_ENDPOINT": jaeger.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    log = run_simulator(bin_dir, stack_env, topics.raw, count,
                        {**common, "OTEL_SERVICE_NAME": simulator_service,
                         "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                         "OTEL_TRACES_SAMPLER_ARG": str(ratio)})
    assert "0 dropped, 0 failed" in log, log

    raw = read_with_headers(topics.bootstrap, topics.raw)
    assert len(raw) == count
    sampled = {r["value"]["device_id"]: r for r in raw if r["traceparent"]}
    # Binomial(400, 0.2): mean 80, standard deviation 8; 30..130 is beyond 6 sigma.
    assert 30 <= len(sampled) <= 130, f"{len(sampled)} of {count} records sampled at ratio {ratio}"
    for record in sampled.values():
        assert parse_traceparent(record["traceparent"])[2] & 1, record  # the sampled flag

    # Every sampled record's span is in Jaeger, with the record's own ids and
    # where the broker put it; there are no others.
    def all_simulator_traces():
        found = jaeger.traces(simulator_service)
        return found if len(found) >= len(sampled) else None

    traces = wait_until(all_simulator_traces, 60, f"{len(sampled)} simulator traces in jaeger")
    assert len(traces) == len(sampled)
    for device, record in sampled.items():
        trace_id, span_id, _ = parse_traceparent(record["traceparent"])
        assert trace_id in traces, f"{device}: trace {trace_id} not in jaeger"
        (span,) = spans_of(traces[trace_id], simulator_service)
        assert span["spanID"] == span_id and span["references"] == []
        assert span["operationName"] == f"produce {topics.raw}"
        span_tags = tags(span)
        assert span_tags["span.kind"] == "producer"
        assert span_tags["messaging.kafka.message.key"] == device
        assert span_tags["messaging.destination.partition.id"] == str(record["partition"])
        assert span_tags["messaging.kafka.offset"] == record["offset"]

    # The processor continues exactly the sampled traces.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", jaeger.endpoint)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
    monkeypatch.setenv("OTEL_SERVICE_NAME", processor_service)
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_always_off")
    processor = ProcessorProcess(bin_dir, topics, "p0", str(tmp_path)).start()
    try:
        wait_until(lambda: committed_everything(topics.bootstrap, topics.group, topics.raw), 90,
                   "processor to commit the whole input")
    finally:
        processor.stop()

    readings = {r["value"]["device_id"]: r for r in read_with_headers(topics.bootstrap, topics.processed)
                if r["value"].get("type") == "reading"}
    expected_readings = {r["value"]["device_id"] for r in raw if kept(r["value"])}
    assert set(readings) == expected_readings

    def complete():
        found = jaeger.traces(simulator_service)
        return all(len(spans_of(found[parse_traceparent(r["traceparent"])[0]], processor_service)) == 1
                   for r in sampled.values()) and found

    traces = wait_until(complete, 60, "a processor span in every sampled trace")
    for device, raw_record in sampled.items():
        trace_id, simulator_span_id, _ = parse_traceparent(raw_record["traceparent"])
        (span,) = spans_of(traces[trace_id], processor_service)
        assert span["references"] == [{"refType": "CHILD_OF", "traceID": trace_id, "spanID": simulator_span_id}]
        assert span["operationName"] == f"process {topics.raw}"
        span_tags = tags(span)
        assert span_tags["span.kind"] == "consumer"
        assert span_tags["edgestream.device_id"] == device
        assert span_tags["edgestream.reading.timestamp"] == raw_record["value"]["timestamp"]
        assert span_tags["messaging.kafka.offset"] == raw_record["offset"]
        assert span_tags["messaging.destination.partition.id"] == str(raw_record["partition"])
        if kept(raw_record["value"]):
            assert span_tags["edgestream.outcome"] == "published"
            # The published reading carries the processor span's context.
            out_trace, out_span, out_flags = parse_traceparent(readings[device]["traceparent"])
            assert (out_trace, out_span) == (trace_id, span["spanID"]) and out_flags & 1
        else:
            assert span_tags["edgestream.outcome"] in ("rejected_status", "rejected_over_limit")

    # Unsampled readings stay unsampled downstream: no header, no span.
    for device, reading in readings.items():
        if device not in sampled:
            assert reading["traceparent"] is None, reading
    assert set(jaeger.traces(processor_service)) == {parse_traceparent(r["traceparent"])[0]
                                                     for r in sampled.values()}

    # The archiver ends each published sampled reading's trace at its object.
    published = {device: record for device, record in sampled.items() if kept(record["value"])}
    assert published, "no sampled reading passed the filter"
    archiver, archiver_log = run_archiver(
        bin_dir, stack_env, topics.processed, unique_topic(1, hint="archiver-dlq"), s3_prefix, tmp_path,
        {**common, "OTEL_SERVICE_NAME": archiver_service, "OTEL_TRACES_SAMPLER": "parentbased_always_off"})
    try:
        def archived():
            assert archiver.poll() is None, "archiver exited:\n" + (tmp_path / "archiver.log").read_text()
            found = jaeger.traces(archiver_service)
            return found if len(found) >= len(published) else None

        traces = wait_until(archived, 120, f"archive spans for {len(published)} sampled readings")
    finally:
        archiver.send_signal(signal.SIGTERM)
        assert archiver.wait(60) == 0, (tmp_path / "archiver.log").read_text()[-4000:]
        archiver_log.close()

    assert set(traces) == {parse_traceparent(r["traceparent"])[0] for r in published.values()}
    objects = {}
    for device, raw_record in published.items():
        trace_id = parse_traceparent(raw_record["traceparent"])[0]
        trace = traces[trace_id]
        # One trace, three components, linked parent to child.
        (produce_span,) = spans_of(trace, simulator_service)
        (process_span,) = spans_of(trace, processor_service)
        (archive_span,) = spans_of(trace, archiver_service)
        assert process_span["references"][0]["spanID"] == produce_span["spanID"]
        assert archive_span["references"] == [{"refType": "CHILD_OF", "traceID": trace_id,
                                               "spanID": process_span["spanID"]}]
        assert archive_span["operationName"] == f"archive {topics.processed}"
        span_tags = tags(archive_span)
        assert span_tags["edgestream.device_id"] == device
        assert span_tags["s3.bucket"] == s3_bucket
        key = span_tags["s3.key"]
        assert key.startswith(s3_prefix) and key.endswith(".parquet"), key
        assert span_tags["messaging.kafka.offset"] == readings[device]["offset"]
        assert span_tags["messaging.destination.partition.id"] == str(readings[device]["partition"])
        # The object named by the span exists and holds this very reading.
        if key not in objects:
            body = s3_client.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
            objects[key] = pq.read_table(io.BytesIO(body)).to_pylist()
        rows = objects[key]
        assert span_tags["parquet.rows"] == len(rows)
        matches = [row for row in rows if row["DeviceId"] == device]
        assert len(matches) == 1, f"{device} in {key}: {matches}"
        row = matches[0]
        assert row["Timestamp"].replace(tzinfo=datetime.timezone.utc) == utc(raw_record["value"]["timestamp"])
        assert row["Temperature"] == raw_record["value"]["temperature"]
        assert row["Status"] == raw_record["value"]["status"]


def test_tracing_is_off_without_an_endpoint_and_records_carry_no_header(bin_dir, stack_env, topics):
    env = {name: value for name, value in os.environ.items() if not name.startswith("OTEL_")}
    command = [os.path.join(bin_dir, "edgestream-simulator"),
               "--bootstrap-servers", stack_env["KAFKA_BOOTSTRAP_SERVERS"], "--metrics-address", "",
               "--topic", topics.raw, "--count", "200", "--rate", "0"]
    # A sampler that would trace everything, but no endpoint: tracing stays off.
    result = subprocess.run(command, env={**env, **stack_env, "OTEL_TRACES_SAMPLER": "always_on"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "tracing" not in result.stderr
    records = read_with_headers(topics.bootstrap, topics.raw)
    assert len(records) == 200
    assert all(record["traceparent"] is None for record in records)


def test_a_receiver_that_is_down_costs_no_records(bin_dir, stack_env, topics):
    # Nothing listens on this port: every export fails, the data goes through.
    port = free_port()
    command = [os.path.join(bin_dir, "edgestream-simulator"),
               "--bootstrap-servers", stack_env["KAFKA_BOOTSTRAP_SERVERS"], "--metrics-address", "",
               "--topic", topics.raw, "--count", "300", "--rate", "0"]
    env = {**os.environ, **stack_env, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
           "OTEL_TRACES_SAMPLER": "always_on", "OTEL_BSP_SCHEDULE_DELAY": "50"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "300 delivered" in result.stderr
    assert "0 spans exported" in result.stderr and "exporting" in result.stderr, result.stderr
    records = read_with_headers(topics.bootstrap, topics.raw)
    assert len(records) == 300 and all(record["traceparent"] for record in records)


def test_an_invalid_tracing_setting_is_a_configuration_error(bin_dir, stack_env, topics):
    command = [os.path.join(bin_dir, "edgestream-simulator"),
               "--bootstrap-servers", stack_env["KAFKA_BOOTSTRAP_SERVERS"], "--metrics-address", "",
               "--topic", topics.raw, "--count", "1"]
    env = {**os.environ, **stack_env, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1",
           "OTEL_TRACES_SAMPLER_ARG": "2"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr  # the simulator's exit code for a rejected configuration
    assert "OTEL_TRACES_SAMPLER_ARG" in result.stderr
