"""Simulator throughput into the local broker: the simulator's maximum
sustained rate (msg/s) and CPU seconds per 100k messages, median of several
runs, side by side with a baseline producing the same number of messages of
the same shape: kcat (the same librdkafka) reading pre-generated JSON lines.

Usage: var/venv/bin/python bench/simulator/bench.py [--bin-dir build/release/bin]
       [--count 1000000] [--runs 5]   (the local stack must be running)
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

from confluent_kafka.admin import AdminClient, NewTopic

# TLS + SASL client settings from var/edgestream.env (scripts/lib/edgestream_kafka.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "scripts", "lib"))
from edgestream_kafka import client_config, read_stack_env  # noqa: E402


def timed(command, **kwargs):
    """Wall seconds and CPU seconds (user + sys) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", default=os.path.join(repo, "build", "release", "bin"))
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = read_stack_env(repo)
    bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
    admin = AdminClient(client_config(env))

    # The baseline's input: the same record shape, generated once.
    lines = tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False)
    for i in range(args.count):
        device = f"device{i % 100:03d}"
        lines.write(f'{device}\t{{"device_id":"{device}","timestamp":"2024-12-26T10:00:00Z",'
                    f'"temperature":{60 + (i % 400) / 10},"humidity":{40 + (i % 300) / 10},"status":"OK"}}\n')
    lines.close()

    results = {"simulator": [], "kcat": []}
    for run in range(args.runs):
        for name in ("simulator", "kcat"):
            # "test-" names: the simulator's principal may write them besides
            # raw-data (docs/stack.md).
            topic = f"test-bench-sim-{uuid.uuid4().hex[:8]}"
            admin.create_topics([NewTopic(topic, 3, 1)])[topic].result(30)
            if name == "simulator":
                command = [os.path.join(args.bin_dir, "edgestream-simulator"), "--bootstrap-servers", bootstrap,
                           "--topic", topic, "--rate", "0", "--count", str(args.count), "--metrics-address", ""]
                wall, cpu = timed(command, env={**os.environ, **env})
            else:
                # kcat logs in as the admin principal (its librdkafka settings file).
                command = ["kcat", "-F", env["EDGESTREAM_KAFKA_ADMIN_CONFIG"], "-b", bootstrap, "-P", "-t", topic,
                           "-K", "\t",
                           "-X", "enable.idempotence=true", "-X", "acks=all", "-X", "compression.type=lz4",
                           "-X", "linger.ms=5", "-X", "queue.buffering.max.messages=1000000"]
                # Standard input: kcat sends one message per line (a file argument is one message).
                with open(lines.name, "rb") as stdin:
                    wall, cpu = timed(command, stdin=stdin)
            admin.delete_topics([topic])[topic].result(30)
            results[name].append((args.count / wall, cpu / args.count * 100_000))
            print(f"run {run + 1} {name:<9} {args.count / wall:>12,.0f} msg/s  "
                  f"{cpu / args.count * 100_000:.3f} CPU s/100k", file=sys.stderr)
    os.unlink(lines.name)

    print(f"\n{'producer':<10}{'median msg/s':>14}{'median CPU s/100k':>20}")
    for name, rows in results.items():
        print(f"{name:<10}{statistics.median(r[0] for r in rows):>14,.0f}"
              f"{statistics.median(r[1] for r in rows):>20.3f}")
    ratios = [s[0] / k[0] for s, k in zip(results["simulator"], results["kcat"])]
    print(f"simulator/kcat throughput ratio, median of pairs: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
