"""Audit cost: wall time, CPU time and peak RSS of edgestream-audit for one
hour of processed-data readings (default 1,800,000: 500 msg/s for an hour),
against the target of under a minute with bounded memory.

The topic (3 partitions, like processed-data) is filled with the archiver
benchmark's own filler (readings of 2024-12-26 10:00-11:00 UTC), the archiver
(Release build) archives it into a fresh prefix, and then the audit runs once
over that hour, read from the start of the fresh topic (--from-beginning).
Wall time is measured around the process; CPU time from the children's
rusage; peak RSS is the VmHWM the audit reports in its last log line (read
from /proc/self/status just before it exits: the fork's copy of this Python
process does not count, unlike ru_maxrss). The audit must exit 0 and count
every reading as expected and found.

Usage: var/venv/bin/python bench/audit/bench.py [--bin-dir build/release/bin] [--readings 1800000]
       (the local stack must be running; a Release build: sanitizers multiply time and memory)
"""
import argparse
import importlib.util
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from confluent_kafka.admin import AdminClient, NewTopic

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MiB = 1024 * 1024
TARGET_SECONDS = 60

# The archiver benchmark's filler, environment and S3 helpers: one copy of each.
_spec = importlib.util.spec_from_file_location("archiver_bench", os.path.join(REPO, "bench", "archiver", "bench.py"))
archiver_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(archiver_bench)
PARTITIONS = archiver_bench.PARTITIONS


def archive(args, env, bootstrap, topic, dlq, prefix):
    """Runs the archiver until every reading is in S3 and committed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    spool = tempfile.mkdtemp(prefix="audit-bench-spool-")
    group = f"bench-audit-archiver-{uuid.uuid4().hex[:8]}"
    log = open(os.path.join(tempfile.gettempdir(), f"audit-bench-archiver-{group}.log"), "wb")
    child = subprocess.Popen(
        [os.path.join(args.bin_dir, "edgestream-archiver"), "--input-topic", topic, "--dead-letter-topic", dlq,
         "--group-id", group, "--spool-dir", spool, "--s3-prefix", prefix, "--metrics-address",
         f"127.0.0.1:{port}", "--grace-seconds", "5"],
        env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 1200
    try:
        while True:
            if child.poll() is not None:
                sys.exit(f"the archiver exited with {child.returncode}; see {log.name}")
            if time.monotonic() > deadline:
                sys.exit(f"not archived within 20 min; see {log.name}")
            try:
                values = archiver_bench.metrics(port)
            except (OSError, urllib.error.URLError):
                time.sleep(1)
                continue
            if values.get('edgestream_archiver_records_in_total{kind="reading"}', 0) >= args.readings \
                    and values.get("edgestream_archiver_spool_bytes", 1) == 0 \
                    and archiver_bench.committed_all(bootstrap, group, topic):
                return
            time.sleep(1)
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            child.wait(120)
        log.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", default=os.path.join(REPO, "build", "release", "bin"))
    parser.add_argument("--readings", type=int, default=1_800_000)
    parser.add_argument("--audit-arg", action="append", default=[],
                        help="extra argument for the audit (repeatable), e.g. --audit-arg=--kafka=fetch.max.bytes=8388608")
    args = parser.parse_args()
    env = archiver_bench.load_env(REPO)
    bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    tag = uuid.uuid4().hex[:8]
    topic, dlq, prefix = f"bench-audit-{tag}", f"bench-audit-dlq-{tag}", f"bench-audit-{tag}/"
    for future in admin.create_topics([NewTopic(topic, PARTITIONS, 1), NewTopic(dlq, 1, 1)]).values():
        future.result(30)
    client = archiver_bench.s3_client(env)
    try:
        started = time.monotonic()
        archiver_bench.fill(bootstrap, topic, args.readings)
        print(f"filled {topic} with {args.readings} readings in {time.monotonic() - started:.0f} s", flush=True)
        started = time.monotonic()
        archive(args, env, bootstrap, topic, dlq, prefix)
        print(f"archived in {time.monotonic() - started:.0f} s", flush=True)

        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        result = subprocess.run(
            [os.path.join(args.bin_dir, "edgestream-audit"), "--input-topic", topic, "--s3-prefix", prefix,
             "--from", "2024-12-26T10:00:00Z", "--from-beginning", "--json", *args.audit_arg],
            env={**os.environ, **env}, capture_output=True, text=True, timeout=1800)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if result.returncode != 0:
            sys.exit(f"the audit exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        report = json.loads(result.stdout)
        expected = sum(s["expected"] for s in report["streams"])
        found = sum(s["found_rows"] for s in report["streams"])
        if expected != args.readings or found != args.readings:
            sys.exit(f"the audit counted {expected} expected and {found} found, not {args.readings}")
        peak = re.search(r"peak RSS (\d+) KiB", result.stderr)
        peak_mib = int(peak.group(1)) / 1024 if peak else float("nan")
        summary = {"readings": args.readings, "streams": len(report["streams"]), "wall_seconds": round(wall, 2),
                   "cpu_seconds": round(cpu, 2), "peak_rss_mib": round(peak_mib, 1)}
        print(json.dumps(summary))
        verdict = "meets" if wall < TARGET_SECONDS else "MISSES"
        print(f"audit of {args.readings} readings: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {peak_mib:.1f} MiB; "
              f"{verdict} the target of < {TARGET_SECONDS} s")
        return 0 if wall < TARGET_SECONDS else 1
    finally:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=env["S3_BUCKET"], Prefix=prefix):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=env["S3_BUCKET"], Key=item["Key"])
        for future in admin.delete_topics([topic, dlq]).values():
            try:
                future.result(30)
            except Exception:  # noqa: BLE001 - cleanup is best effort
                pass


if __name__ == "__main__":
    sys.exit(main())
