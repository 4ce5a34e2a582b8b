"""Archiver memory: peak resident set size of edgestream-archiver while it
archives one hour of 1,000,000 readings (the default 1-hour period, default
limits), against the target of < 64 MiB.

The topic is filled first (3 partitions, like processed-data), then the
archiver runs as a child process until every reading is in S3 and every
offset committed. Peak RSS is the kernel's VmHWM of the archiver process
(/proc/<pid>/status, read just before SIGTERM: the high-water mark of its
address space since exec), checked against the largest VmRSS sampled every
half second. (getrusage's ru_maxrss of the child is no use here: the kernel
folds the pre-exec image, a copy of this Python process with pyarrow and
boto3 loaded, into it.)
The objects are counted back with pyarrow (row counts from the footers) and
deleted afterwards.

Usage: var/venv/bin/python bench/archiver/bench.py [--bin-dir build/archiver-release/bin]
       [--readings 1000000] [--runs 1]     (the local stack must be running;
       use a Release build: sanitizers multiply memory use)
"""
import argparse
import datetime
import io
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

# TLS + SASL client settings from var/edgestream.env (scripts/lib/edgestream_kafka.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "scripts", "lib"))
from edgestream_kafka import client_config, read_stack_env  # noqa: E402

from backlog import PARTITIONS, fill, proc_status_bytes, s3_client  # noqa: E402

# The admin principal's settings, filled by main().
KAFKA = {}

MiB = 1024 * 1024
TARGET_BYTES = 64 * MiB
# All readings fall within 2024-12-26 10:00-11:00 UTC: one hour, one period.
HOUR = datetime.datetime(2024, 12, 26, 10, tzinfo=datetime.timezone.utc)


def metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        out = {}
        for line in response.read().decode().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
        return out


def committed_all(bootstrap, group, topic):
    consumer = Consumer({**KAFKA, "bootstrap.servers": bootstrap, "group.id": group})
    try:
        parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        committed = consumer.committed(parts, timeout=10)
        ends = [consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in parts]
        return [tp.offset for tp in committed] == ends
    finally:
        consumer.close()


def one_run(args, env, bootstrap, admin):
    import pyarrow.parquet as pq

    tag = uuid.uuid4().hex[:8]
    # "test-" names: the archiver's principal may use them besides its own
    # production names (docs/stack.md).
    topic, dlq, group, prefix = (f"test-bench-archiver-{tag}", f"test-bench-archiver-dlq-{tag}",
                                 f"test-bench-{tag}", f"bench-{tag}/")
    for future in admin.create_topics([NewTopic(topic, PARTITIONS, 1), NewTopic(dlq, 1, 1)]).values():
        future.result(30)
    client = s3_client(env)
    try:
        started = time.monotonic()
        fill({**KAFKA, "bootstrap.servers": bootstrap}, topic, args.readings, HOUR, 3_600_000)
        print(f"filled {topic} with {args.readings} readings in {time.monotonic() - started:.0f} s", flush=True)

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        spool = tempfile.mkdtemp(prefix="archiver-bench-spool-")
        log = open(os.path.join(spool, "..", f"archiver-bench-{tag}.log"), "wb")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        child = subprocess.Popen(
            [os.path.join(args.bin_dir, "edgestream-archiver"), "--input-topic", topic,
             "--dead-letter-topic", dlq, "--group-id", group, "--spool-dir", spool,
             "--s3-prefix", prefix, "--metrics-address", f"127.0.0.1:{port}", *args.archiver_arg],
            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        consumed_at = None
        timeline = []  # (seconds since start, RSS MiB, readings consumed)
        deadline = time.monotonic() + 900
        while True:
            if child.poll() is not None:
                sys.exit(f"the archiver exited with {child.returncode}; see {log.name}")
            if time.monotonic() > deadline:
                child.kill()
                sys.exit(f"not archived within 15 min; see {log.name}")
            try:
                values = metrics(port)
            except OSError:
                time.sleep(0.5)
                continue
            records = values.get('edgestream_archiver_records_in_total{kind="reading"}', 0)
            timeline.append((round(time.monotonic() - started, 1),
                             round(proc_status_bytes(child.pid, "VmRSS") / MiB, 1), int(records)))
            if consumed_at is None and records >= args.readings:
                consumed_at = time.monotonic()
            if records >= args.readings and values.get("edgestream_archiver_spool_bytes", 1) == 0 \
                    and committed_all(bootstrap, group, topic):
                break
            time.sleep(0.5)
        archived_at = time.monotonic()
        hwm = proc_status_bytes(child.pid, "VmHWM")
        child.send_signal(signal.SIGTERM)
        code = child.wait(120)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        sampled = max((rss for _, rss, _ in timeline), default=0) * MiB

        rows = 0
        objects = 0
        total_bytes = 0
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=env["S3_BUCKET"], Prefix=prefix):
            for item in page.get("Contents", []):
                body = client.get_object(Bucket=env["S3_BUCKET"], Key=item["Key"])["Body"].read()
                rows += pq.ParquetFile(io.BytesIO(body)).metadata.num_rows
                objects += 1
                total_bytes += item["Size"]
        return {"exit": code, "vm_hwm": hwm, "max_sampled_rss": sampled, "rows": rows, "objects": objects,
                "object_bytes": total_bytes, "consume_seconds": (consumed_at or archived_at) - started,
                "archive_seconds": archived_at - started, "cpu_seconds": cpu, "log": log.name,
                "timeline": timeline if args.timeline else None}
    finally:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=env["S3_BUCKET"], Prefix=prefix):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=env["S3_BUCKET"], Key=item["Key"])
        for future in admin.delete_topics([topic, dlq]).values():
            try:
                future.result(30)
            except Exception:  # noqa: BLE001 - cleanup is best effort
                pass


def main():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", default=os.path.join(repo, "build", "archiver-release", "bin"))
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--timeline", action="store_true", help="print RSS samples over the run")
    parser.add_argument("--archiver-arg", action="append", default=[],
                        help="extra argument for the archiver (repeatable), e.g. --archiver-arg=--row-group-rows=65536")
    args = parser.parse_args()
    env = read_stack_env(repo)
    bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
    KAFKA.update(client_config(env))
    admin = AdminClient(KAFKA)
    worst = 0
    for run in range(args.runs):
        result = one_run(args, env, bootstrap, admin)
        peak = result["vm_hwm"]
        if result["max_sampled_rss"] > peak * 1.01:
            sys.exit("a sampled RSS above VmHWM: the measurement is broken")
        worst = max(worst, peak)
        print(json.dumps(result))
        print(f"run {run + 1}: peak RSS (VmHWM) {peak / MiB:.1f} MiB, largest sample "
              f"{result['max_sampled_rss'] / MiB:.1f} MiB; {result['rows']} rows in "
              f"{result['objects']} objects ({result['object_bytes'] / MiB:.1f} MiB); consumed in "
              f"{result['consume_seconds']:.1f} s, in S3 and committed after {result['archive_seconds']:.1f} s "
              f"(includes the 60 s quiet grace); CPU {result['cpu_seconds']:.1f} s; exit {result['exit']}",
              flush=True)
        if result["rows"] != args.readings or result["exit"] != 0:
            sys.exit(f"run {run + 1} did not archive every reading exactly once or exit cleanly")
    verdict = "meets" if worst < TARGET_BYTES else "MISSES"
    print(f"worst peak RSS {worst / MiB:.1f} MiB: {verdict} the target of < {TARGET_BYTES // MiB} MiB")
    return 0 if worst < TARGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
