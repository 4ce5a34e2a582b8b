"""The archiver against the real local broker and real S3 servers (versitygw).

Every check compares what is in S3, read back with pyarrow, with rows
computed here from what the test sent: each input record must be in exactly
one object, whatever happened in between (S3 down, link cut, SIGKILL).

Each test uses its own topics, consumer group, spool and S3 key prefix, and
runs the archiver with 10-second periods and 2 seconds of grace so that files
are cut within seconds instead of hours.
"""
from __future__ import annotations

import collections
import datetime
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import kafka_config, wait_until
# The S3 server behind a link that can be cut lives in scripts/lib (conftest put it on sys.path).
from edgestream_netns import LinkNamespace, NetnsError, VersityGw  # noqa: E402

PERIOD_S = 10
GRACE_S = 2
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
BASE_MS = 1_735_207_200_000  # 2024-12-26T10:00:00Z (checked below)
KINDS = ("readings", "aggregates", "device-aggregates", "aggregate-corrections")
KEY_RE = re.compile(
    r"^(?P<prefix>.*?)(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P<kind>readings|aggregates|device-aggregates|aggregate-corrections)-p(?P<partition>\d+)-o(?P<offset>\d+)_"
    r"(?P<stamp>\d{8}T\d{6}Z)\.parquet$")


# --- times, computed with Python's own datetime, not the archiver's code ----------

def to_ms(text: str) -> int:
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_ms(ms: int) -> str:
    value = EPOCH + datetime.timedelta(milliseconds=ms)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{ms % 1000:03d}Z" if ms % 1000 else "Z")


assert to_ms("2024-12-26T10:00:00Z") == BASE_MS


# --- datasets ----------------------------------------------------------------------

def make_records(seed: int, partitions: int, periods: int, readings_per_period: int,
                 start_ms: int = BASE_MS):
    """(partition, key, record-dict) in production order: readings of 20
    devices (device i always in partition i % partitions), an aggregate every
    5 s and per-device aggregates, spread over `periods` periods of PERIOD_S."""
    rng = random.Random(seed)
    out = []
    period_ms = PERIOD_S * 1000
    for period in range(periods):
        begin = start_ms + period * period_ms
        batch = []
        for i in range(readings_per_period):
            device = rng.randrange(20)
            ms = begin + rng.randrange(period_ms)
            batch.append((device % partitions, f"device{device:03d}", {
                "type": "reading", "device_id": f"device{device:03d}", "timestamp": from_ms(ms),
                "temperature": round(rng.uniform(-20, 99.9), 2),
                "humidity": round(rng.uniform(0, 100), 1),
                "status": rng.choice(["OK", "OK", "OK", "WARN", "\u00e9t\u00e9"])}))
        for window in range(2):
            window_start = begin + window * 5000
            key = from_ms(window_start)
            values = [round(rng.uniform(0, 100), 2) for _ in range(3)]
            batch.append((rng.randrange(partitions), key, {
                "type": "aggregate", "window_start": key, "window_end": from_ms(window_start + 5000),
                "temperature_avg": round(sum(values) / 3, 6), "count": rng.randrange(1, 10_000),
                "temperature_min": min(values), "temperature_max": max(values)}))
            for device in rng.sample(range(20), 3):
                batch.append((device % partitions, f"device{device:03d}", {
                    "type": "device_aggregate", "device_id": f"device{device:03d}",
                    "window_start": key, "window_end": from_ms(window_start + 5000),
                    "temperature_avg": values[0], "count": rng.randrange(1, 100),
                    "temperature_min": values[1] - 50, "temperature_max": values[2] + 50}))
        out.extend(batch)
    return out


def make_corrections(seed: int, partitions: int, periods: int, start_ms: int = BASE_MS):
    """(partition, key, record-dict): aggregate_correction records as the
    processor writes them (keyed by window start, a sum instead of an
    average) for the 5 s windows of make_records' periods: none, one or two
    late shares per window, so that some windows have two rows."""
    rng = random.Random(seed)
    out = []
    for window in range(periods * PERIOD_S // 5):
        window_start = start_ms + window * 5000
        key = from_ms(window_start)
        for _ in range(window % 3):
            count = rng.randrange(1, 500)
            values = sorted(round(rng.uniform(-40, 100), 2) for _ in range(2))
            out.append((rng.randrange(partitions), key, {
                "type": "aggregate_correction", "window_start": key,
                "window_end": from_ms(window_start + 5000), "count": count,
                "temperature_sum": round(rng.uniform(values[0], values[1]) * count, 3),
                "temperature_min": values[0], "temperature_max": values[1]}))
    return out


def expected_rows(records):
    """kind -> Counter of row tuples, as the archive must hold them."""
    rows = {kind: collections.Counter() for kind in KINDS}
    for _, _, record in records:
        if record["type"] == "reading":
            rows["readings"][(record["device_id"], to_ms(record["timestamp"]), record["temperature"],
                              record["humidity"], record["status"])] += 1
        elif record["type"] == "aggregate":
            rows["aggregates"][(to_ms(record["window_start"]), record["temperature_avg"],
                                record["count"], record["temperature_min"],
                                record["temperature_max"])] += 1
        elif record["type"] == "aggregate_correction":
            rows["aggregate-corrections"][(to_ms(record["window_start"]), record["temperature_sum"],
                                           record["count"], record["temperature_min"],
                                           record["temperature_max"])] += 1
        else:
            rows["device-aggregates"][(record["device_id"], to_ms(record["window_start"]),
                                       record["temperature_avg"], record["count"],
                                       record["temperature_min"], record["temperature_max"])] += 1
    return rows


def total(rows) -> int:
    return sum(sum(counter.values()) for counter in rows.values())


# --- Kafka -------------------------------------------------------------------------

def produce(bootstrap, topic, records, transactional_id=None, abort=False):
    from confluent_kafka import Producer

    config = kafka_config({"enable.idempotence": True, "linger.ms": 5}, bootstrap=bootstrap)
    if transactional_id:
        config["transactional.id"] = transactional_id
    producer = Producer(config)
    if transactional_id:
        producer.init_transactions(30)
        producer.begin_transaction()
    for partition, key, record in records:
        value = record if isinstance(record, bytes) else json.dumps(record).encode()
        while True:
            try:
                producer.produce(topic, value, key=key.encode() if key else None, partition=partition)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    if transactional_id:
        if abort:
            producer.abort_transaction(30)
        else:
            producer.commit_transaction(30)
    assert producer.flush(60) == 0, "records not delivered to the broker"


def end_offsets(bootstrap, topic, partitions):
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(kafka_config({"group.id": f"probe-{uuid.uuid4().hex[:8]}"}, bootstrap=bootstrap))
    try:
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in range(partitions)}
    finally:
        consumer.close()


def committed_offsets(bootstrap, group, topic, partitions):
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(kafka_config({"group.id": group, "enable.auto.commit": False}, bootstrap=bootstrap))
    try:
        got = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return {tp.partition: tp.offset for tp in got}
    finally:
        consumer.close()


def read_all(bootstrap, topic, partitions, expected_count, timeout=60):
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(kafka_config({"group.id": f"reader-{uuid.uuid4().hex[:8]}",
                                      "enable.auto.commit": False, "auto.offset.reset": "earliest"},
                                     bootstrap=bootstrap))
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out = []
    deadline = time.monotonic() + timeout
    try:
        while len(out) < expected_count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            out.append(message)
        # Anything beyond the expected count would be a duplicate: look a bit more.
        extra_deadline = time.monotonic() + 2
        while time.monotonic() < extra_deadline:
            message = consumer.poll(0.2)
            if message is not None and not message.error():
                out.append(message)
    finally:
        consumer.close()
    return out


@pytest.fixture
def topic_pair(unique_topic):
    """Factory: (input topic with n partitions, its dead-letter topic)."""
    def create(partitions=3):
        return unique_topic(partitions, hint="archiver-in"), unique_topic(1, hint="archiver-dlq")
    return create


# --- S3 ----------------------------------------------------------------------------

class Archive:
    """Reads every object under a prefix, checks each against the layout, and
    collects its rows by kind."""

    def __init__(self, client, bucket, prefix):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.rows = {kind: collections.Counter() for kind in KINDS}
        self.keys = []
        self.problems = []
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                self.keys.append(item["Key"])
        def field(name, type_):
            return pa.field(name, type_, nullable=False)  # every column is REQUIRED

        timestamp = pa.timestamp("ms", tz="UTC")
        schemas = {
            "readings": pa.schema([field("DeviceId", pa.string()), field("Timestamp", timestamp),
                                   field("Temperature", pa.float64()), field("Humidity", pa.float64()),
                                   field("Status", pa.string())]),
            "aggregates": pa.schema([field("Timestamp", timestamp), field("Temperature", pa.float64()),
                                     field("Count", pa.int64()), field("Min", pa.float64()),
                                     field("Max", pa.float64())]),
            "device-aggregates": pa.schema([field("DeviceId", pa.string()), field("Timestamp", timestamp),
                                            field("Temperature", pa.float64()), field("Count", pa.int64()),
                                            field("Min", pa.float64()), field("Max", pa.float64())]),
            "aggregate-corrections": pa.schema([field("Timestamp", timestamp),
                                                field("TemperatureSum", pa.float64()),
                                                field("Count", pa.int64()), field("Min", pa.float64()),
                                                field("Max", pa.float64())]),
        }
        for key in self.keys:
            match = KEY_RE.match(key)
            if not match or match["prefix"] != prefix:
                self.problems.append(f"{key}: does not match the key layout under {prefix!r}")
                continue
            stamp = datetime.datetime.strptime(match["stamp"], "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc)
            if (match["y"], match["m"], match["d"]) != (f"{stamp.year:04d}", f"{stamp.month:02d}",
                                                         f"{stamp.day:02d}"):
                self.problems.append(f"{key}: date path differs from the period start")
            start_ms = to_ms(stamp.isoformat())
            if start_ms % (PERIOD_S * 1000) != 0:
                self.problems.append(f"{key}: period start not aligned to {PERIOD_S} s")
            body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            table = pq.read_table(io.BytesIO(body))
            kind = match["kind"]
            if not table.schema.equals(schemas[kind], check_metadata=False):
                self.problems.append(f"{key}: schema {table.schema} is not the {kind} schema")
                continue
            columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
            for row in zip(*columns):
                row = list(row)
                timestamp_index = 0 if kind in ("aggregates", "aggregate-corrections") else 1
                moment = row[timestamp_index]
                row[timestamp_index] = int(moment.timestamp() * 1000) if moment.microsecond % 1000 == 0 \
                    else None
                ms = row[timestamp_index]
                if ms is None or not start_ms <= ms < start_ms + PERIOD_S * 1000:
                    self.problems.append(f"{key}: row at {moment} is outside the file's period")
                self.rows[kind][tuple(row)] += 1

    def difference(self, expected):
        """Human-readable missing/extra counts per kind; empty when equal."""
        out = []
        for kind in KINDS:
            missing = expected[kind] - self.rows[kind]
            extra = self.rows[kind] - expected[kind]
            if missing or extra:
                out.append(f"{kind}: {sum(missing.values())} missing, {sum(extra.values())} extra "
                           f"(e.g. {list(extra)[:2] or list(missing)[:2]})")
        return out


def wait_for_archive(client, bucket, prefix, expected, process, timeout):
    """Polls until S3 holds exactly the expected rows; the archiver must stay alive."""
    state = {}

    def complete():
        if process is not None:
            assert process.alive(), "archiver exited:\n" + process.tail()
        archive = Archive(client, bucket, prefix)
        state["archive"] = archive
        return total(archive.rows) >= total(expected)

    try:
        wait_until(complete, timeout, "every record in S3", interval=1.0)
    except AssertionError:
        archive = state.get("archive")
        detail = (archive.difference(expected) + archive.problems[:5]) if archive else []
        raise AssertionError(f"S3 incomplete after {timeout}s: {detail}\n"
                             + (process.tail() if process else "")) from None
    return state["archive"]


# --- the archiver process -------------------------------------------------------------

def free_port(host="127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


_STARTED: list = []  # every archiver a test started; killed at teardown if still running


@pytest.fixture(autouse=True)
def _no_archiver_outlives_its_test():
    yield
    while _STARTED:
        process = _STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait(10)


class ArchiverProcess:
    def __init__(self, bin_dir, env, topic, dlq, group, spool, prefix, log_path, extra=()):
        self.binary = Path(bin_dir) / "edgestream-archiver"
        self.env = env
        self.port = free_port()
        self.args = [str(self.binary), "--input-topic", topic, "--dead-letter-topic", dlq,
                     "--group-id", group, "--spool-dir", str(spool), "--s3-prefix", prefix,
                     "--period-seconds", str(PERIOD_S), "--grace-seconds", str(GRACE_S),
                     "--metrics-address", f"127.0.0.1:{self.port}", "--upload-backoff-max-seconds", "1",
                     "--drain-timeout-seconds", "10", *extra]
        self.log_path = Path(log_path)
        self.process = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        _STARTED.append(self.process)
        wait_until(lambda: self.metrics() is not None, 30, "archiver metrics endpoint",
                   retry_on=(OSError,))
        return self

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def metrics(self):
        """name{labels} -> value, from /metrics."""
        assert self.alive(), "archiver exited:\n" + self.tail()
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as response:
            text = response.read().decode()
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return values

    def metric_sum(self, prefix):
        return sum(value for name, value in self.metrics().items() if name.startswith(prefix))

    def stop(self, timeout=60):
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self):
        self.process.kill()
        self.process.wait(10)

    def tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def archiver_env(stack_env, **overrides):
    env = {**os.environ, **stack_env, "EDGESTREAM_LOG_LEVEL": os.environ.get("ARCHIVER_TEST_LOG_LEVEL", "info")}
    env.update(overrides)
    return env


# --- tests ---------------------------------------------------------------------------

def test_known_data_lands_in_s3_exactly_once(bin_dir, stack_env, topic_pair, s3_client, s3_bucket,
                                             s3_prefix, tmp_path):
    bootstrap = stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    topic, dlq = topic_pair(3)
    records = make_records(seed=11, partitions=3, periods=5, readings_per_period=400)
    committed_part = records[: len(records) // 2]
    plain_part = records[len(records) // 2:]
    # Half plainly (with invalid records), then a transaction that is aborted,
    # whose records a read_committed archiver must never see, then half in a
    # committed transaction: the topic ends with a transaction marker, which
    # the committed offsets must pass too.
    invalid = [(0, "bad-1", b"not json"), (1, "bad-2", json.dumps({"type": "reading"}).encode()),
               (2, "bad-3", json.dumps({"type": "weather", "device_id": "d"}).encode())]
    produce(bootstrap, topic, plain_part + invalid)
    aborted = make_records(seed=99, partitions=3, periods=1, readings_per_period=50)
    produce(bootstrap, topic, aborted, transactional_id=f"tx-{uuid.uuid4().hex[:8]}", abort=True)
    produce(bootstrap, topic, committed_part, transactional_id=f"tx-{uuid.uuid4().hex[:8]}")
    expected = expected_rows(records)
    assert total(expected) == len(records)

    group = f"archiver-{uuid.uuid4().hex[:8]}"
    archiver = ArchiverProcess(bin_dir, archiver_env(stack_env), topic, dlq, group,
                               tmp_path / "spool", s3_prefix, tmp_path / "archiver.log").start()
    archive = wait_for_archive(s3_client, s3_bucket, s3_prefix, expected, archiver, timeout=120)
    assert archive.problems == []
    assert archive.difference(expected) == []
    # One kind per file (the key names it and the schema matched it) and one
    # period per file (every row inside the key's period): checked by Archive.
    assert {KEY_RE.match(key)["kind"] for key in archive.keys} == {kind for kind in KINDS if expected[kind]}
    assert len({KEY_RE.match(key)["stamp"] for key in archive.keys}) == 5

    # Offsets are committed up to the end once everything is in S3.
    ends = end_offsets(bootstrap, topic, 3)
    wait_until(lambda: committed_offsets(bootstrap, group, topic, 3) == ends, 30,
               f"committed offsets to reach the end offsets {ends}")

    # Invalid records: in the dead-letter topic, unchanged, with their reasons.
    letters = read_all(bootstrap, dlq, 1, len(invalid))
    assert len(letters) == len(invalid)
    by_key = {message.key().decode(): message for message in letters}
    for partition, key, value in invalid:
        message = by_key[key]
        assert message.value() == value
        headers = {name: data.decode() for name, data in message.headers()}
        assert headers["edgestream.source.topic"] == topic
        assert headers["edgestream.source.partition"] == str(partition)
        assert int(headers["edgestream.source.offset"]) >= 0
        assert headers["edgestream.detail"]
    reasons = {key: dict((n, d.decode()) for n, d in by_key[key].headers())["edgestream.reason"]
               for key in by_key}
    assert reasons == {"bad-1": "invalid_json", "bad-2": "missing_field", "bad-3": "unknown_type"}

    metrics = archiver.metrics()
    lags = {k: v for k, v in metrics.items() if k.startswith("edgestream_archiver_consumer_lag_records")}
    assert len(lags) == 3 and set(lags.values()) == {0.0}, lags
    assert metrics['edgestream_archiver_records_in_total{kind="reading"}'] == \
        sum(expected["readings"].values())
    assert metrics['edgestream_archiver_records_dead_lettered_total{reason="invalid_json"}'] == 1
    assert metrics['edgestream_archiver_files_uploaded_total{kind="aggregate"}'] >= 1
    assert metrics["edgestream_archiver_spool_bytes"] == 0
    assert metrics["edgestream_archiver_oldest_unarchived_age_seconds"] == 0
    assert archiver.stop() == 0, archiver.tail()
    assert list((tmp_path / "spool").iterdir()) == [], "spool files left after a clean stop"


def test_aggregate_corrections_are_archived_exactly_once_not_dead_lettered(
        bin_dir, stack_env, topic_pair, s3_client, s3_bucket, s3_prefix, tmp_path):
    """aggregate_correction records (the late share of a published fleet
    minute) reach S3 in their own objects, each exactly once with its
    values, as the processor publishes them: in transactions, mixed with the
    other kinds. Nothing goes to the dead-letter topic."""
    bootstrap = stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    topic, dlq = topic_pair(3)
    rng = random.Random(31)
    records = make_records(seed=29, partitions=3, periods=3, readings_per_period=100)
    corrections = make_corrections(seed=30, partitions=3, periods=3)
    mixed = records + corrections
    rng.shuffle(mixed)
    # Two committed transactions around an aborted one whose corrections a
    # read_committed archiver must never archive.
    produce(bootstrap, topic, mixed[: len(mixed) // 2], transactional_id=f"tx-{uuid.uuid4().hex[:8]}")
    aborted = make_corrections(seed=98, partitions=3, periods=3)
    produce(bootstrap, topic, aborted, transactional_id=f"tx-{uuid.uuid4().hex[:8]}", abort=True)
    produce(bootstrap, topic, mixed[len(mixed) // 2:], transactional_id=f"tx-{uuid.uuid4().hex[:8]}")
    expected = expected_rows(mixed)
    assert total(expected) == len(mixed)
    assert sum(expected["aggregate-corrections"].values()) == len(corrections) >= 5
    assert any(count > 1 for count in collections.Counter(
        record["window_start"] for _, _, record in corrections).values()), "no window with two corrections"

    group = f"archiver-{uuid.uuid4().hex[:8]}"
    archiver = ArchiverProcess(bin_dir, archiver_env(stack_env), topic, dlq, group,
                               tmp_path / "spool", s3_prefix, tmp_path / "archiver.log").start()
    archive = wait_for_archive(s3_client, s3_bucket, s3_prefix, expected, archiver, timeout=90)
    assert archive.problems == []
    assert archive.difference(expected) == []
    assert archive.rows["aggregate-corrections"] == expected["aggregate-corrections"]
    assert {KEY_RE.match(key)["kind"] for key in archive.keys} == set(KINDS)

    # Committed to the end: every record was handled, and none of them was a
    # dead letter (the dead-letter producer is flushed before each commit).
    ends = end_offsets(bootstrap, topic, 3)
    wait_until(lambda: committed_offsets(bootstrap, group, topic, 3) == ends, 30,
               f"committed offsets to reach the end offsets {ends}")
    assert end_offsets(bootstrap, dlq, 1) == {0: 0}, \
        [dict(m.headers() or []).get("edgestream.reason") for m in read_all(bootstrap, dlq, 1, 1, timeout=5)]
    metrics = archiver.metrics()
    assert metrics['edgestream_archiver_records_in_total{kind="aggregate_correction"}'] == len(corrections)
    assert archiver.metric_sum("edgestream_archiver_records_dead_lettered_total") == 0
    assert metrics['edgestream_archiver_files_uploaded_total{kind="aggregate_correction"}'] >= 1
    assert archiver.stop() == 0, archiver.tail()


def test_s3_server_down_for_a_while(bin_dir, stack_env, topic_pair, tmp_path):
    """A private versitygw is killed mid-stream while records keep coming, and
    restarted: the archiver retries, keeps consuming into its spool, and in
    the end every record is in S3 exactly once."""
    bootstrap = stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    topic, dlq = topic_pair(3)
    server = VersityGw(tmp_path / "s3-root", "127.0.0.1", free_port()).start()
    try:
        client = server.client()
        bucket = f"outage-{uuid.uuid4().hex[:8]}"
        client.create_bucket(Bucket=bucket)
        prefix = "archive/"
        first = make_records(seed=21, partitions=3, periods=3, readings_per_period=300)
        second = make_records(seed=22, partitions=3, periods=4, readings_per_period=3000,
                              start_ms=BASE_MS + 3 * PERIOD_S * 1000)
        produce(bootstrap, topic, first)
        # A small spool: the outage's records overflow it, so consumption
        # must pause (and Kafka hold the rest) until S3 is back.
        spool_limit = 60_000
        archiver = ArchiverProcess(
            bin_dir, archiver_env(stack_env, **server.env(), S3_BUCKET=bucket), topic, dlq,
            f"archiver-{uuid.uuid4().hex[:8]}", tmp_path / "spool", prefix,
            tmp_path / "archiver.log",
            extra=["--s3-stall-seconds", "5", "--spool-max-bytes", str(spool_limit),
                   "--parquet-codec", "none"]).start()
        # Some files are in S3 before the outage.
        wait_until(lambda: archiver.metric_sum("edgestream_archiver_files_uploaded_total") > 0, 60,
                   "a first upload")
        server.stop()
        produce(bootstrap, topic, second)
        # The archiver keeps trying (and counts it) while the server is down,
        # and the new records wait in its spool.
        wait_until(lambda: archiver.metrics()['edgestream_archiver_upload_errors_total{cause="network"}'] >= 3,
                   60, "upload attempts failing with cause=network")
        def paused_with_lag():
            values = archiver.metrics()
            lag = sum(v for k, v in values.items()
                      if k.startswith("edgestream_archiver_consumer_lag_records"))
            return values["edgestream_archiver_spool_bytes"] >= spool_limit and lag > 0
        wait_until(paused_with_lag, 60, "the spool at its limit with records left in Kafka")
        wait_until(lambda: "pausing consumption" in archiver.tail(200), 10, "the pause to be logged")
        assert archiver.metrics()["edgestream_archiver_spool_limit_bytes"] == spool_limit
        assert archiver.metrics()["edgestream_archiver_oldest_unarchived_age_seconds"] > 0
        server.start()
        expected = expected_rows(first + second)
        archive = wait_for_archive(client, bucket, prefix, expected, archiver, timeout=120)
        assert archive.problems == []
        assert archive.difference(expected) == []
        metrics = archiver.metrics()
        assert metrics['edgestream_archiver_upload_retries_total{cause="network"}'] >= 1
        assert archiver.stop() == 0, archiver.tail()
    finally:
        server.stop()


@pytest.fixture
def netns_link():
    """A network namespace with a veth pair to the host (scripts/lib/
    edgestream_netns.py, shared with the resilience drills): 10.200.N.1 on
    the host, 10.200.N.2 inside. Returns a dict with the namespace name, the
    inside address and cut/restore functions; everything is removed at the end."""
    try:
        with LinkNamespace("esarch") as link:
            yield {"netns": link.name, "address": link.address, "host_if": link.host_if,
                   "cut": link.cut, "restore": link.restore}
    except NetnsError as error:
        pytest.fail(str(error))


def test_link_to_s3_cut_and_restored(bin_dir, stack_env, topic_pair, tmp_path, netns_link):
    """S3 sits behind a veth link into a network namespace; the link goes
    dark mid-stream (connections stall rather than fail) and comes back."""
    bootstrap = stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    topic, dlq = topic_pair(3)
    server = VersityGw(tmp_path / "s3-root", netns_link["address"], 9000,
                       netns=netns_link["netns"]).start()
    try:
        client = server.client()
        bucket = f"linkcut-{uuid.uuid4().hex[:8]}"
        client.create_bucket(Bucket=bucket)
        prefix = "cut/"
        first = make_records(seed=31, partitions=3, periods=3, readings_per_period=300)
        second = make_records(seed=32, partitions=3, periods=3, readings_per_period=300,
                              start_ms=BASE_MS + 3 * PERIOD_S * 1000)
        produce(bootstrap, topic, first)
        archiver = ArchiverProcess(
            bin_dir, archiver_env(stack_env, **server.env(), S3_BUCKET=bucket), topic, dlq,
            f"archiver-{uuid.uuid4().hex[:8]}", tmp_path / "spool", prefix,
            tmp_path / "archiver.log", extra=["--s3-stall-seconds", "3"]).start()
        wait_until(lambda: archiver.metric_sum("edgestream_archiver_files_uploaded_total") > 0, 60,
                   "a first upload")
        netns_link["cut"]()
        produce(bootstrap, topic, second)
        wait_until(lambda: archiver.metric_sum("edgestream_archiver_upload_errors_total") >= 2, 90,
                   "upload attempts failing while the link is cut")
        wait_until(lambda: archiver.metrics()["edgestream_archiver_spool_bytes"] > 0, 60,
                   "records of the outage in the spool")
        netns_link["restore"]()
        expected = expected_rows(first + second)
        archive = wait_for_archive(client, bucket, prefix, expected, archiver, timeout=180)
        assert archive.problems == []
        assert archive.difference(expected) == []
        assert archiver.stop() == 0, archiver.tail()
    finally:
        server.stop()


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs: a spool disk that fills up."""
    path = tmp_path / "small-disk"
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(path)], check=True)
    yield path
    subprocess.run(["umount", "-l", str(path)], check=False)


def test_spool_disk_full_then_freed(bin_dir, stack_env, topic_pair, tmp_path, small_disk):
    """S3 is down and the spool disk fills up: writing fails (ENOSPC), the
    partitions rewind and pause; once S3 is back and uploads free the disk,
    every record still ends up in S3 exactly once."""
    bootstrap = stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    topic, dlq = topic_pair(3)
    server = VersityGw(tmp_path / "s3-root", "127.0.0.1", free_port()).start()
    try:
        client = server.client()
        bucket = f"diskfull-{uuid.uuid4().hex[:8]}"
        client.create_bucket(Bucket=bucket)
        server.stop()
        records = make_records(seed=51, partitions=3, periods=6, readings_per_period=3000)
        produce(bootstrap, topic, records)
        archiver = ArchiverProcess(
            bin_dir, archiver_env(stack_env, **server.env(), S3_BUCKET=bucket), topic, dlq,
            f"archiver-{uuid.uuid4().hex[:8]}", small_disk, "full/", tmp_path / "archiver.log",
            extra=["--parquet-codec", "none", "--max-file-rows", "1500"]).start()
        wait_until(lambda: "writing the spool failed" in archiver.tail(400), 90,
                   "a spool write to fail for lack of space")
        assert "Free space in" in archiver.tail(400)
        server.start()
        expected = expected_rows(records)
        archive = wait_for_archive(client, bucket, "full/", expected, archiver, timeout=240)
        assert archive.problems == []
        assert archive.difference(expected) == []
        assert archiver.stop() == 0, archiver.tail()
    finally:
        server.stop()


def test_sigkill_mid_upload_loses_and_duplicates_nothing(bin_dir, stack_env, topic_pair, s3_client,
                                                         s3_bucket, s3_prefix, tmp_path):
    """Kill -9 while uploads are running, several times, restarting each time:
    the objects finally under the prefix hold every record exactly once."""
    bootstrap = stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    topic, dlq = topic_pair(3)
    records = make_records(seed=41, partitions=3, periods=6, readings_per_period=15_000)
    produce(bootstrap, topic, records)
    expected = expected_rows(records)
    group = f"archiver-{uuid.uuid4().hex[:8]}"
    spool = tmp_path / "spool"
    rng = random.Random(7)
    # Many files, each of several row groups, so that a kill lands between
    # files of a batch or in the middle of one's upload.
    extra = ["--max-file-rows", "6000", "--row-group-rows", "1500", "--parquet-codec", "none"]

    def start(run):
        return ArchiverProcess(bin_dir, archiver_env(stack_env), topic, dlq, group, spool,
                               s3_prefix, tmp_path / f"archiver-{run}.log", extra=extra).start()

    kills_before_complete = 0
    for run in range(4):
        archiver = start(run)
        target = rng.randrange(1, 6)
        wait_until(lambda: archiver.metric_sum("edgestream_archiver_files_uploaded_total") >= target,
                   120, f"{target} uploads in run {run}")
        archiver.kill()
        if total(Archive(s3_client, s3_bucket, s3_prefix).rows) < total(expected):
            kills_before_complete += 1
    assert kills_before_complete >= 3, "the kills must land before the archive is complete"

    archiver = start("final")
    archive = wait_for_archive(s3_client, s3_bucket, s3_prefix, expected, archiver, timeout=240)
    assert archive.problems == []
    assert archive.difference(expected) == []
    ends = end_offsets(bootstrap, topic, 3)
    wait_until(lambda: committed_offsets(bootstrap, group, topic, 3) == ends, 60,
               "committed offsets at the end")
    # Once committed, nothing changes: a last look finds the same exact set.
    assert Archive(s3_client, s3_bucket, s3_prefix).difference(expected) == []
    assert archiver.stop() == 0, archiver.tail()


def test_partitions_move_between_instances(bin_dir, stack_env, topic_pair, s3_client, s3_bucket,
                                           s3_prefix, tmp_path):
    """A second instance joins the group mid-stream (cooperative rebalance:
    partitions move, each revoked one drains and commits first), then the
    first leaves: every record is still in S3 exactly once."""
    bootstrap = stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    topic, dlq = topic_pair(3)
    group = f"archiver-{uuid.uuid4().hex[:8]}"
    first = make_records(seed=61, partitions=3, periods=3, readings_per_period=3000)
    second = make_records(seed=62, partitions=3, periods=3, readings_per_period=3000,
                          start_ms=BASE_MS + 3 * PERIOD_S * 1000)
    produce(bootstrap, topic, first)

    def start(name):
        return ArchiverProcess(bin_dir, archiver_env(stack_env), topic, dlq, group,
                               tmp_path / f"spool-{name}", s3_prefix,
                               tmp_path / f"archiver-{name}.log").start()

    a = start("a")
    wait_until(lambda: a.metric_sum("edgestream_archiver_files_uploaded_total") > 0, 60, "a's first upload")
    b = start("b")
    produce(bootstrap, topic, second)
    # b gets partitions of its own (lag series appear only for assigned ones).
    wait_until(lambda: any(k.startswith("edgestream_archiver_consumer_lag_records") for k in b.metrics()),
               60, "b to be assigned partitions")
    assert a.stop() == 0, a.tail()
    expected = expected_rows(first + second)
    archive = wait_for_archive(s3_client, s3_bucket, s3_prefix, expected, b, timeout=180)
    assert archive.problems == []
    assert archive.difference(expected) == []
    assert "revoked" in a.tail(400)
    assert b.stop() == 0, b.tail()


def test_unwritable_spool_exits_with_code_2(bin_dir, stack_env, topic_pair, tmp_path):
    topic, dlq = topic_pair(1)
    blocker = tmp_path / "file"
    blocker.write_text("a file where the spool directory should be")
    result = subprocess.run(
        [str(Path(bin_dir) / "edgestream-archiver"), "--input-topic", topic, "--dead-letter-topic", dlq,
         "--spool-dir", str(blocker / "spool"), "--metrics-address", ""],
        env=archiver_env(stack_env), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "spool directory" in result.stderr and "--spool-dir" in result.stderr


def test_missing_dead_letter_topic_exits_with_code_2(bin_dir, stack_env, topic_pair, tmp_path):
    topic, _ = topic_pair(1)
    result = subprocess.run(
        [str(Path(bin_dir) / "edgestream-archiver"), "--input-topic", topic,
         # "test-": a name the archiver's user may use, so the broker says
         # the topic is missing rather than refusing to say.
         "--dead-letter-topic", f"test-missing-{uuid.uuid4().hex[:8]}", "--spool-dir", str(tmp_path / "spool"),
         "--metrics-address", ""],
        env=archiver_env(stack_env), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "does not exist" in result.stderr


# --- event time bounded by the clock, dead letters that cannot be delivered -----------


def test_record_far_in_the_future_is_dead_lettered_and_files_are_still_cut(
        bin_dir, stack_env, topic_pair, s3_client, s3_bucket, s3_prefix, tmp_path):
    """One reading stamped decades ahead, then a steady stream (never quiet
    for the grace time): the far-future reading goes to the dead-letter topic
    with reason timestamp_in_future, and files of the stream are cut by event
    time and uploaded while it is still running."""
    bootstrap = stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    topic, dlq = topic_pair(1)
    future = {"type": "reading", "device_id": "device-with-a-broken-clock",
              "timestamp": "2099-06-01T00:00:00Z", "temperature": 20.0, "humidity": 50.0,
              "status": "OK"}
    produce(bootstrap, topic, [(0, "future", future)])
    archiver = ArchiverProcess(bin_dir, archiver_env(stack_env), topic, dlq,
                               f"archiver-{uuid.uuid4().hex[:8]}", tmp_path / "spool", s3_prefix,
                               tmp_path / "archiver.log").start()
    sent = []
    # Each step: half a period of event time, produced every 0.5 s of wall
    # time (well inside the 2 s grace, so the quiet rule never cuts).
    uploaded_while_streaming = False
    for step in range(40):
        batch = [(0, key, record) for _, key, record in
                 make_records(seed=300 + step, partitions=1, periods=1, readings_per_period=20,
                              start_ms=BASE_MS + step * PERIOD_S * 500)
                 if BASE_MS + step * PERIOD_S * 500 <= to_ms(record.get("timestamp") or record["window_start"])
                 < BASE_MS + (step + 1) * PERIOD_S * 500]
        produce(bootstrap, topic, batch)
        sent.extend(batch)
        if archiver.metric_sum("edgestream_archiver_files_uploaded_total") > 0:
            uploaded_while_streaming = True
            break
        time.sleep(0.5)  # the stream's pace, not a synchronisation
    assert uploaded_while_streaming, "no file was cut by event time while records kept coming"
    expected = expected_rows(sent)
    archive = wait_for_archive(s3_client, s3_bucket, s3_prefix, expected, archiver, timeout=60)
    assert archive.problems == []
    assert archive.difference(expected) == []
    letters = read_all(bootstrap, dlq, 1, 1)
    assert len(letters) == 1
    headers = {name: data.decode() for name, data in letters[0].headers()}
    assert headers["edgestream.reason"] == "timestamp_in_future"
    assert json.loads(letters[0].value()) == future
    assert archiver.metrics()[
        'edgestream_archiver_records_dead_lettered_total{reason="timestamp_in_future"}'] == 1
    assert archiver.stop() == 0, archiver.tail()


def test_dead_letter_refused_by_its_topic_is_replaced_not_a_crash(
        bin_dir, stack_env, topic_pair, kafka_admin, s3_client, s3_bucket, s3_prefix, tmp_path):
    """The dead-letter topic refuses an invalid record (larger than its
    max.message.bytes): the archiver neither exits nor commits past it with
    the record in neither output; a replacement without the value, reason
    dead_letter_rejected, goes to the dead-letter topic, and it carries on."""
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource

    bootstrap = stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    topic, dlq = topic_pair(1)
    resource = ConfigResource("topic", dlq, incremental_configs=[
        ConfigEntry("max.message.bytes", "2048", incremental_operation=AlterConfigOpType.SET)])
    kafka_admin.incremental_alter_configs([resource])[resource].result(timeout=30)
    big_invalid = b"not json " + b"x" * 8000
    records = make_records(seed=71, partitions=1, periods=2, readings_per_period=200)
    produce(bootstrap, topic, records[:100] + [(0, "too-big", big_invalid)] + records[100:])
    group = f"archiver-{uuid.uuid4().hex[:8]}"
    archiver = ArchiverProcess(bin_dir, archiver_env(stack_env), topic, dlq, group,
                               tmp_path / "spool", s3_prefix, tmp_path / "archiver.log").start()
    expected = expected_rows(records)
    archive = wait_for_archive(s3_client, s3_bucket, s3_prefix, expected, archiver, timeout=90)
    assert archive.difference(expected) == []
    ends = end_offsets(bootstrap, topic, 1)
    wait_until(lambda: committed_offsets(bootstrap, group, topic, 1) == ends, 60,
               "committed offsets at the end")
    letters = read_all(bootstrap, dlq, 1, 1)
    assert len(letters) == 1, "exactly one dead letter: the replacement"
    headers = {name: data.decode() for name, data in letters[0].headers()}
    assert headers["edgestream.reason"] == "dead_letter_rejected"
    assert "invalid_json" in headers["edgestream.detail"]
    assert headers["edgestream.source.topic"] == topic
    assert int(headers["edgestream.source.offset"]) == 100
    assert not letters[0].value()
    metrics = archiver.metrics()
    assert metrics['edgestream_archiver_dead_letter_failures_total{outcome="replaced"}'] == 1
    assert metrics['edgestream_archiver_records_dead_lettered_total{reason="dead_letter_rejected"}'] == 1
    assert archiver.stop() == 0, archiver.tail()


# --- write-once objects: no later write can replace an object --------------------------


def test_restart_with_halved_and_doubled_max_file_rows_after_unclean_stops(
        bin_dir, stack_env, topic_pair, s3_client, s3_bucket, s3_prefix, tmp_path):
    """SIGKILL mid-upload, restart with half the rows per file, SIGKILL
    again, restart with twice the rows: the cuts of the runs differ, objects
    of the killed runs stay (written once), and the restarted runs continue
    after them. Every record is in S3 exactly once, and no object was
    replaced."""
    bootstrap = stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    topic, dlq = topic_pair(2)
    records = make_records(seed=81, partitions=2, periods=6, readings_per_period=12_000)
    produce(bootstrap, topic, records)
    expected = expected_rows(records)
    group = f"archiver-{uuid.uuid4().hex[:8]}"
    spool = tmp_path / "spool"
    seen = {}

    def run(name, rows, uploads_before_kill):
        archiver = ArchiverProcess(
            bin_dir, archiver_env(stack_env), topic, dlq, group, spool, s3_prefix,
            tmp_path / f"archiver-{name}.log",
            extra=["--max-file-rows", str(rows), "--row-group-rows", "1000",
                   "--parquet-codec", "none"]).start()
        if uploads_before_kill is None:
            return archiver
        wait_until(lambda: archiver.metric_sum("edgestream_archiver_files_uploaded_total")
                   >= uploads_before_kill, 120, f"{uploads_before_kill} uploads in run {name}")
        archiver.kill()
        # Objects are written once: every object seen so far is unchanged.
        for item in s3_client.list_objects_v2(Bucket=s3_bucket, Prefix=s3_prefix).get("Contents", []):
            assert seen.setdefault(item["Key"], item["ETag"]) == item["ETag"], \
                f"{item['Key']} was replaced"
        return None

    run("4000", 4000, 3)
    run("2000", 2000, 4)
    archiver = run("8000", 8000, None)
    archive = wait_for_archive(s3_client, s3_bucket, s3_prefix, expected, archiver, timeout=240)
    assert archive.problems == []
    assert archive.difference(expected) == []
    ends = end_offsets(bootstrap, topic, 2)
    wait_until(lambda: committed_offsets(bootstrap, group, topic, 2) == ends, 60,
               "committed offsets at the end")
    for item in s3_client.list_objects_v2(Bucket=s3_bucket, Prefix=s3_prefix).get("Contents", []):
        assert seen.setdefault(item["Key"], item["ETag"]) == item["ETag"], f"{item['Key']} was replaced"
    assert Archive(s3_client, s3_bucket, s3_prefix).difference(expected) == []
    assert archiver.stop() == 0, archiver.tail()


def qdisc_backlog_bytes(device):
    text = subprocess.run(["tc", "-s", "qdisc", "show", "dev", device], capture_output=True,
                          text=True, check=True).stdout
    match = re.search(r"backlog (\d+)b", text)
    return int(match.group(1)) if match else 0


def test_revoked_instance_on_a_slowed_link_cannot_replace_the_new_owners_objects(
        bin_dir, stack_env, topic_pair, tmp_path, netns_link):
    """Instance A uploads through a link slowed to a crawl (tc on the
    namespace's veth) and loses its partition while a PUT is on the wire (it
    is frozen past its session timeout). Instance B, cutting files at a
    different --max-file-rows, takes over and archives everything through
    another server on the same storage. Then A's PUT arrives: it must not
    replace B's object. Every record is in S3 exactly once."""
    if shutil.which("tc") is None:
        pytest.fail("iproute2 (tc) is required for the slowed-link test")
    bootstrap = stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    topic, dlq = topic_pair(1)
    root = tmp_path / "s3-root"
    slow = VersityGw(root, netns_link["address"], 9000, netns=netns_link["netns"])
    fast = VersityGw(root, "127.0.0.1", free_port())
    fast.access_key, fast.secret_key = slow.access_key, slow.secret_key
    slow.start()
    fast.start()
    host_if = netns_link["host_if"]
    try:
        bucket = f"fence-{uuid.uuid4().hex[:8]}"
        fast.client().create_bucket(Bucket=bucket)
        prefix = "fence/"
        first = make_records(seed=91, partitions=1, periods=2, readings_per_period=400)
        # One period of 3500 readings: A cuts its first 3000 (a file of about
        # 140 KB) by the row limit and starts uploading it over the slowed link.
        second = make_records(seed=92, partitions=1, periods=1, readings_per_period=3500,
                              start_ms=BASE_MS + 2 * PERIOD_S * 1000)
        produce(bootstrap, topic, first)
        group = f"archiver-{uuid.uuid4().hex[:8]}"
        session = ["--kafka", "session.timeout.ms=6000", "--kafka", "heartbeat.interval.ms=1000"]
        a = ArchiverProcess(
            bin_dir, archiver_env(stack_env, **slow.env(), S3_BUCKET=bucket), topic, dlq, group,
            tmp_path / "spool-a", prefix, tmp_path / "archiver-a.log",
            extra=["--max-file-rows", "3000", "--parquet-codec", "none", *session]).start()
        ends = end_offsets(bootstrap, topic, 1)
        wait_until(lambda: committed_offsets(bootstrap, group, topic, 1) == ends, 60,
                   "A to archive and commit the first records over the fast link")
        # About 3 KB/s towards the server: above the stall limit (1 KiB/s), so
        # the PUT keeps crawling (about 45 s) instead of being abandoned. A
        # token bucket: netem is not built into every kernel; tbf is.
        subprocess.run(["tc", "qdisc", "add", "dev", host_if, "root", "tbf", "rate", "24kbit",
                        "burst", "1600", "latency", "30s"], check=True)
        produce(bootstrap, topic, second)
        wait_until(lambda: qdisc_backlog_bytes(host_if) > 0, 60, "A's PUT to crawl over the link")
        uploaded_by_a = a.metric_sum("edgestream_archiver_files_uploaded_total")
        # A is frozen until the group gives its partition to B (its session
        # times out), then thawed: its PUT crawls on while B archives.
        a.process.send_signal(signal.SIGSTOP)
        try:
            b = ArchiverProcess(
                bin_dir, archiver_env(stack_env, **fast.env(), S3_BUCKET=bucket), topic, dlq, group,
                tmp_path / "spool-b", prefix, tmp_path / "archiver-b.log",
                extra=["--max-file-rows", "700", "--parquet-codec", "none", *session]).start()
            wait_until(lambda: any(k.startswith("edgestream_archiver_consumer_lag_records")
                                   for k in b.metrics()), 60, "B to be assigned the partition")
        finally:
            a.process.send_signal(signal.SIGCONT)
        expected = expected_rows(first + second)
        archive = wait_for_archive(fast.client(), bucket, prefix, expected, b, timeout=120)
        assert archive.difference(expected) == []

        def etags():
            listing = fast.client().list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
            return {item["Key"]: item["ETag"] for item in listing}
        before = etags()
        # A finds out it lost the partition; its PUT still crawls on and
        # arrives (or is refused) in the end.
        wait_until(lambda: a.metric_sum("edgestream_archiver_files_uploaded_total") > uploaded_by_a
                   or "cancelled; it is not committed" in a.tail(400)
                   or a.metric_sum("edgestream_archiver_existing_objects_total") > 0,
                   240, "A's crawling PUT to end")
        wait_until(lambda: qdisc_backlog_bytes(host_if) == 0, 120, "the slowed link to drain")
        assert etags() == before, "an object B wrote was replaced by A's late PUT"
        archive = Archive(fast.client(), bucket, prefix)
        assert archive.problems == []
        assert archive.difference(expected) == []
        assert b.stop() == 0, b.tail()
        assert a.stop() == 0, a.tail()
    finally:
        subprocess.run(["tc", "qdisc", "del", "dev", host_if, "root"], check=False)
        slow.stop()
        fast.stop()


def test_closed_spool_files_of_a_killed_run_are_uploaded_when_it_returns(
        bin_dir, stack_env, topic_pair, tmp_path):
    """S3 is down, the archiver cuts files into its spool and is killed. The
    spool volume is kept (as the Helm chart keeps it) and the replica comes
    back consuming a topic with nothing left to read: the closed files of the
    spool still reach S3, each record once."""
    bootstrap = stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    topic, dlq = topic_pair(2)
    empty_topic, _ = topic_pair(2)
    server = VersityGw(tmp_path / "s3-root", "127.0.0.1", free_port()).start()
    try:
        client = server.client()
        bucket = f"spool-{uuid.uuid4().hex[:8]}"
        client.create_bucket(Bucket=bucket)
        server.stop()
        records = make_records(seed=101, partitions=2, periods=3, readings_per_period=500)
        produce(bootstrap, topic, records)
        spool = tmp_path / "spool"
        env = archiver_env(stack_env, **server.env(), S3_BUCKET=bucket)
        group = f"archiver-{uuid.uuid4().hex[:8]}"
        first = ArchiverProcess(bin_dir, env, topic, dlq, group, spool, "kept/",
                                tmp_path / "archiver-1.log").start()

        def everything_cut():
            lag = sum(v for k, v in first.metrics().items()
                      if k.startswith("edgestream_archiver_consumer_lag_records"))
            names = [path.name for path in spool.iterdir()]
            return (lag == 0 and first.metric_sum("edgestream_archiver_upload_errors_total") > 0
                    and names and not any(name.endswith(".inprogress") for name in names))
        wait_until(everything_cut, 90, "every record consumed and cut into closed spool files")
        first.kill()
        server.start()
        second = ArchiverProcess(bin_dir, env, empty_topic, dlq, f"archiver-{uuid.uuid4().hex[:8]}",
                                 spool, "kept/", tmp_path / "archiver-2.log").start()
        expected = expected_rows(records)
        archive = wait_for_archive(client, bucket, "kept/", expected, second, timeout=90)
        assert archive.problems == []
        assert archive.difference(expected) == []
        wait_until(lambda: list(spool.iterdir()) == [], 30, "the uploaded spool files to be deleted")
        assert second.stop() == 0, second.tail()
    finally:
        server.stop()


def test_dead_letter_topic_gone_for_a_while_holds_the_commit_and_nothing_else(
        bin_dir, stack_env, topic_pair, kafka_admin, s3_client, s3_bucket, s3_prefix, tmp_path):
    """The dead-letter topic disappears while the archiver runs and comes
    back later: the dead letter cannot be delivered, is sent again and again,
    the offset is not committed past it, and the archiver stays up (exiting
    would only fail on the same record again). Once the topic is back, the
    dead letter arrives and the offsets reach the end."""
    from confluent_kafka.admin import NewTopic

    bootstrap = stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    topic, dlq = topic_pair(1)
    records = make_records(seed=111, partitions=1, periods=2, readings_per_period=200)
    group = f"archiver-{uuid.uuid4().hex[:8]}"
    archiver = ArchiverProcess(bin_dir, archiver_env(stack_env), topic, dlq, group,
                               tmp_path / "spool", s3_prefix, tmp_path / "archiver.log",
                               extra=["--kafka", "message.timeout.ms=3000"]).start()
    # At start the archiver refuses a dead-letter topic that does not exist:
    # delete it only once those checks are behind it, or the test races them.
    wait_until(lambda: f"consuming {topic} in group {group}" in archiver.tail(200), 60,
               "the archiver past its start-up topic checks")
    kafka_admin.delete_topics([dlq], request_timeout=30)[dlq].result(timeout=30)
    wait_until(lambda: dlq not in kafka_admin.list_topics(timeout=5).topics, 30, "the dead-letter topic gone")
    produce(bootstrap, topic, records[:50] + [(0, "bad", b"not json")] + records[50:])
    # metrics() also fails the test as soon as the archiver has exited.
    wait_until(lambda: archiver.metrics().get(
        'edgestream_archiver_dead_letter_failures_total{outcome="retried"}', 0) >= 2, 90,
        "the dead letter to fail and be sent again")
    committed = committed_offsets(bootstrap, group, topic, 1)[0]
    assert committed <= 50, f"committed {committed}, past the undelivered dead letter at offset 50"
    assert archiver.alive(), archiver.tail()
    kafka_admin.create_topics([NewTopic(dlq, 1, 1)], request_timeout=30)[dlq].result(timeout=30)
    expected = expected_rows(records)
    archive = wait_for_archive(s3_client, s3_bucket, s3_prefix, expected, archiver, timeout=90)
    assert archive.difference(expected) == []
    ends = end_offsets(bootstrap, topic, 1)
    wait_until(lambda: committed_offsets(bootstrap, group, topic, 1) == ends, 90,
               "committed offsets at the end")
    letters = read_all(bootstrap, dlq, 1, 1)
    assert [message.value() for message in letters] == [b"not json"]
    assert archiver.stop() == 0, archiver.tail()
