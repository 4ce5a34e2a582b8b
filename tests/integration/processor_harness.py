"""Shared pieces of the processor's integration tests: per-test topics, a
dataset generator, an independent reference model of the processor's
semantics (docs/processing-semantics.md), and readers of its output.

The reference model is written from the documented contract, not from the
C++ code: a timestamp is valid only if it lies in years 0001-9999 once
normalised to UTC; a reading stamped more than the allowed skew after its
record reached Kafka is dead-lettered as timestamp_in_future and touches no
watermark; per input partition, in offset order, a kept reading is late iff
its window's end is at or before that partition's watermark (largest kept
event time so far minus the allowed lateness); the fleet aggregate of a window
is final once every partition's watermark has reached the window's end (runs
shorter than the idle timeout: no partition goes idle).
"""
import collections
import datetime
import json
import math
import os
import random
import signal
import subprocess
import time
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

# Every Kafka client here is built by conftest's kafka_config (TLS + SASL as
# the admin principal); `bootstrap` arguments only say which broker.
import pytest

from conftest import kafka_config, stack_environment, wait_until

PARTITIONS = 3
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


# Years 0001-9999 in UTC: the span edgestream accepts (Python's datetime has
# the same years, which is why it is the reference here).
MIN_MS = -62_135_596_800_000          # 0001-01-01T00:00:00Z
MAX_MS = 253_402_300_799_999          # 9999-12-31T23:59:59.999Z
MAX_FUTURE_SKEW_MS = 5 * 60_000       # the processor's default


def to_ms(text):
    """RFC 3339 text -> epoch milliseconds (Python's own parser, not ours).
    A leap second (:60) is the following second, as in UTC without leap
    seconds. The result may lie outside years 0001-9999 (see valid_ms)."""
    text = text.replace("Z", "+00:00").replace("z", "+00:00")
    leap = text[17:19] == "60"
    if leap:
        text = text[:17] + "59" + text[19:]
    value = datetime.datetime.fromisoformat(text)
    delta = value - EPOCH
    ms = (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    return ms + 1000 if leap else ms


def valid_ms(ms):
    return MIN_MS <= ms <= MAX_MS


def now_ms():
    return time.time_ns() // 1_000_000


def from_ms(ms):
    value = EPOCH + datetime.timedelta(milliseconds=ms)
    # Not strftime: its %Y writes year 1 as "1" on glibc.
    text = (f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
            f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}")
    return text + (f".{ms % 1000:03d}Z" if ms % 1000 else "Z")


class Topics:
    """Fresh topics for one test, so tests never see each other's data. The
    names start with "test-", which the components' test ACLs cover."""

    def __init__(self, bootstrap):
        self.bootstrap = bootstrap
        tag = uuid.uuid4().hex[:10]
        self.raw = f"test-raw-{tag}"
        self.processed = f"test-processed-{tag}"
        self.dlq = f"test-dlq-{tag}"
        self.partials = f"test-partials-{tag}"
        self.group = f"test-processor-{tag}"
        self.admin = AdminClient(kafka_config(bootstrap=bootstrap))
        specs = [NewTopic(self.raw, PARTITIONS, 1), NewTopic(self.processed, PARTITIONS, 1),
                 NewTopic(self.dlq, PARTITIONS, 1), NewTopic(self.partials, 1, 1)]
        for future in self.admin.create_topics(specs).values():
            future.result(30)

    def delete(self):
        names = [self.raw, self.processed, self.dlq, self.partials]
        for future in self.admin.delete_topics(names).values():
            try:
                future.result(30)
            except Exception:  # deletion is best effort; topics are unique per test
                pass


def reading(device, ms, temperature, humidity=50.0, status="OK"):
    return {"device_id": device, "timestamp": from_ms(ms), "temperature": temperature,
            "humidity": humidity, "status": status}


def make_dataset(seed, records, start_ms, span_ms, devices=20):
    """Readings in event-time order, each with the partition it goes to
    (device index mod PARTITIONS, so every device stays in one partition).
    Includes filter edge cases: 100 kept, 100.0001 dropped, "ok" dropped."""
    rng = random.Random(seed)
    out = []
    for i in range(records):
        ms = start_ms + i * span_ms // records
        device = rng.randrange(devices)
        roll = rng.random()
        if roll < 0.02:
            status = rng.choice(["ERROR", "ok", "OK ", "WARN"])
        else:
            status = "OK"
        if roll > 0.995:
            temperature = 100.0
        elif roll > 0.99:
            temperature = 100.0001
        elif roll > 0.98:
            temperature = round(rng.uniform(100.5, 130), 2)
        else:
            temperature = round(rng.uniform(40, 99.9), 2)
        out.append((device % PARTITIONS, reading(f"device{device:03d}", ms, temperature,
                                                 round(rng.uniform(0, 100), 1), status)))
    return out


def flush_records(ms):
    """One valid reading per partition far in the future: advances every
    partition's watermark past the dataset so all its windows close."""
    return [(p, reading(f"flush{p}", ms, 20.0)) for p in range(PARTITIONS)]


def produce(bootstrap, topic, records, settings=None, timestamp_ms=None):
    """records: (partition, dict-or-bytes). Keys are device ids for readings.
    `settings`: extra librdkafka producer settings (e.g. message.max.bytes).
    timestamp_ms sets every record's Kafka timestamp (CreateTime); by default
    the client stamps the time of sending.
    Returns each record's offset, in the order of `records`."""
    producer = Producer(kafka_config({"enable.idempotence": True, "linger.ms": 5, **(settings or {})},
                                     bootstrap=bootstrap))
    stamp = {} if timestamp_ms is None else {"timestamp": timestamp_ms}
    offsets = [None] * len(records)

    def delivered(index):
        def report(error, message):
            if error is None:
                offsets[index] = message.offset()
        return report

    for index, (partition, record) in enumerate(records):
        if isinstance(record, dict):
            producer.produce(topic, json.dumps(record).encode(), key=record["device_id"].encode(),
                             partition=partition, on_delivery=delivered(index), **stamp)
        else:
            producer.produce(topic, record, key=b"bad", partition=partition, on_delivery=delivered(index),
                             **stamp)
        producer.poll(0)
    assert producer.flush(60) == 0, "records not delivered to the broker"
    assert None not in offsets, "a record was not acknowledged"
    return offsets


def kept(record):
    return record["status"] == "OK" and record["temperature"] <= 100


class Expected:
    """What the processor must publish for `records` (all valid JSON readings).
    received_ms: when the records reached Kafka (their Kafka timestamp), for
    the future-skew bound; a number for all, or a list parallel to records.
    By default, now (the records are sent after this is built)."""

    def __init__(self, records, window_ms=60_000, lateness_ms=5_000, received_ms=None,
                 max_future_skew_ms=MAX_FUTURE_SKEW_MS):
        self.readings = collections.Counter()
        self.late = 0
        self.dead_letters = collections.Counter()  # by reason
        if received_ms is None:
            received_ms = now_ms()
        if isinstance(received_ms, int):
            received_ms = [received_ms] * len(records)
        fleet = {}
        device = {}
        watermark = {}
        for (partition, record), received in zip(records, received_ms):
            ms = to_ms(record["timestamp"])
            if not valid_ms(ms):
                self.dead_letters["invalid_timestamp"] += 1
                continue
            if ms - received > max_future_skew_ms:
                self.dead_letters["timestamp_in_future"] += 1
                continue
            if not kept(record):
                continue
            self.readings[(record["device_id"], from_ms(ms), record["temperature"],
                           record["humidity"], record["status"])] += 1
            start = ms - ms % window_ms
            mark = watermark.get(partition)
            if mark is not None and start + window_ms <= mark:
                self.late += 1
                continue
            fleet.setdefault(start, []).append(record["temperature"])
            device.setdefault((record["device_id"], start, partition), []).append(record["temperature"])
            watermark[partition] = ms - lateness_ms if mark is None else max(mark, ms - lateness_ms)
        final = min(watermark.get(p, -math.inf) for p in range(PARTITIONS))
        self.aggregates = {start: values for start, values in fleet.items() if start + window_ms <= final}
        self.device_aggregates = {(dev, start): values for (dev, start, p), values in device.items()
                                  if start + window_ms <= watermark[p]}
        self.window_ms = window_ms


class Output:
    """Everything a read_committed consumer sees on processed-data, by type."""

    def __init__(self, records):
        self.readings = collections.Counter()
        self.aggregates = collections.defaultdict(list)
        self.device_aggregates = collections.defaultdict(list)
        self.corrections = collections.defaultdict(list)  # aggregate_correction by window start
        for key, value in records:
            record = json.loads(value)
            kind = record.pop("type")
            if kind == "reading":
                assert key.decode() == record["device_id"]
                self.readings[(record["device_id"], record["timestamp"], record["temperature"],
                               record["humidity"], record["status"])] += 1
            elif kind == "aggregate":
                self.aggregates[to_ms(record["window_start"])].append(record)
            elif kind == "device_aggregate":
                assert key.decode() == record["device_id"]
                self.device_aggregates[(record["device_id"], to_ms(record["window_start"]))].append(record)
            elif kind == "aggregate_correction":
                self.corrections[to_ms(record["window_start"])].append(record)
            else:
                raise AssertionError(f"unknown record type {kind}")


def assert_aggregate_matches(record, values, start, window_ms):
    assert record["window_start"] == from_ms(start)
    assert record["window_end"] == from_ms(start + window_ms)
    assert record["count"] == len(values), \
        f"window {from_ms(start)}: {record['count']} readings aggregated, {len(values)} expected"
    assert record["temperature_min"] == min(values)
    assert record["temperature_max"] == max(values)
    assert math.isclose(record["temperature_avg"], sum(values) / len(values), rel_tol=1e-12)


def assert_output_exact(output, expected):
    """Every kept reading once, every closed window's aggregate once with the
    right value, and no correction (nothing came after its minute was final)."""
    assert not output.corrections, f"corrections for {sorted(map(from_ms, output.corrections))}"
    missing = expected.readings - output.readings
    extra = output.readings - expected.readings
    assert not missing and not extra, f"{sum(missing.values())} readings missing, {sum(extra.values())} extra"
    assert set(output.aggregates) == set(expected.aggregates), "aggregate windows differ"
    for start, records in output.aggregates.items():
        assert len(records) == 1, f"window {from_ms(start)} published {len(records)} times"
        assert_aggregate_matches(records[0], expected.aggregates[start], start, expected.window_ms)
    assert set(output.device_aggregates) == set(expected.device_aggregates), "device aggregate windows differ"
    for (device, start), records in output.device_aggregates.items():
        assert len(records) == 1, f"{device} {from_ms(start)} published {len(records)} times"
        assert_aggregate_matches(records[0], expected.device_aggregates[(device, start)], start,
                                 expected.window_ms)


def read_messages(bootstrap, topic, partitions=PARTITIONS):
    """Every committed message of `topic` (confluent-kafka Message objects),
    up to the last stable offset of each partition, in partition order."""
    consumer = Consumer(kafka_config({"group.id": f"reader-{uuid.uuid4().hex}",
                                      "isolation.level": "read_committed", "enable.partition.eof": True,
                                      "enable.auto.commit": False}, bootstrap=bootstrap))
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    done = set()
    messages = []
    deadline = time.monotonic() + 120
    try:
        while len(done) < partitions:
            assert time.monotonic() < deadline, f"reading {topic} to its end timed out"
            for message in consumer.consume(1000, timeout=1):
                if message.error():
                    if message.error().code() == KafkaError._PARTITION_EOF:
                        done.add(message.partition())
                        continue
                    raise AssertionError(message.error())
                done.discard(message.partition())
                messages.append(message)
    finally:
        consumer.close()
    return messages


def read_to_end(bootstrap, topic, partitions=PARTITIONS, with_headers=False, with_positions=False):
    """All committed records of `topic`, up to the last stable offset, as
    (key, value), (key, value, headers) with `with_headers`, or
    (partition, offset, key, value) with `with_positions`."""
    if with_positions:
        return [(m.partition(), m.offset(), m.key(), m.value())
                for m in read_messages(bootstrap, topic, partitions)]
    if with_headers:
        return [(m.key(), m.value(), m.headers()) for m in read_messages(bootstrap, topic, partitions)]
    return [(m.key(), m.value()) for m in read_messages(bootstrap, topic, partitions)]


def committed_offsets(bootstrap, group, topic, partitions=PARTITIONS, timeout=60):
    """The group's committed offsets, asking again while the broker answers
    with a retriable error (a fresh broker is still loading its group
    coordinator: NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS)."""
    deadline = time.monotonic() + timeout
    consumer = Consumer(kafka_config({"group.id": group}, bootstrap=bootstrap))
    try:
        while True:
            try:
                committed = consumer.committed([TopicPartition(topic, p) for p in range(partitions)],
                                               timeout=10)
                ends = {tp.partition: consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in committed}
                return {tp.partition: tp.offset for tp in committed}, ends
            except KafkaException as error:
                if not error.args[0].retriable() and error.args[0].code() not in (
                        KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
                        KafkaError.COORDINATOR_NOT_AVAILABLE):
                    raise
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)  # the broker asked us to come back later
    finally:
        consumer.close()


def committed_everything(bootstrap, group, topic, partitions=PARTITIONS):
    """True when the group's committed offsets reach the end of every partition."""
    committed, ends = committed_offsets(bootstrap, group, topic, partitions)
    return all(offset >= 0 and offset >= ends[p] for p, offset in committed.items())


def committed_total(bootstrap, group, topic, partitions=PARTITIONS):
    committed, _ = committed_offsets(bootstrap, group, topic, partitions)
    return sum(max(offset, 0) for offset in committed.values())


# Every instance started, so a failing test's teardown can stop what it left.
STARTED = []


def kill_leftovers():
    for process in STARTED:
        if process.process is not None and process.process.poll() is None:
            process.process.kill()
            process.process.wait(30)
    STARTED.clear()


class ProcessorProcess:
    """One edgestream-processor instance on the test's topics."""

    def __init__(self, bin_dir, topics, instance, log_dir, idle_timeout_s=600, extra=(), metrics_address="",
                 commit_interval_ms=100):
        self.command = [
            os.path.join(bin_dir, "edgestream-processor"),
            "--bootstrap-servers", topics.bootstrap, "--instance-id", instance,
            "--input-topic", topics.raw, "--output-topic", topics.processed,
            "--dead-letter-topic", topics.dlq, "--partials-topic", topics.partials,
            "--group-id", topics.group, "--metrics-address", metrics_address,
            "--commit-interval-ms", str(commit_interval_ms), "--idle-timeout-seconds", str(idle_timeout_s),
            *extra]
        self.log_path = os.path.join(log_dir, f"processor-{instance}.log")
        self.process = None

    def start(self):
        self.log = open(self.log_path, "ab")
        # The processor logs in as its own principal from the stack's
        # environment (EDGESTREAM_PROCESSOR_KAFKA_*).
        self.process = subprocess.Popen(self.command, env=stack_environment(), stdout=self.log,
                                        stderr=subprocess.STDOUT)
        STARTED.append(self)
        return self

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        self.log.close()

    def stop(self):
        """SIGTERM: commit what is done, leave the group, exit 0."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(60)
        self.log.close()
        assert code == 0, f"processor exited {code}; log: {self.log_path}\n" + self.tail()
        return code

    def tail(self):
        with open(self.log_path, "rb") as handle:
            return handle.read()[-4000:].decode(errors="replace")

    def alive(self):
        return self.process.poll() is None


@pytest.fixture
def topics(stack_env):
    """Fresh topics and a group for one processor test (import this fixture
    into the test module); processors a failed test left running are killed."""
    created = Topics(stack_env["KAFKA_BOOTSTRAP_SERVERS"])
    yield created
    kill_leftovers()
    created.delete()


def wait_for_completion(topics, expected, processes, timeout=240):
    """All input committed and every expected aggregate visible to
    read_committed readers; fails at once if a processor died."""
    def done():
        for process in processes:
            assert process.alive(), "processor died:\n" + process.tail()
        if not committed_everything(topics.bootstrap, topics.group, topics.raw):
            return False
        output = Output(read_to_end(topics.bootstrap, topics.processed))
        return set(output.aggregates) >= set(expected.aggregates) and \
            set(output.device_aggregates) >= set(expected.device_aggregates)
    wait_until(done, timeout, "processor to consume everything and publish every closed window")
