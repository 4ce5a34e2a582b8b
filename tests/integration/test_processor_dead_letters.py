"""Records that could wedge a partition, on the real local broker: a raw record
so close to the broker's size limit that its dead-letter copy (the record plus
headers) cannot fit, and a record on processor-partials that is not a partial
batch. Each must end in the dead-letter topic, counted, exactly once, while
every other record is processed exactly once (checked against the reference
model in processor_harness)."""
import socket
import urllib.request

from confluent_kafka.admin import ConfigResource

from conftest import wait_until
from processor_harness import topics  # noqa: F401 (pytest fixture)
from processor_harness import (PARTITIONS, Expected, Output, ProcessorProcess, assert_output_exact,
                               committed_everything, flush_records, make_dataset, produce, read_to_end,
                               reading, to_ms, wait_for_completion)

START_MS = to_ms("2024-12-26T10:00:00Z")
# Bytes of a v2 record batch header, which the broker counts against
# max.message.bytes (Kafka's DefaultRecordBatch.RECORD_BATCH_OVERHEAD).
BATCH_HEADER_BYTES = 61
# librdkafka's bound on one record's framing, counted against the producer's
# message.max.bytes (RD_KAFKAP_MESSAGE_V2_MAX_OVERHEAD).
RECORD_FRAMING_BYTES = 36


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def metric(port, series):
    """The value of one series (`name{labels}` exactly as exposed) on /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            name, _, value = line.rpartition(" ")
            if name == series:
                return float(value)
    return None


def max_message_bytes(topics, topic):
    """The topic's effective record batch limit, as the broker reports it."""
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    configs = topics.admin.describe_configs([resource])[resource].result(30)
    return int(configs["max.message.bytes"].value)


def test_record_at_the_broker_limit_is_dead_lettered_cut_to_fit_and_the_partition_moves_on(
        bin_dir, stack_env, topics, tmp_path):
    raw_limit = max_message_bytes(topics, topics.raw)
    dlq_limit = max_message_bytes(topics, topics.dlq)
    # The largest value one record with the key b"bad" can have on raw-data
    # (librdkafka's framing bound counted once, inside the batch limit).
    huge = b'{"pad":"' + b"z" * (raw_limit - BATCH_HEADER_BYTES - RECORD_FRAMING_BYTES - 3 - 10) + b'"}'
    # The premise: the dead-letter copy, with even 100 bytes of headers, does not fit.
    assert BATCH_HEADER_BYTES + len(huge) + 3 + 100 > dlq_limit

    good = make_dataset(seed=21, records=3000, start_ms=START_MS, span_ms=3 * 60_000)
    half = len(good) // 2
    records = good[:half] + [(0, huge)] + good[half:] + flush_records(START_MS + 30 * 60_000)
    expected = Expected([(p, r) for p, r in records if isinstance(r, dict)])
    offsets = produce(topics.bootstrap, topics.raw, records, settings={"message.max.bytes": raw_limit})
    huge_offset = offsets[half]

    port = free_port()
    processor = ProcessorProcess(bin_dir, topics, "limit-1", str(tmp_path),
                                 metrics_address=f"127.0.0.1:{port}").start()
    # Before the fix the transaction holding the dead letter fails on every
    # attempt and partition 0 never gets past the record.
    wait_for_completion(topics, expected, [processor], timeout=120)
    wait_until(lambda: metric(port, "edgestream_processor_dead_letters_truncated_total") == 1, 30,
               "the truncation to be counted", retry_on=(OSError,))
    assert metric(port, 'edgestream_processor_records_dead_lettered_total{reason="too_large"}') == 1
    processor.stop()

    assert_output_exact(Output(read_to_end(topics.bootstrap, topics.processed)), expected)
    dead = read_to_end(topics.bootstrap, topics.dlq, with_headers=True)
    assert len(dead) == 1, f"{len(dead)} dead letters"
    key, value, headers = dead[0]
    headers = {name: content.decode() for name, content in headers}
    assert key == b"bad"
    assert 0 < len(value) < len(huge) and huge.startswith(value), "the copy is not a prefix of the record"
    assert BATCH_HEADER_BYTES + len(value) + len(key) + RECORD_FRAMING_BYTES <= dlq_limit
    assert headers["edgestream.reason"] == "too_large"
    assert headers["edgestream.truncated"] == "true"
    assert headers["edgestream.original.value.bytes"] == str(len(huge))
    assert headers["edgestream.original.key.bytes"] == "3"
    assert headers["edgestream.source.topic"] == topics.raw
    assert headers["edgestream.source.partition"] == "0"
    assert headers["edgestream.source.offset"] == str(huge_offset)


# A foreign writer's record on processor-partials: JSON, but with a watermark
# that is not a number of milliseconds, so it does not decode as a batch.
FOREIGN_PARTIAL = b'{"partition":1,"watermark":"2024-12-26T10:05:00Z","windows":[]}'


def test_undecodable_partial_batch_is_dead_lettered_once_and_merging_carries_on(
        bin_dir, stack_env, topics, tmp_path):
    # Partitions 0 and 1 close 10:00-10:02 and send their partials; partition
    # 2 stays at 10:00:10, so the merger holds those windows open and its
    # checkpoint replays from before the foreign record after a restart.
    first = [(p, reading(f"device{p:03d}", START_MS + i * 10_000, 20.0 + i % 7))
             for i in range(22) for p in (0, 1)]
    first.append((2, reading("device002", START_MS + 10_000, 30.0)))
    later = [(p, reading(f"device{p:03d}", START_MS + i * 10_000, 40.0 + i % 5))
             for i in range(2, 22) for p in (2,)]
    later += [(p, reading(f"device{p + 3:03d}", START_MS + 220_000 + i * 10_000, 50.0))
              for i in range(6) for p in range(PARTITIONS)]
    later += flush_records(START_MS + 30 * 60_000)
    expected = Expected(first + later)
    assert expected.late == 0 and len(expected.aggregates) == 5  # the dataset's own sanity

    produce(topics.bootstrap, topics.raw, first)
    port = free_port()
    processor = ProcessorProcess(bin_dir, topics, "partials-1", str(tmp_path),
                                 metrics_address=f"127.0.0.1:{port}").start()

    def partial_batches():
        assert processor.alive(), "processor died:\n" + processor.tail()
        return committed_everything(topics.bootstrap, topics.group, topics.raw) and \
            read_to_end(topics.bootstrap, topics.partials, partitions=1)
    wait_until(partial_batches, 120, "the first partial batches")

    [foreign_offset] = produce(topics.bootstrap, topics.partials, [(0, FOREIGN_PARTIAL)])

    def dead_lettered():
        # Before the fix the processor exits here, and again on every restart.
        assert processor.alive(), "processor died:\n" + processor.tail()
        return read_to_end(topics.bootstrap, topics.dlq, with_headers=True)
    dead = wait_until(dead_lettered, 60, "the foreign record on the dead-letter topic")
    wait_until(lambda: metric(port, 'edgestream_processor_records_dead_lettered_total'
                                    '{reason="partial_batch_undecodable"}') == 1, 30,
               "the dead letter to be counted", retry_on=(OSError,))

    # A restart replays the partials topic from before the foreign record
    # (windows are still open): it must not be dead-lettered a second time.
    processor.kill9()
    port = free_port()
    processor = ProcessorProcess(bin_dir, topics, "partials-1", str(tmp_path),
                                 metrics_address=f"127.0.0.1:{port}").start()
    produce(topics.bootstrap, topics.raw, later)
    wait_for_completion(topics, expected, [processor], timeout=180)
    processor.stop()

    assert_output_exact(Output(read_to_end(topics.bootstrap, topics.processed)), expected)
    dead = read_to_end(topics.bootstrap, topics.dlq, with_headers=True)
    assert len(dead) == 1, f"{len(dead)} dead letters"
    key, value, headers = dead[0]
    headers = {name: content.decode() for name, content in headers}
    assert value == FOREIGN_PARTIAL and key == b"bad"
    assert headers["edgestream.reason"] == "partial_batch_undecodable"
    assert headers["edgestream.source.topic"] == topics.partials
    assert headers["edgestream.source.partition"] == "0"
    assert headers["edgestream.source.offset"] == str(foreign_offset)
    assert "edgestream.truncated" not in headers
