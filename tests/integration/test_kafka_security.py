"""The local broker lets in only the pipeline: every client must speak TLS
(checked against the stack's CA) and log in with SASL/SCRAM-SHA-512, and each
component's principal may touch only its own topics, groups and
transactional ids (docs/stack.md, "Kafka security"). Each refusal is the
real broker's answer; each test also shows that the same principal is let in
where it should be, so a refusal cannot come from a broken set-up.

Secrets never reach logs: a component given a password in a rejected
property does not echo it."""

from __future__ import annotations

import os
import socket
import struct
import subprocess

import pytest
from confluent_kafka import (Consumer, ConsumerGroupTopicPartitions, KafkaError, KafkaException, Producer,
                             TopicPartition)
from confluent_kafka.admin import AdminClient

from conftest import kafka_config, stack_environment, unique_name, wait_until

SECRET = "hunter2-do-not-log"


def refused_errors(config: dict) -> list[KafkaError]:
    """Connects with `config`, waits for the errors the client reports on
    its connection, asserts that no metadata comes back, and returns them."""
    errors: list[KafkaError] = []
    client = Producer({**config, "error_cb": errors.append})
    # Connection errors reach error_cb only through poll.
    wait_until(lambda: client.poll(0.2) is not None and errors, 20, "the client to report an error")
    with pytest.raises(KafkaException):
        client.list_topics(timeout=1)
    return errors


@pytest.fixture(params=["CLIENTS", "PODS"])
def listener_address(request, stack_env, kafka_bootstrap):
    """Each client listener of the broker: CLIENTS (the host's) and PODS (the
    local cluster's, docs/cluster.md), which must be as closed."""
    if request.param == "CLIENTS":
        return kafka_bootstrap
    return f"127.0.0.1:{stack_env['EDGESTREAM_KAFKA_CLUSTER_PORT']}"


def test_plaintext_kafka_request_gets_no_kafka_answer(listener_address):
    host, port = listener_address.rsplit(":", 1)
    # ApiVersions v0 (key 18), correlation id 7, client id "probe": the first
    # request every client sends. A plaintext listener answers it with
    # correlation id 7; a TLS listener reads it as a broken TLS record.
    body = struct.pack(">hhih", 18, 0, 7, 5) + b"probe"
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(struct.pack(">i", len(body)) + body)
        answer = b""
        try:
            while chunk := sock.recv(4096):
                answer += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    kafka_answer = len(answer) >= 8 and struct.unpack(">i", answer[4:8])[0] == 7
    assert not kafka_answer, f"the broker answered a plaintext request: {answer[:32]!r}"
    # Either nothing or a TLS alert record (content type 21).
    assert answer == b"" or answer[0] == 21, answer[:32]


def test_plaintext_client_is_refused(kafka_bootstrap):
    errors = refused_errors({"bootstrap.servers": kafka_bootstrap})
    assert errors, "the client saw no error"


def test_tls_client_without_sasl_is_refused(stack_env, kafka_bootstrap):
    config = {"bootstrap.servers": kafka_bootstrap, "security.protocol": "ssl",
              "ssl.ca.location": stack_env["EDGESTREAM_KAFKA_CA_FILE"]}
    errors = refused_errors(config)
    assert errors, "the client saw no error"
    # The TLS handshake itself succeeds (the certificate is good); the broker
    # then drops a connection that does not start with SASL.
    assert all(error.code() != KafkaError._SSL for error in errors), errors


def test_wrong_password_is_refused_by_the_broker(kafka_bootstrap):
    config = kafka_config()
    config["sasl.password"] = SECRET
    errors = refused_errors(config)
    assert any(error.code() == KafkaError._AUTHENTICATION for error in errors), errors
    # The broker's own SCRAM answer, passed on by librdkafka.
    assert any("invalid credentials" in error.str().lower() or "authentication failed" in error.str().lower()
               for error in errors), errors
    # And the right password gets in.
    assert kafka_bootstrap and AdminClient(kafka_config()).list_topics(timeout=10).brokers


def test_unknown_user_is_refused(kafka_bootstrap):
    config = kafka_config()
    config["sasl.username"] = "mallory"
    errors = refused_errors(config)
    assert any(error.code() == KafkaError._AUTHENTICATION for error in errors), errors


def test_certificate_is_checked_against_the_ca(stack_env, tmp_path):
    # A CA the broker's certificate does not chain to: the client refuses the
    # broker (verification is on by default in kafka_config and the binaries).
    other = tmp_path / "other-ca.crt"
    subprocess.run(["openssl", "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(tmp_path / "other.key"),
                    "-out", str(other), "-days", "1", "-subj", "/CN=not the stack's CA"],
                   check=True, capture_output=True)
    errors = refused_errors(kafka_config({"ssl.ca.location": str(other)}))
    assert any(error.code() == KafkaError._SSL for error in errors), errors


def test_certificate_names_localhost_too(stack_env):
    port = stack_env["KAFKA_BOOTSTRAP_SERVERS"].rsplit(":", 1)[1]
    metadata = AdminClient(kafka_config(bootstrap=f"localhost:{port}")).list_topics(timeout=10)
    assert metadata.brokers


def delivery_error(config: dict, topic: str) -> KafkaError | None:
    """Produces one record and returns its delivery error (None: delivered)."""
    outcome: list[KafkaError | None] = []
    producer = Producer({**config, "message.timeout.ms": 10000})
    producer.produce(topic, b'{"probe": true}', on_delivery=lambda error, _msg: outcome.append(error))
    producer.flush(20)
    assert outcome, f"no delivery report for {topic}"
    return outcome[0]


@pytest.mark.parametrize("role,topic", [
    ("simulator", "processed-data"),       # forging the processor's output
    ("simulator", "processor-partials"),   # forging partial aggregates
    ("archiver", "processor-partials"),
    ("archiver", "raw-data"),              # forging device input
])
def test_a_component_cannot_write_another_components_topic(role, topic, unique_topic):
    error = delivery_error(kafka_config({"enable.idempotence": True}, role=role), topic)
    assert error is not None and error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, error
    # The same principal writes to a topic of its own (here a test topic).
    assert delivery_error(kafka_config({"enable.idempotence": True}, role=role), unique_topic()) is None


def fetch_error(config: dict, topic: str) -> KafkaError:
    consumer = Consumer({**config, "group.id": "unused-by-assign", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    try:
        def first_error():
            message = consumer.poll(0.5)
            if message is None or message.error() is None:
                return None
            # The client also looks up a coordinator for its group, which
            # the principal may not use; that answer is not about the fetch.
            if message.error().code() == KafkaError.GROUP_AUTHORIZATION_FAILED:
                return None
            return (message.error(),)  # a tuple: the error itself may be falsy
        return wait_until(first_error, 20, f"an answer to a fetch of {topic}")[0]
    finally:
        consumer.close()


@pytest.mark.parametrize("role,topic", [
    ("simulator", "raw-data"),        # the simulator only writes
    ("archiver", "raw-data"),
    ("processor", "processed-data"),  # the processor only writes its output
])
def test_a_component_cannot_read_a_topic_it_does_not_consume(role, topic):
    config = kafka_config(role=role)
    # A principal without any right on the topic is refused already when it
    # asks for the topic's metadata; one that may write it (the simulator on
    # raw-data) sees the topic, and is refused when it fetches.
    metadata = Producer(config).list_topics(topic, timeout=10).topics[topic]
    error = metadata.error if metadata.error is not None else fetch_error(config, topic)
    assert error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, error


@pytest.mark.parametrize("role,victim_group,topic", [
    # The archiver may read processed-data, but not commit for the processor.
    ("archiver", "edgestream-processor", "processed-data"),
    # The processor may read raw-data, but not move the archiver's offsets
    # (committing past data not yet archived would lose it).
    ("processor", "edgestream-archiver", "raw-data"),
])
def test_a_component_cannot_commit_as_another_components_group(role, victim_group, topic):
    admin = AdminClient(kafka_config(role=role))
    request = [ConsumerGroupTopicPartitions(victim_group, [TopicPartition(topic, 0, 0)])]
    with pytest.raises(KafkaException) as raised:
        for future in admin.alter_consumer_group_offsets(request, request_timeout=20).values():
            future.result(30)
    assert raised.value.args[0].code() == KafkaError.GROUP_AUTHORIZATION_FAILED, raised.value
    # The same principal may commit for a group of its own (here a test group).
    own = [ConsumerGroupTopicPartitions(unique_name("test-own-group"), [TopicPartition(topic, 0, 0)])]
    for future in admin.alter_consumer_group_offsets(own, request_timeout=20).values():
        future.result(30)


def test_only_the_processor_may_use_the_processors_transactional_ids():
    def init(role: str) -> None:
        producer = Producer(kafka_config({"transactional.id": "edgestream-processor-security-check"}, role=role))
        producer.init_transactions(20)

    with pytest.raises(KafkaException) as raised:
        init("archiver")
    assert raised.value.args[0].code() == KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, raised.value
    init("processor")


@pytest.mark.parametrize("binary", ["edgestream-simulator", "edgestream-processor", "edgestream-archiver"])
def test_a_password_in_a_rejected_property_is_not_echoed(bin_dir, binary):
    # EDGESTREAM_KAFKA_PROPERTIES is split at commas: a password holding a
    # comma leaves a piece without '=', which is rejected.
    env = stack_environment(EDGESTREAM_KAFKA_PROPERTIES=f"sasl.password=ab,{SECRET}")
    result = subprocess.run([str(bin_dir / binary), "--metrics-address", ""], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "key=value" in result.stderr, result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_a_component_pointed_at_a_foreign_topic_says_it_is_not_authorised(bin_dir):
    # The simulator's principal may not touch processed-data: the broker
    # refuses, and the simulator says so (not "the topic does not exist").
    result = subprocess.run([str(bin_dir / "edgestream-simulator"), "--metrics-address", "", "--count", "1",
                             "--topic", "processed-data"], env=stack_environment(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "refuses this client's user" in result.stderr and "authorization failed" in result.stderr.lower(), \
        result.stderr


def test_components_refuse_to_start_without_their_password(bin_dir, tmp_path):
    env = stack_environment(EDGESTREAM_SIMULATOR_KAFKA_PASSWORD_FILE=str(tmp_path / "missing"))
    result = subprocess.run([str(bin_dir / "edgestream-simulator"), "--metrics-address", "", "--count", "1"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert str(tmp_path / "missing") in result.stderr


def test_the_lag_exporter_sees_groups_with_describe_rights_only():
    # kafka-exporter's principal has DESCRIBE on every topic and group and no
    # READ; its password file sits beside the others.
    users = os.path.dirname(stack_environment()["EDGESTREAM_ADMIN_KAFKA_PASSWORD_FILE"])
    config = kafka_config()
    config["sasl.username"] = "kafka-exporter"
    with open(os.path.join(users, "kafka-exporter.password")) as handle:
        config["sasl.password"] = handle.read().strip()
    assert "raw-data" in AdminClient(config).list_topics(timeout=10).topics
    error = fetch_error(config, "raw-data")
    assert error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, error
