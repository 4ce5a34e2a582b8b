"""edgestream-audit after a real pipeline run: simulator -> processor ->
archiver on topics and an S3 prefix of this test only, then the audit.

What the audit must report is computed here, independently: processed-data is
read back read_committed with confluent-kafka, each record is classified from
its JSON with Python's own parser, and its period is computed with Python's
datetime. The archive is also checked row by row with pyarrow (the archiver
tests' Archive) before the audit runs, so the audit is judged against a
known-good archive, and then against the same archive damaged in three ways.
"""
from __future__ import annotations

import collections
import json
import os
import subprocess
import time
import uuid

from conftest import stack_environment, wait_until
from processor_harness import topics  # noqa: F401 (pytest fixture)
from processor_harness import (PARTITIONS, ProcessorProcess, committed_everything, flush_records, kept,
                               produce, read_to_end)
from test_archiver import (BASE_MS, KEY_RE, PERIOD_S, ArchiverProcess,  # noqa: F401 (fixtures)
                           _no_archiver_outlives_its_test, archiver_env, expected_rows, from_ms, make_records,
                           to_ms, topic_pair, wait_for_archive)
from test_archiver import produce as produce_records

KIND_OF_TYPE = {"reading": "readings", "aggregate": "aggregates", "device_aggregate": "device-aggregates",
                "aggregate_correction": "aggregate-corrections"}


def period_of(record) -> int:
    """Start (epoch ms) of the PERIOD_S period of a record's event time."""
    event = record["timestamp"] if record["type"] == "reading" else record["window_start"]
    return to_ms(event) // (PERIOD_S * 1000) * (PERIOD_S * 1000)


def run_audit(bin_dir, env, topic, prefix, start_ms, end_ms, *extra, from_beginning=True):
    command = [os.path.join(bin_dir, "edgestream-audit"), "--input-topic", topic, "--s3-prefix", prefix,
               "--period-seconds", str(PERIOD_S), "--from", from_ms(start_ms), "--to", from_ms(end_ms),
               "--timeout-seconds", "20", *extra]
    if from_beginning:
        command.append("--from-beginning")
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def streams_by_key(report):
    return {(to_ms(s["period_start"]), s["partition"], s["kind"]): s for s in report["streams"]}


def test_audit_of_a_pipeline_run_is_exact_then_names_a_deleted_a_copied_and_a_stray_object(
        bin_dir, stack_env, topics, unique_topic, s3_client, s3_bucket, s3_prefix, tmp_path):
    bootstrap = topics.bootstrap
    # 1. The pipeline: 3,000 simulated readings over ~10 s (two or three 10-s
    # periods), then one reading per partition two minutes ahead so that the
    # processor closes every window and emits its aggregates.
    simulator = subprocess.run(
        [os.path.join(bin_dir, "edgestream-simulator"), "--bootstrap-servers", bootstrap, "--metrics-address", "",
         "--topic", topics.raw, "--count", "3000", "--rate", "300", "--devices", "12"],
        env=stack_environment(), capture_output=True, text=True, timeout=120)
    assert simulator.returncode == 0, simulator.stderr
    produce(bootstrap, topics.raw, flush_records(int(time.time() * 1000) + 120_000))
    processor = ProcessorProcess(bin_dir, topics, "audit-1", str(tmp_path), idle_timeout_s=2).start()
    wait_until(lambda: committed_everything(bootstrap, topics.group, topics.raw), 120,
               "processor to consume all of raw-data")
    # The fleet aggregates come later, from the merger: wait until there is one
    # for every minute that holds a kept simulated reading (the flush
    # readings' own minute stays open).
    kept_minutes = {to_ms(reading["timestamp"]) // 60_000 * 60_000
                    for _, value in read_to_end(bootstrap, topics.raw)
                    for reading in [json.loads(value)]
                    if kept(reading) and not reading["device_id"].startswith("flush")}

    def aggregate_minutes():
        return {to_ms(record["window_start"])
                for _, value in read_to_end(bootstrap, topics.processed)
                for record in [json.loads(value)] if record["type"] == "aggregate"}
    wait_until(lambda: aggregate_minutes() >= kept_minutes, 120,
               "processor to publish a fleet aggregate for every minute with kept readings")
    processor.stop()

    # 2. What processed-data holds, classified here.
    processed = read_to_end(bootstrap, topics.processed, with_positions=True)
    offsets = collections.defaultdict(list)  # (period ms, partition, kind) -> offsets
    records = []  # (partition, key, record) as the archiver tests' expected_rows() takes them
    for partition, offset, key, value in processed:
        record = json.loads(value)
        offsets[(period_of(record), partition, KIND_OF_TYPE[record["type"]])].append(offset)
        records.append((partition, key.decode() if key else None, record))
    kinds = {kind for _, _, kind in offsets}
    assert kinds == {"readings", "aggregates", "device-aggregates"}, kinds
    # Every reading the processor keeps (the harness's reference filter) is in processed-data.
    raw = [json.loads(value) for _, value in read_to_end(bootstrap, topics.raw)]
    assert len(raw) == 3000 + PARTITIONS
    assert sum(len(v) for (_, _, kind), v in offsets.items() if kind == "readings") == \
        sum(1 for reading in raw if kept(reading))

    # 3. The archiver, until pyarrow finds every row in S3.
    dlq = unique_topic(1, hint="audit-archiver-dlq")
    archiver = ArchiverProcess(bin_dir, archiver_env(stack_env), topics.processed, dlq,
                               f"archiver-{uuid.uuid4().hex[:8]}", tmp_path / "spool", s3_prefix,
                               tmp_path / "archiver.log").start()
    expected = expected_rows(records)
    archive = wait_for_archive(s3_client, s3_bucket, s3_prefix, expected, archiver, timeout=180)
    assert archive.problems == [] and archive.difference(expected) == []
    assert archiver.stop() == 0, archiver.tail()

    start_ms = min(period for period, _, _ in offsets)
    end_ms = max(period for period, _, _ in offsets) + PERIOD_S * 1000
    env = archiver_env(stack_env)

    # 4. The audit of the intact archive: exit 0, and exactly the counts above.
    # Event times here are close to Kafka times, so the default scan (by Kafka
    # timestamp around the range) is used, not --from-beginning.
    result = run_audit(bin_dir, env, topics.processed, s3_prefix, start_ms, end_ms, "--json", from_beginning=False)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["exact"] is True
    got = streams_by_key(report)
    assert set(got) == set(offsets)
    for key, stream_offsets in offsets.items():
        assert got[key]["expected"] == len(stream_offsets), key
        assert got[key]["found_rows"] == len(stream_offsets), key
        assert got[key]["missing"] == 0 and got[key]["duplicated"] == 0, got[key]
    assert report["outside_layout"] == []
    table = run_audit(bin_dir, env, topics.processed, s3_prefix, start_ms, end_ms, from_beginning=False)
    assert table.returncode == 0 and "EXACT" in table.stdout, table.stdout + table.stderr

    # 5. Damage: delete one readings object, copy another to a second key of
    # its period (a duplicate), and put a stray object into a day folder.
    by_kind = collections.defaultdict(list)
    for key in archive.keys:
        match = KEY_RE.match(key)
        head = s3_client.head_object(Bucket=s3_bucket, Key=key)
        first = int(head["Metadata"]["edgestream-first-offset"])
        end = int(head["Metadata"]["edgestream-end-offset"])
        period = to_ms(f"{match['stamp'][:4]}-{match['stamp'][4:6]}-{match['stamp'][6:8]}T"
                       f"{match['stamp'][9:11]}:{match['stamp'][11:13]}:{match['stamp'][13:15]}Z")
        stream = (period, int(match["partition"]), match["kind"])
        in_range = [o for o in offsets[stream] if first <= o < end]
        by_kind[match["kind"]].append((len(in_range), key, stream, first, end, in_range))
    readings = sorted(by_kind["readings"], reverse=True)
    deleted, copied = readings[0], readings[1]
    assert deleted[0] > 0 and copied[0] > 0
    s3_client.delete_object(Bucket=s3_bucket, Key=deleted[1])
    copy_key = copied[1].replace(f"-o{copied[3]}_", f"-o{copied[3] + 1}_")
    s3_client.copy_object(Bucket=s3_bucket, Key=copy_key, CopySource={"Bucket": s3_bucket, "Key": copied[1]})
    stray_key = deleted[1].rsplit("/", 1)[0] + "/notes-from-the-incident.txt"
    s3_client.put_object(Bucket=s3_bucket, Key=stray_key, Body=b"moved by hand")

    result = run_audit(bin_dir, env, topics.processed, s3_prefix, start_ms, end_ms, "--json", from_beginning=False)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["exact"] is False
    got = streams_by_key(report)
    # The deleted object: all its records missing, the first few by offset.
    lost = got[deleted[2]]
    assert lost["missing"] == deleted[0]
    assert lost["first_missing_offsets"] == deleted[5][:5]
    assert lost["exact"] is False
    # The copy: every record of its range twice, and the two keys named.
    twice = got[copied[2]]
    assert twice["duplicated"] == copied[0]
    assert twice["first_duplicated_offsets"] == copied[5][:5]
    assert any(copied[1] in overlap and copy_key in overlap for overlap in twice["overlaps"]), twice
    # The stray object, by key.
    assert [entry["key"] for entry in report["outside_layout"]] == [stray_key]
    # Nothing else is reported.
    for key, stream in got.items():
        if key not in (deleted[2], copied[2]):
            assert stream["exact"] is True, stream

    # 6. The table names the same problems for an operator.
    table = run_audit(bin_dir, env, topics.processed, s3_prefix, start_ms, end_ms, from_beginning=False)
    assert table.returncode == 1
    assert "NOT EXACT" in table.stdout and stray_key in table.stdout and copy_key in table.stdout
    assert ",".join(str(o) for o in deleted[5][:5]) in table.stdout


def test_backfilled_hours_are_read_to_the_end_of_the_log_and_a_lost_partition_is_reported(
        bin_dir, stack_env, topic_pair, s3_client, s3_bucket, s3_prefix, tmp_path):
    """Records of 2024 produced now: their Kafka timestamps are far from their
    event times (a backfill), so --from-beginning must read each partition to
    the end of its log, not to a Kafka time derived from the audited range.
    An aborted transaction in between must not count (read_committed)."""
    bootstrap = stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    topic, dlq = topic_pair(3)
    records = make_records(seed=5, partitions=3, periods=3, readings_per_period=200)
    produce_records(bootstrap, topic, records[: len(records) // 2])
    produce_records(bootstrap, topic, make_records(seed=6, partitions=3, periods=1, readings_per_period=50),
                    transactional_id=f"tx-{uuid.uuid4().hex[:8]}", abort=True)
    produce_records(bootstrap, topic, records[len(records) // 2:])
    counts = collections.Counter((period_of(r), p, KIND_OF_TYPE[r["type"]]) for p, _, r in records)

    archiver = ArchiverProcess(bin_dir, archiver_env(stack_env), topic, dlq, f"archiver-{uuid.uuid4().hex[:8]}",
                               tmp_path / "spool", s3_prefix, tmp_path / "archiver.log").start()
    archive = wait_for_archive(s3_client, s3_bucket, s3_prefix, expected_rows(records), archiver, timeout=120)
    assert archive.difference(expected_rows(records)) == []
    assert archiver.stop() == 0, archiver.tail()

    env = archiver_env(stack_env)
    end_ms = BASE_MS + 3 * PERIOD_S * 1000
    result = run_audit(bin_dir, env, topic, s3_prefix, BASE_MS, end_ms, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    got = streams_by_key(json.loads(result.stdout))
    assert {key: s["expected"] for key, s in got.items()} == dict(counts)
    assert {key: s["found_rows"] for key, s in got.items()} == dict(counts)

    # Every object of partition 1 gone: each of its streams is reported
    # missing in full, with the first offsets of its records.
    for key in archive.keys:
        if KEY_RE.match(key)["partition"] == "1":
            s3_client.delete_object(Bucket=s3_bucket, Key=key)
    stream_offsets = collections.defaultdict(list)
    for partition, offset, _, value in read_to_end(bootstrap, topic, 3, with_positions=True):
        record = json.loads(value)
        stream_offsets[(period_of(record), partition, KIND_OF_TYPE[record["type"]])].append(offset)
    result = run_audit(bin_dir, env, topic, s3_prefix, BASE_MS, end_ms, "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    got = streams_by_key(json.loads(result.stdout))
    assert set(got) == set(counts)
    for key, stream in got.items():
        if key[1] == 1:
            assert (stream["missing"], stream["found_rows"]) == (counts[key], 0), stream
            assert stream["first_missing_offsets"] == sorted(stream_offsets[key])[:5], stream
        else:
            assert stream["exact"] is True, stream


def test_unreachable_kafka_or_s3_exits_3_and_bad_options_exit_2(bin_dir, stack_env, s3_prefix):
    # --timeout-seconds 20 bounds each; nothing listens on port 1.
    env = archiver_env(stack_env, KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1")
    result = run_audit(bin_dir, env, "processed-data", s3_prefix, 1_735_207_200_000, 1_735_207_210_000)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Kafka at 127.0.0.1:1" in result.stderr
    env = archiver_env(stack_env, S3_ENDPOINT_URL="http://127.0.0.1:1")
    result = run_audit(bin_dir, env, "processed-data", s3_prefix, 1_735_207_200_000, 1_735_207_210_000)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "127.0.0.1:1" in result.stderr
    result = run_audit(bin_dir, archiver_env(stack_env), "processed-data", s3_prefix, 1_735_207_205_000,
                       1_735_207_210_000)
    assert result.returncode == 2
    assert "not a period boundary" in result.stderr
