"""End-to-end processor throughput through the real local broker, exactly-once
on: a topic pre-filled by the simulator is replayed by the C++ processor and,
side by side in the same run, by the same job as a plain Python consumer
(bench/pipeline/python_processor.py), and by a transactional pass-through
(bench/pipeline/passthrough.py: the same bytes produced back, offsets in the
transaction), the limit of exactly-once consume -> produce on this broker.
With --baseline-bin-dir a second processor build (for example the previous
commit's) runs in the same rotation, so a change is measured against what it
replaces on the same broker at the same moment.
Reports msgs/s and CPU seconds per 100k records per run, the medians, and the
ratios of pairs.

Usage (local stack running, release build):
  var/venv/bin/python bench/pipeline/processor_e2e.py [--bin-dir build/release/bin]
      [--baseline-bin-dir DIR] [--records 1000000] [--runs 3]
"""
import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

# TLS + SASL client settings from var/edgestream.env (scripts/lib/edgestream_kafka.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "scripts", "lib"))
from edgestream_kafka import client_config, read_stack_env  # noqa: E402

# The admin principal's settings and the stack's environment, filled by main().
KAFKA = {}
ENV = {}

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def committed_total(bootstrap, group, topic, partitions):
    consumer = Consumer({**KAFKA, "bootstrap.servers": bootstrap, "group.id": group})
    try:
        committed = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return sum(max(tp.offset, 0) for tp in committed)
    finally:
        consumer.close()


def run_one(command, bootstrap, group, topic, partitions, total):
    """Sustained rate: from the first committed progress to the last record
    committed, so process start-up and the group join are not counted."""
    process = subprocess.Popen(command, env={**os.environ, **ENV}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        first = None
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited {process.returncode}")
            done = committed_total(bootstrap, group, topic, partitions)
            now, cpu = time.perf_counter(), cpu_seconds(process.pid)
            if first is None and done > 0:
                first = (now, cpu, done)
            if done >= total:
                break
            time.sleep(0.02)  # sampling interval of the measurement
        records = total - first[2]
        return records / (now - first[0]), (cpu - first[1]) / records * 100_000
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", default=os.path.join(REPO, "build", "release", "bin"))
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-bin-dir",
                        help="a second edgestream-processor build to run in the same rotation")
    args = parser.parse_args()
    env = read_stack_env(REPO)
    bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
    ENV.update(env)
    KAFKA.update(client_config(env))
    admin = AdminClient(KAFKA)
    tag = uuid.uuid4().hex[:8]
    # "test-" names: the components' principals may use them besides their
    # own production names (docs/stack.md).
    source = f"test-bench-raw-{tag}"
    admin.create_topics([NewTopic(source, 3, 1), NewTopic(source + "-dlq", 3, 1)])[source].result(30)
    subprocess.run([os.path.join(args.bin_dir, "edgestream-simulator"), "--bootstrap-servers", bootstrap,
                    "--topic", source, "--rate", "0", "--count", str(args.records),
                    "--metrics-address", ""], check=True, stderr=subprocess.DEVNULL, env={**os.environ, **env})
    probe = Consumer({**KAFKA, "group.id": "probe-" + tag})
    total = sum(probe.get_watermark_offsets(TopicPartition(source, p), timeout=10)[1] for p in range(3))
    probe.close()

    results = {"C++ processor": [], "Python consumer": [], "pass-through": []}
    bin_dirs = {"C++ processor": args.bin_dir}
    if args.baseline_bin_dir:
        results["C++ baseline"] = []
        bin_dirs["C++ baseline"] = args.baseline_bin_dir
    topics = [source, source + "-dlq"]
    for run in range(args.runs):
        for name in results:
            out = f"test-bench-out-{tag}-{run}-{list(results).index(name)}"
            partials = out + "-partials"
            admin.create_topics([NewTopic(out, 3, 1), NewTopic(partials, 1, 1)])[out].result(30)
            topics += [out, partials]
            group = f"test-bench-{uuid.uuid4().hex[:8]}"
            if name.startswith("C++"):
                command = [os.path.join(bin_dirs[name], "edgestream-processor"), "--bootstrap-servers", bootstrap,
                           "--instance-id", group, "--group-id", group, "--input-topic", source,
                           "--output-topic", out, "--dead-letter-topic", source + "-dlq",
                           "--partials-topic", partials, "--metrics-address", ""]
            elif name == "pass-through":
                command = [sys.executable, os.path.join(REPO, "bench", "pipeline", "passthrough.py"),
                           bootstrap, source, out, group]
            else:
                command = [sys.executable, os.path.join(REPO, "bench", "pipeline", "python_processor.py"),
                           bootstrap, source, out, group]
            rate, cpu = run_one(command, bootstrap, group, source, 3, total)
            results[name].append((rate, cpu))
            print(f"run {run + 1} {name:<16} {rate:>10,.0f} msg/s  {cpu:.3f} CPU s/100k", file=sys.stderr)

    print(f"\n{args.records:,} records, exactly-once, {args.runs} runs each")
    print(f"{'':<18}{'median msg/s':>14}{'median CPU s/100k':>20}")
    for name, rows in results.items():
        print(f"{name:<18}{statistics.median(r[0] for r in rows):>14,.0f}"
              f"{statistics.median(r[1] for r in rows):>20.3f}")
    ratios = [c[0] / p[0] for c, p in zip(results["C++ processor"], results["Python consumer"])]
    print(f"C++/Python throughput ratio, median of pairs: {statistics.median(ratios):.1f}x")
    ratios = [c[0] / p[0] for c, p in zip(results["C++ processor"], results["pass-through"])]
    print(f"C++ processor / transactional pass-through, median of pairs: {statistics.median(ratios):.2f}")
    if args.baseline_bin_dir:
        ratios = [c[0] / b[0] for c, b in zip(results["C++ processor"], results["C++ baseline"])]
        print(f"C++ processor / baseline build, median of pairs: {statistics.median(ratios):.2f}")
    for future in admin.delete_topics(topics).values():
        try:
            future.result(30)
        except Exception:
            pass


if __name__ == "__main__":
    main()
