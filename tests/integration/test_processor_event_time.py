"""Event time that no device can poison, on the real local broker: timestamps
outside years 0001-9999, readings from a clock far ahead, and checkpoints an
older version poisoned. Expected values come from processor_harness's
reference model, never from the processor."""
import collections

from confluent_kafka import Consumer, TopicPartition

from conftest import kafka_config, wait_until
from processor_harness import topics  # noqa: F401 (pytest fixture)
from processor_harness import (PARTITIONS, Expected, Output, ProcessorProcess, assert_output_exact,
                               committed_everything, flush_records, make_dataset, now_ms, produce,
                               read_to_end, reading, to_ms, wait_for_completion)

START_MS = to_ms("2024-12-26T10:00:00Z")
# What an older version committed after one reading stamped 9999-12-31T23:00:00Z.
POISONED_WATERMARK_MS = to_ms("9999-12-31T22:59:55Z")
POISONED_CLOSED_BEFORE_MS = to_ms("9999-12-31T22:59:00Z")


def full_log(process):
    with open(process.log_path, "rb") as handle:
        return handle.read().decode(errors="replace")


def dead_letter_reasons(topics):
    reasons = collections.Counter()
    for _, _, headers in read_to_end(topics.bootstrap, topics.dlq, with_headers=True):
        reasons[dict(headers)["edgestream.reason"].decode()] += 1
    return reasons


def test_device_clocks_at_the_edges_of_time_poison_nothing(bin_dir, stack_env, topics, tmp_path):
    # One misbehaving device per partition among well-behaved ones. Before
    # the fix the year-10000 reading stopped the processor for good, the
    # year-9999 one stopped every later fleet aggregate, and year-0001 edges
    # came out as year 0000.
    sent_at = now_ms()
    poison = [
        (0, reading("bad-clock", to_ms("0001-01-01T00:00:00Z"), 20.0)),       # valid, oldest
        (0, reading("bad-clock", 0, 21.0) | {"timestamp": "0001-01-01T00:00:00+01:00"}),
        (1, reading("bad-clock", 0, 22.0) | {"timestamp": "9999-12-31T23:30:00-01:00"}),
        (1, reading("bad-clock", 0, 23.0) | {"timestamp": "9999-12-31T23:59:60Z"}),
        (2, reading("bad-clock", 0, 24.0) | {"timestamp": "9999-12-31T23:00:00Z"}),
        (2, reading("fast-clock", sent_at + 10 * 60_000, 25.0)),               # 10 min ahead
    ]
    records = poison + make_dataset(seed=21, records=3000, start_ms=START_MS, span_ms=4 * 60_000)
    records += flush_records(START_MS + 30 * 60_000)
    produce(topics.bootstrap, topics.raw, records, timestamp_ms=sent_at)
    expected = Expected(records, received_ms=sent_at)
    assert expected.dead_letters == {"invalid_timestamp": 3, "timestamp_in_future": 2}
    assert len(expected.aggregates) == 5  # the year-0001 minute and the four of the dataset

    processor = ProcessorProcess(bin_dir, topics, "edges-1", str(tmp_path)).start()
    wait_for_completion(topics, expected, [processor])
    # A restart must find nothing it cannot read back.
    processor.stop()
    processor = ProcessorProcess(bin_dir, topics, "edges-1", str(tmp_path)).start()
    wait_until(lambda: full_log(processor).count("merging partial aggregates") >= 2, 60,
               "the restarted instance to take the partials topic back")
    wait_until(lambda: committed_everything(topics.bootstrap, topics.group, topics.raw), 60,
               "the restarted instance to commit")
    processor.stop()

    output = Output(read_to_end(topics.bootstrap, topics.processed))
    assert_output_exact(output, expected)
    assert output.readings[("bad-clock", "0001-01-01T00:00:00Z", 20.0, 50.0, "OK")] == 1
    assert dead_letter_reasons(topics) == expected.dead_letters


def commit_checkpoints(bootstrap, group, offsets):
    """Commits offsets with metadata for the group, as an older processor did."""
    consumer = Consumer(kafka_config({"group.id": group, "enable.auto.commit": False}, bootstrap=bootstrap))
    try:
        consumer.commit(offsets=[TopicPartition(topic, partition, offset, metadata=metadata)
                                 for topic, partition, offset, metadata in offsets],
                        asynchronous=False)
    finally:
        consumer.close()


def test_restart_repairs_checkpoints_poisoned_by_an_older_version(bin_dir, stack_env, topics, tmp_path):
    # An older version saw a reading stamped 9999-12-31T23:00:00Z and
    # committed its watermark (every partition) and finalised everything up
    # to year 9999 (the merger). Restarted as it was, the processor would call
    # every reading late and never publish a fleet aggregate again.
    wait_until(lambda: now_ms() % 60_000 < 30_000, 40, "the first half of a minute")
    sent_at = now_ms()
    # Readings in the next minute (at most 2 min ahead, inside the 5 min skew)
    # and flush readings that close it.
    next_minute = sent_at - sent_at % 60_000 + 60_000
    records = make_dataset(seed=22, records=600, start_ms=next_minute, span_ms=60_000)
    records += flush_records(next_minute + 2 * 60_000)
    poisoned = f"v1 replay_from=0 closed_before={POISONED_CLOSED_BEFORE_MS} watermark={POISONED_WATERMARK_MS}"
    commit_checkpoints(topics.bootstrap, topics.group,
                       [(topics.raw, p, 0, poisoned) for p in range(PARTITIONS)] +
                       [(topics.partials, 0, 0, f"v1 replay_from=0 finalized_before={POISONED_CLOSED_BEFORE_MS}")])
    produce(topics.bootstrap, topics.raw, records, timestamp_ms=sent_at)
    expected = Expected(records, received_ms=sent_at)
    assert len(expected.aggregates) == 1 and expected.late == 0

    processor = ProcessorProcess(bin_dir, topics, "repair-1", str(tmp_path)).start()
    wait_for_completion(topics, expected, [processor], timeout=180)
    processor.stop()
    assert_output_exact(Output(read_to_end(topics.bootstrap, topics.processed)), expected)
    log = full_log(processor)
    assert log.count("checkpoint watermark is more than") == PARTITIONS, log
    assert "merger checkpoint" in log, log
