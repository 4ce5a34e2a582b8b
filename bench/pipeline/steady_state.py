"""Steady state of the whole pipeline at a fixed rate: the simulator sends
`--rate` readings/s (500: the design's peak) into a fresh raw topic, the
processor (exactly-once) writes a fresh processed topic, the archiver puts
it into S3. Reports, over a window after a warm-up, the processor's and the
archiver's CPU as a fraction of one core (utime + stime from /proc), and
the event-to-S3 latency of readings: for every archived reading, the
object's LastModified (1 s resolution) minus the reading's event time;
median, p99 and maximum.

The archiver runs with `--period-seconds` (default 60) and `--grace-seconds`
(default 5) instead of its hour and minute: with the defaults a reading
waits for its hour to end by design (latency up to period + grace), which a
run of minutes could not show; the figure measured here is that wait for a
one-minute period plus what the pipeline adds.

Usage: var/venv/bin/python bench/pipeline/steady_state.py --bin-dir build/release/bin
       [--rate 500] [--seconds 180] [--warmup 30] [--period 60] [--grace 5]
       (the local stack must be running)
"""
import argparse
import datetime
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

from confluent_kafka.admin import AdminClient, NewTopic

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "scripts", "lib"))
from edgestream_kafka import client_config, read_stack_env  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin-dir", default=os.path.join(REPO, "build", "release", "bin"))
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=180, help="how long the simulator sends")
    parser.add_argument("--warmup", type=float, default=30, help="seconds before the CPU window opens")
    parser.add_argument("--period", type=int, default=60)
    parser.add_argument("--grace", type=int, default=5)
    args = parser.parse_args()
    env = read_stack_env(REPO)
    admin = AdminClient(client_config(env))
    tag = uuid.uuid4().hex[:8]
    raw, processed = f"test-bench-steady-raw-{tag}", f"test-bench-steady-processed-{tag}"
    topics = [NewTopic(raw, 3, 1), NewTopic(raw + "-dlq", 3, 1), NewTopic(processed, 3, 1),
              NewTopic(processed + "-partials", 1, 1), NewTopic(processed + "-dlq", 1, 1)]
    for future in admin.create_topics(topics).values():
        future.result(30)
    prefix = f"bench-steady-{tag}/"
    group = f"test-bench-steady-{tag}"
    logs = tempfile.mkdtemp(prefix="steady-state-")
    child_env = {**os.environ, **env}
    bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
    processes = {}
    try:
        def start(name, command):
            log = open(os.path.join(logs, f"{name}.log"), "wb")
            processes[name] = subprocess.Popen(command, env=child_env, stdout=log, stderr=subprocess.STDOUT)

        start("archiver", [os.path.join(args.bin_dir, "edgestream-archiver"), "--input-topic", processed,
                           "--dead-letter-topic", processed + "-dlq", "--group-id", group + "-archiver",
                           "--spool-dir", tempfile.mkdtemp(prefix="steady-spool-"), "--s3-prefix", prefix,
                           "--metrics-address", f"127.0.0.1:{free_port()}",
                           "--period-seconds", str(args.period), "--grace-seconds", str(args.grace)])
        start("processor", [os.path.join(args.bin_dir, "edgestream-processor"), "--bootstrap-servers", bootstrap,
                            "--instance-id", group, "--group-id", group, "--input-topic", raw,
                            "--output-topic", processed, "--dead-letter-topic", raw + "-dlq",
                            "--partials-topic", processed + "-partials", "--metrics-address", ""])
        start("simulator", [os.path.join(args.bin_dir, "edgestream-simulator"), "--bootstrap-servers", bootstrap,
                            "--topic", raw, "--rate", str(args.rate), "--duration", str(args.seconds),
                            "--metrics-address", ""])
        time.sleep(args.warmup)  # a fixed warm-up: what is measured is a time window, not a condition
        opened = time.monotonic()
        before = {name: cpu_seconds(p.pid) for name, p in processes.items() if name != "simulator"}
        window = args.seconds - args.warmup - 5
        time.sleep(window)
        wall = time.monotonic() - opened
        cpu = {name: (cpu_seconds(processes[name].pid) - value) / wall for name, value in before.items()}
        for name, process in processes.items():
            if process.poll() is not None and name != "simulator":
                sys.exit(f"{name} exited with {process.returncode}; see {logs}")
        # Let the last full period be cut and uploaded.
        time.sleep(args.period + args.grace + 10)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            process.wait(60)

    import boto3
    import pyarrow.parquet as pq
    from botocore.config import Config

    s3 = boto3.client("s3", endpoint_url=env["S3_ENDPOINT_URL"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=env["AWS_REGION"],
                      config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    latencies = []
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=env["S3_BUCKET"], Prefix=prefix):
        for item in page.get("Contents", []):
            keys.append(item["Key"])
            if "/readings-" not in item["Key"]:
                continue
            landed = item["LastModified"]
            body = s3.get_object(Bucket=env["S3_BUCKET"], Key=item["Key"])["Body"].read()
            for stamp in pq.read_table(io.BytesIO(body), columns=["Timestamp"]).column(0).to_pylist():
                if stamp.tzinfo is None:
                    stamp = stamp.replace(tzinfo=datetime.timezone.utc)
                latencies.append((landed - stamp).total_seconds())
    for key in keys:
        s3.delete_object(Bucket=env["S3_BUCKET"], Key=key)
    for future in admin.delete_topics([t.topic for t in topics]).values():
        try:
            future.result(30)
        except Exception:  # noqa: BLE001 - cleanup is best effort
            pass
    if not latencies:
        sys.exit(f"no readings archived; see {logs}")
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    print(f"rate {args.rate:.0f} readings/s, CPU window {wall:.0f} s after {args.warmup:.0f} s warm-up; "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"processor CPU {cpu['processor']:.3f} of one core; archiver CPU {cpu['archiver']:.3f} of one core")
    print(f"event-to-S3 latency of {len(latencies)} readings (period {args.period} s, grace {args.grace} s): "
          f"median {statistics.median(latencies):.1f} s, p99 {p99:.1f} s, max {latencies[-1]:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
