"""The processor on the real local broker: every check compares processed-data
with values computed independently from what the test sent (processor_harness)."""
import random
import threading

from conftest import wait_until
from processor_harness import topics  # noqa: F401 (pytest fixture)
from processor_harness import (PARTITIONS, Expected, Output, ProcessorProcess, assert_output_exact,
                               committed_everything, committed_total, flush_records, make_dataset, produce,
                               read_to_end, to_ms, wait_for_completion)

START_MS = to_ms("2024-12-26T10:00:00Z")


def test_known_dataset(bin_dir, stack_env, topics, tmp_path):
    records = make_dataset(seed=1, records=6000, start_ms=START_MS, span_ms=5 * 60_000)
    records += flush_records(START_MS + 30 * 60_000)
    expected = Expected(records)
    assert expected.late == 0 and len(expected.aggregates) == 5  # the dataset's own sanity
    produce(topics.bootstrap, topics.raw, records)

    processor = ProcessorProcess(bin_dir, topics, "known-1", str(tmp_path)).start()
    wait_for_completion(topics, expected, [processor])
    processor.stop()
    assert_output_exact(Output(read_to_end(topics.bootstrap, topics.processed)), expected)
    assert read_to_end(topics.bootstrap, topics.dlq) == []


def test_late_readings_are_published_but_not_aggregated(bin_dir, stack_env, topics, tmp_path):
    # Partition 0 jumps ahead two minutes, then gets a reading for the first
    # minute: its window has closed there, so it is late.
    records = [
        (0, {"device_id": "device000", "timestamp": "2024-12-26T10:00:10Z", "temperature": 50.0,
             "humidity": 10.0, "status": "OK"}),
        (0, {"device_id": "device000", "timestamp": "2024-12-26T10:02:30Z", "temperature": 60.0,
             "humidity": 10.0, "status": "OK"}),
        (0, {"device_id": "device003", "timestamp": "2024-12-26T10:00:40Z", "temperature": 99.0,
             "humidity": 10.0, "status": "OK"}),
        (1, {"device_id": "device001", "timestamp": "2024-12-26T10:00:20+01:00", "temperature": 70.0,
             "humidity": 10.0, "status": "OK"}),
    ] + flush_records(START_MS + 30 * 60_000)
    expected = Expected(records)
    assert expected.late == 1
    produce(topics.bootstrap, topics.raw, records)
    processor = ProcessorProcess(bin_dir, topics, "late-1", str(tmp_path)).start()
    wait_for_completion(topics, expected, [processor])
    processor.stop()
    assert_output_exact(Output(read_to_end(topics.bootstrap, topics.processed)), expected)


def test_sigkill_mid_stream_loses_and_duplicates_nothing(bin_dir, stack_env, topics, tmp_path):
    records = make_dataset(seed=2, records=60_000, start_ms=START_MS, span_ms=8 * 60_000)
    records += flush_records(START_MS + 30 * 60_000)
    expected = Expected(records)
    half = len(records) // 2
    produce(topics.bootstrap, topics.raw, records[:half])
    rest = threading.Thread(target=produce, args=(topics.bootstrap, topics.raw, records[half:]))

    processor = ProcessorProcess(bin_dir, topics, "crashy", str(tmp_path)).start()
    rest.start()
    rng = random.Random(7)
    for kill in range(3):
        # Kill at a random point after the processor has committed more progress.
        target = committed_total(topics.bootstrap, topics.group, topics.raw) + rng.randrange(2000, 8000)
        wait_until(lambda: committed_total(topics.bootstrap, topics.group, topics.raw) >= target
                   or committed_everything(topics.bootstrap, topics.group, topics.raw), 120,
                   f"progress before kill {kill + 1}")
        processor.kill9()
        processor = ProcessorProcess(bin_dir, topics, "crashy", str(tmp_path)).start()
    rest.join()
    wait_for_completion(topics, expected, [processor])
    processor.stop()
    assert_output_exact(Output(read_to_end(topics.bootstrap, topics.processed)), expected)


def test_instances_join_and_leave_mid_stream(bin_dir, stack_env, topics, tmp_path):
    records = make_dataset(seed=3, records=45_000, start_ms=START_MS, span_ms=6 * 60_000)
    records += flush_records(START_MS + 30 * 60_000)
    expected = Expected(records)
    third = len(records) // 3
    produce(topics.bootstrap, topics.raw, records[:third])
    first = ProcessorProcess(bin_dir, topics, "scale-1", str(tmp_path)).start()
    wait_until(lambda: committed_total(topics.bootstrap, topics.group, topics.raw) > 0, 120,
               "first instance to commit")
    second = ProcessorProcess(bin_dir, topics, "scale-2", str(tmp_path)).start()
    third_instance = ProcessorProcess(bin_dir, topics, "scale-3", str(tmp_path)).start()
    produce(topics.bootstrap, topics.raw, records[third:2 * third])
    second.stop()
    produce(topics.bootstrap, topics.raw, records[2 * third:])
    third_instance.stop()
    wait_for_completion(topics, expected, [first])
    first.stop()
    assert_output_exact(Output(read_to_end(topics.bootstrap, topics.processed)), expected)


MALFORMED = [
    b'{"device_id":"device001","timestamp":"2024-12-26T10:00:00Z","temperature":72.5',  # broken JSON
    b'{"device_id":42,"timestamp":"2024-12-26T10:00:00Z","temperature":1,"humidity":1,"status":"OK"}',
    b'{"device_id":"d","timestamp":"2024-12-26T10:00:00Z","temperature":"hot","humidity":1,"status":"OK"}',
    b'{"device_id":"d","timestamp":"2024-12-26T10:00:00Z","humidity":1,"status":"OK"}',  # missing field
    b'{"device_id":"d","timestamp":"yesterday","temperature":1,"humidity":1,"status":"OK"}',
    b'{"device_id":"d","timestamp":"2024-12-26T10:00:00Z","temperature":1e999,"humidity":1,"status":"OK"}',
    b'{"device_id":"d","timestamp":"2024-12-26T10:00:00Z","temperature":1,"humidity":250,"status":"OK"}',
    b'{"device_id":"\xff\xfe","timestamp":"2024-12-26T10:00:00Z","temperature":1,"humidity":1,"status":"OK"}',
    b'[1,2,3]',
    b'',
    b'{"device_id":"' + b"x" * 300 + b'","timestamp":"2024-12-26T10:00:00Z","temperature":1,"humidity":1,"status":"OK"}',
    b'{"pad":"' + b"y" * 70_000 + b'"}',
]


def test_malformed_records_go_to_the_dead_letter_topic_unchanged(bin_dir, stack_env, topics, tmp_path):
    good = make_dataset(seed=4, records=3000, start_ms=START_MS, span_ms=3 * 60_000)
    mixed = []
    rng = random.Random(11)
    bad_positions = {}
    for index, payload in enumerate(MALFORMED):
        partition = index % PARTITIONS
        bad_positions.setdefault(partition, []).append(payload)
    for partition, record in good:
        mixed.append((partition, record))
        if bad_positions.get(partition) and rng.random() < 0.01:
            mixed.append((partition, bad_positions[partition].pop()))
    for partition, payloads in bad_positions.items():
        mixed.extend((partition, payload) for payload in payloads)
    mixed += flush_records(START_MS + 30 * 60_000)
    expected = Expected([(p, r) for p, r in mixed if isinstance(r, dict)])
    produce(topics.bootstrap, topics.raw, mixed)

    processor = ProcessorProcess(bin_dir, topics, "dlq-1", str(tmp_path)).start()
    wait_for_completion(topics, expected, [processor])
    processor.stop()
    assert_output_exact(Output(read_to_end(topics.bootstrap, topics.processed)), expected)

    dead = read_to_end(topics.bootstrap, topics.dlq, with_headers=True)
    assert sorted(value or b"" for _, value, _ in dead) == sorted(MALFORMED)
    for _, value, headers in dead:
        headers = {name: content.decode() for name, content in headers}
        assert headers["edgestream.source.topic"] == topics.raw
        assert int(headers["edgestream.source.partition"]) in range(PARTITIONS)
        assert int(headers["edgestream.source.offset"]) >= 0
        assert headers["edgestream.reason"]
