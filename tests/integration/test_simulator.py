"""The simulator against the real local broker, read back with an independent
client (confluent-kafka, which bundles its own librdkafka build)."""
import json
import os
import re
import signal
import subprocess
import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import kafka_config, stack_environment, wait_until

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
FIELDS = {"device_id", "timestamp", "temperature", "humidity", "status"}


@pytest.fixture
def topic(stack_env):
    name = f"test-sim-{uuid.uuid4().hex[:12]}"
    admin = AdminClient(kafka_config())
    admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)])[name].result(30)
    yield name
    admin.delete_topics([name])[name].result(30)


def simulator(bin_dir, stack_env, *args):
    return [os.path.join(bin_dir, "edgestream-simulator"),
            "--bootstrap-servers", stack_env["KAFKA_BOOTSTRAP_SERVERS"],
            "--metrics-address", "", *args]


def messages_in(stack_env, topic, timeout=30):
    """Messages in the topic's log (sum of end minus start offsets), asking
    again while the broker answers with a retriable error, as a just-created
    topic's partitions may still be electing their leader."""
    consumer = Consumer(kafka_config({"group.id": f"check-{uuid.uuid4().hex}"}))
    try:
        def total():
            count = 0
            for partition in range(3):
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
                count += high - low
            return count
        return wait_until(lambda: (total(),), timeout, f"offsets of {topic}",
                          retry_on=(KafkaException,))[0]
    finally:
        consumer.close()


def read_all(stack_env, topic, expected):
    consumer = Consumer(kafka_config({"group.id": f"check-{uuid.uuid4().hex}",
                                      "auto.offset.reset": "earliest", "enable.auto.commit": False}))
    consumer.subscribe([topic])
    records = []
    deadline = time.monotonic() + 60
    try:
        while len(records) < expected and time.monotonic() < deadline:
            for message in consumer.consume(1000, timeout=1):
                assert message.error() is None, message.error()
                records.append((message.key(), message.value()))
    finally:
        consumer.close()
    return records


def test_every_message_matches_the_schema_and_the_count_is_exact(bin_dir, stack_env, topic):
    count, devices = 5000, 37
    result = subprocess.run(simulator(bin_dir, stack_env, "--topic", topic, "--count", str(count),
                                      "--rate", "0", "--devices", str(devices)),
                            capture_output=True, text=True, timeout=120, env=stack_environment())
    assert result.returncode == 0, result.stderr
    assert "achieved" in result.stderr

    # The log's offsets are the ground truth for "exact": no more, no fewer.
    assert messages_in(stack_env, topic) == count
    records = read_all(stack_env, topic, count)
    assert len(records) == count

    seen_devices = set()
    for key, value in records:
        reading = json.loads(value)
        assert set(reading) == FIELDS, reading
        assert isinstance(reading["device_id"], str) and reading["device_id"]
        assert key.decode() == reading["device_id"]
        assert TIMESTAMP.match(reading["timestamp"]), reading["timestamp"]
        for field in ("temperature", "humidity"):
            assert isinstance(reading[field], (int, float)) and not isinstance(reading[field], bool)
        assert 0 <= reading["humidity"] <= 100
        assert isinstance(reading["status"], str)
        seen_devices.add(reading["device_id"])
    assert len(seen_devices) == devices


def test_sigterm_flushes_everything_in_flight(bin_dir, stack_env, topic):
    process = subprocess.Popen(simulator(bin_dir, stack_env, "--topic", topic, "--rate", "2000"),
                               stderr=subprocess.PIPE, text=True, env=stack_environment())
    try:
        wait_until(lambda: messages_in(stack_env, topic) >= 500, 60, "simulator to deliver 500 messages")
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    delivered = int(re.search(r"done: (\d+) delivered, 0 failed, 0 still in flight", stderr).group(1))
    assert delivered == messages_in(stack_env, topic)


def test_unreachable_broker_is_a_clear_error_not_a_hang(bin_dir, stack_env):
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1")
    result = subprocess.run([os.path.join(bin_dir, "edgestream-simulator"), "--count", "10",
                             "--metrics-address", ""],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 3
    assert "cannot start producing to Kafka at 127.0.0.1:1" in result.stderr


def test_bad_configuration_exits_2_naming_the_setting(bin_dir, stack_env):
    result = subprocess.run(simulator(bin_dir, stack_env, "--count", "1", "--kafka", "no.such.setting=1"),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "no.such.setting" in result.stderr
