"""Simulator throughput into the local broker: the simulator's maximum
sustained rate (msg/s) and CPU seconds per 100k messages, median of several
runs, side by side with a baseline producing the same number of messages of
the same shape: kcat (the same librdkafka) reading pre-generated JSON lines,
and Kafka's own org.apache.kafka.tools.ProducerPerformance (the Java client
from the stack's Kafka jars, var/cache/kafka/lib) sending the same values
with the same producer settings (idempotent, acks=all, lz4, linger.ms=5).

Usage: var/venv/bin/python bench/simulator/bench.py [--bin-dir build/release/bin]
       [--count 1000000] [--runs 5]   (the local stack must be running)
"""
import argparse
import os
import resource
import shutil
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


def timed(command, output=None, **kwargs):
    """Wall seconds and CPU seconds (user + sys) of one child process; its
    standard output goes to the file `output` when given."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=output or subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
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

    # Values only, one per line, for Kafka's own ProducerPerformance (--payload-file).
    payloads = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    with open(lines.name) as source:
        for line in source:
            payloads.write(line.split("\t", 1)[1])
    payloads.close()
    # Its Java client settings: the admin principal, TLS trusting the stack's
    # CA (PEM), SCRAM. Written with mode 600 and deleted at the end.
    java_config = tempfile.NamedTemporaryFile("w", suffix=".properties", delete=False)
    os.chmod(java_config.name, 0o600)
    kafka = client_config(env)
    jaas_user = kafka["sasl.username"].replace('"', '\\"')
    jaas_password = kafka["sasl.password"].replace('"', '\\"')
    java_config.write(f"security.protocol={kafka['security.protocol']}\n"
                      f"sasl.mechanism={kafka['sasl.mechanisms']}\n"
                      "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
                      f'username="{jaas_user}" password="{jaas_password}";\n'
                      f"ssl.truststore.type=PEM\nssl.truststore.location={kafka['ssl.ca.location']}\n")
    java_config.close()
    kafka_lib = os.path.join(repo, "var", "cache", "kafka", "lib")
    java = os.environ.get("EDGESTREAM_JAVA", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java")
    if not os.access(java, os.X_OK):
        java = shutil.which("java") or "java"

    results = {"simulator": [], "kcat": [], "kafka-perf": []}
    self_reported = []  # ProducerPerformance's own records/s
    for run in range(args.runs):
        for name in ("simulator", "kcat", "kafka-perf"):
            # "test-" names: the simulator's principal may write them besides
            # raw-data (docs/stack.md).
            topic = f"test-bench-sim-{uuid.uuid4().hex[:8]}"
            admin.create_topics([NewTopic(topic, 3, 1)])[topic].result(30)
            if name == "simulator":
                command = [os.path.join(args.bin_dir, "edgestream-simulator"), "--bootstrap-servers", bootstrap,
                           "--topic", topic, "--rate", "0", "--count", str(args.count), "--metrics-address", ""]
                wall, cpu = timed(command, env={**os.environ, **env})
            elif name == "kafka-perf":
                # Kafka's own producer benchmark (Java client of the broker's
                # version), same settings as kcat's below, the same values.
                # Its wall time includes the JVM's start (about 1 s).
                command = [java, "-Xmx512m", "-cp", os.path.join(kafka_lib, "*"),
                           "org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
                           "--num-records", str(args.count), "--throughput", "-1",
                           "--payload-file", payloads.name, "--producer.config", java_config.name,
                           "--producer-props", f"bootstrap.servers={bootstrap}", "enable.idempotence=true",
                           "acks=all", "compression.type=lz4", "linger.ms=5"]
                with tempfile.TemporaryFile("w+") as output:
                    wall, cpu = timed(command, output=output)
                    output.seek(0)
                    # Its last line: "N records sent, R records/sec (…)", the
                    # rate it measures itself, without the JVM's start.
                    summary = output.read().strip().splitlines()[-1]
                self_reported.append(float(summary.split(" records sent, ")[1].split(" ")[0]))
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
    os.unlink(payloads.name)
    os.unlink(java_config.name)

    print(f"\n{'producer':<10}{'median msg/s':>14}{'median CPU s/100k':>20}")
    for name, rows in results.items():
        print(f"{name:<10}{statistics.median(r[0] for r in rows):>14,.0f}"
              f"{statistics.median(r[1] for r in rows):>20.3f}")
    print(f"kafka-perf as it reports itself (JVM start excluded): median "
          f"{statistics.median(self_reported):,.0f} msg/s")
    for baseline in ("kcat", "kafka-perf"):
        ratios = [s[0] / k[0] for s, k in zip(results["simulator"], results[baseline])]
        print(f"simulator/{baseline} throughput ratio, median of pairs: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
