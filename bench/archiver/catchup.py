"""Archiver catch-up: how fast a backlog in a full processed-data topic goes
into S3 as Parquet, side by side with its limits, on the same broker and S3
server in one invocation.

A 3-partition topic is filled once with `--readings` readings of 1,000
devices spread evenly over `--hours` event hours (from 2024-12-26 00:00 UTC).
Then, for each run, every contestant consumes the whole topic from the start
in a fresh consumer group (and a fresh S3 prefix), one after the other,
in an order that rotates from run to run:

  edgestream      edgestream-archiver from --bin-dir (Release build)
  baseline        edgestream-archiver from --baseline-bin-dir, when given
                  (e.g. a build of the previous commit: an A/B comparison)
  python          bench/archiver/python_archiver.py: the same job written
                  plainly with confluent-kafka, pyarrow and boto3
  consume-commit  bench/archiver/consume_commit.py: consumes and commits,
                  nothing else (the broker's read limit)

The time of a contestant is from its process start until the committed
offset of every partition is the partition's end (polled every 0.2 s);
rows/s is readings divided by that time; "sustained" counts from the
first commit seen to the last (start-up, group join and the first batch's
upload left out, as bench/pipeline does). The archivers run with
--grace-seconds 1 so that the last hour's files are cut 1 s after the
partition goes quiet rather than after the default 60 s (the Python
archiver cuts at the partition's end). Peak RSS is the process's VmHWM and
CPU its utime + stime, both read from /proc just before SIGTERM. The
archivers' objects are read back with pyarrow (row counts from the footers)
and must hold every reading exactly once; they are deleted afterwards.

Usage: var/venv/bin/python bench/archiver/catchup.py --bin-dir build/release/bin
       [--baseline-bin-dir DIR] [--readings 1000000] [--hours 10] [--runs 3]
       [--contestants edgestream,baseline,python,consume-commit]
       (the local stack must be running: scripts/stack.sh start)
"""
import argparse
import datetime
import io
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "scripts", "lib"))
from edgestream_kafka import client_config, read_stack_env  # noqa: E402

from backlog import PARTITIONS, fill, proc_status_bytes, s3_client  # noqa: E402

MiB = 1024 * 1024
START = datetime.datetime(2024, 12, 26, tzinfo=datetime.timezone.utc)  # the first event hour
TICKS = os.sysconf("SC_CLK_TCK")
HERE = os.path.dirname(os.path.abspath(__file__))


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def command(name, args, env, topic, dlq, group, prefix, spool, port):
    bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
    if name in ("edgestream", "baseline"):
        bin_dir = args.bin_dir if name == "edgestream" else args.baseline_bin_dir
        return [os.path.join(bin_dir, "edgestream-archiver"), "--input-topic", topic, "--dead-letter-topic", dlq,
                "--group-id", group, "--spool-dir", spool, "--s3-prefix", prefix,
                "--metrics-address", f"127.0.0.1:{port}", "--grace-seconds", "1", *args.archiver_arg,
                *(args.baseline_archiver_arg if name == "baseline" else [])]
    if name == "python":
        return [sys.executable, os.path.join(HERE, "python_archiver.py"), bootstrap, topic, group, prefix]
    if name == "consume-commit":
        return [sys.executable, os.path.join(HERE, "consume_commit.py"), bootstrap, topic, group]
    sys.exit(f"unknown contestant {name}")


def one_run(name, args, env, kafka, topic, dlq, ends):
    tag = uuid.uuid4().hex[:8]
    group, prefix = f"test-bench-catchup-{name}-{tag}", f"bench-catchup-{tag}/"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    spool = tempfile.mkdtemp(prefix="archiver-catchup-spool-")
    log = open(os.path.join(tempfile.gettempdir(), f"archiver-catchup-{name}-{tag}.log"), "wb")
    watcher = Consumer({**kafka, "group.id": group})
    parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    client = s3_client(env)
    try:
        started = time.monotonic()
        child = subprocess.Popen(command(name, args, env, topic, dlq, group, prefix, spool, port),
                                 env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        deadline = started + args.timeout
        peak_sample = 0
        first_progress = None  # (seconds, rows committed) when a commit was first seen
        while True:
            if child.poll() is not None:
                sys.exit(f"{name} exited with {child.returncode}; see {log.name}")
            if time.monotonic() > deadline:
                child.kill()
                sys.exit(f"{name} did not commit everything within {args.timeout} s; see {log.name}")
            peak_sample = max(peak_sample, proc_status_bytes(child.pid, "VmRSS"))
            committed = [max(tp.offset, 0) for tp in watcher.committed(parts, timeout=10)]
            if first_progress is None and sum(committed) > 0:
                first_progress = (time.monotonic() - started, sum(committed))
            if committed == ends:
                break
            time.sleep(0.2)
        seconds = time.monotonic() - started
        hwm = proc_status_bytes(child.pid, "VmHWM")
        cpu = proc_cpu_seconds(child.pid)
        child.send_signal(signal.SIGTERM)
        code = child.wait(120)
        rows = objects = 0
        if name != "consume-commit":
            import pyarrow.parquet as pq

            for page in client.get_paginator("list_objects_v2").paginate(Bucket=env["S3_BUCKET"], Prefix=prefix):
                for item in page.get("Contents", []):
                    body = client.get_object(Bucket=env["S3_BUCKET"], Key=item["Key"])["Body"].read()
                    rows += pq.ParquetFile(io.BytesIO(body)).metadata.num_rows
                    objects += 1
            if rows != args.readings:
                sys.exit(f"{name} archived {rows} rows, not {args.readings}; see {log.name}")
        if code != 0:
            sys.exit(f"{name} exited with {code} after SIGTERM; see {log.name}")
        sustained = None
        if first_progress and seconds > first_progress[0] and sum(ends) > first_progress[1]:
            sustained = round((sum(ends) - first_progress[1]) / (seconds - first_progress[0]))
        return {"contestant": name, "seconds": round(seconds, 2), "rows_per_s": round(args.readings / seconds),
                "first_commit_s": first_progress and round(first_progress[0], 2),
                "sustained_rows_per_s": sustained,
                "vm_hwm_mib": round(hwm / MiB, 1), "max_sampled_rss_mib": round(peak_sample / MiB, 1),
                "cpu_s": round(cpu, 2), "cpu_s_per_100k": round(cpu * 100_000 / args.readings, 3),
                "objects": objects, "log": log.name}
    finally:
        watcher.close()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=env["S3_BUCKET"], Prefix=prefix):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=env["S3_BUCKET"], Key=item["Key"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin-dir", default=os.path.join(REPO, "build", "release", "bin"))
    parser.add_argument("--baseline-bin-dir", help="a second edgestream-archiver build to compare with")
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--hours", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600, help="seconds one contestant may take")
    parser.add_argument("--contestants", default=None,
                        help="comma-separated; default edgestream,[baseline,]python,consume-commit")
    parser.add_argument("--archiver-arg", action="append", default=[],
                        help="extra argument for both archiver builds (repeatable)")
    parser.add_argument("--baseline-archiver-arg", action="append", default=[],
                        help="extra argument for the baseline only (repeatable); with --baseline-bin-dir "
                             "equal to --bin-dir this compares settings of one build")
    args = parser.parse_args()
    names = (args.contestants.split(",") if args.contestants else
             ["edgestream"] + (["baseline"] if args.baseline_bin_dir else []) + ["python", "consume-commit"])
    env = read_stack_env(REPO)
    kafka = client_config(env)  # the admin principal
    admin = AdminClient(kafka)
    tag = uuid.uuid4().hex[:8]
    topic, dlq = f"test-bench-catchup-{tag}", f"test-bench-catchup-dlq-{tag}"
    for future in admin.create_topics([NewTopic(topic, PARTITIONS, 1), NewTopic(dlq, 1, 1)]).values():
        future.result(30)
    results = []
    try:
        started = time.monotonic()
        fill(kafka, topic, args.readings, START, args.hours * 3_600_000)
        probe = Consumer({**kafka, "group.id": f"test-bench-catchup-probe-{tag}"})
        ends = [probe.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(PARTITIONS)]
        probe.close()
        print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; filled {topic}: {args.readings} readings over {args.hours} h, end offsets {ends}, "
              f"in {time.monotonic() - started:.0f} s", flush=True)
        for run in range(args.runs):
            order = names[run % len(names):] + names[:run % len(names)]
            for name in order:
                result = one_run(name, args, env, kafka, topic, dlq, ends)
                result["run"] = run + 1
                results.append(result)
                print(json.dumps(result), flush=True)
    finally:
        for future in admin.delete_topics([topic, dlq]).values():
            try:
                future.result(30)
            except Exception:  # noqa: BLE001 - cleanup is best effort
                pass
    print(f"\nmedians of {args.runs} runs, {args.readings} readings over {args.hours} event hours:")
    print(f"{'contestant':16} {'rows/s':>9} {'sustained':>10} {'seconds':>8} {'peak RSS MiB':>13} {'CPU s/100k':>11}")
    medians = {}
    for name in names:
        mine = [r for r in results if r["contestant"] == name]
        medians[name] = statistics.median(r["rows_per_s"] for r in mine)
        sustained = [r["sustained_rows_per_s"] for r in mine if r["sustained_rows_per_s"]]
        sustained_text = f"{statistics.median(sustained):>10.0f}" if sustained else f"{'-':>10}"
        print(f"{name:16} {medians[name]:>9.0f} {sustained_text} {statistics.median(r['seconds'] for r in mine):>8.1f} "
              f"{max(r['vm_hwm_mib'] for r in mine):>13.1f} "
              f"{statistics.median(r['cpu_s_per_100k'] for r in mine):>11.3f}")
    print("(rows/s: readings / (process start .. every offset committed); sustained: from the first "
          "commit seen to the last; peak RSS: the largest of the runs)")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for name in names[1:]:
        pairs = [a["rows_per_s"] / b["rows_per_s"] for a, b in
                 zip([r for r in results if r["contestant"] == names[0]],
                     [r for r in results if r["contestant"] == name])]
        print(f"{names[0]} / {name}, median of per-run ratios: {statistics.median(pairs):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
