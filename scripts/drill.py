"""Resilience drills against the local stack: one command each, unattended,
ending by themselves with a report people can look at.

    drill.py load [--rate 500] [--minutes 10] [--devices 100]
    drill.py cut  [--cut-minutes 10] [--rate 500] ...
    drill.py scale                      (needs the local Kubernetes with KEDA)
    drill.py all                        (load, cut, scale if the cluster is up; one summary)

scripts/drill.sh builds, starts the stack and calls this; the short forms in
tests/integration/test_drills.py call it directly with short durations.

Each drill runs the real simulator, processor and archiver (the binaries of
--bin-dir) on topics, consumer groups and an S3 prefix of its own, so a drill
never mixes with data of `scripts/run.sh` or of an earlier drill. The stack's
Prometheus scrapes the three components (file-based targets carrying a
`drill` label) and a small exporter in this process that publishes the CPU
time and resident memory of every process of the run, the broker and the S3
server included (read from /proc). Every figure and plot of the report comes
from that Prometheus, except the event-to-S3 latency, which is measured on
the archived objects themselves (their rows' event times against the time
S3 says the object was written). At the end edgestream-audit checks the
archive against processed-data.

Output: var/reports/<drill>-<UTC time>/ with report.md (what ran, pass/fail
per criterion, the figures), figures.json (the same, for programs) and PNG
plots. Exit code: 0 every criterion passed, 1 one failed, 2 the drill could
not run (bad options, stack not running), 3 the scale drill has no cluster.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.server
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts" / "lib"))
sys.path.insert(0, str(REPO / "deploy" / "monitoring"))
import edgestream_kafka  # noqa: E402
import plotting  # noqa: E402
from edgestream_netns import LinkNamespace, NetnsError, VersityGw  # noqa: E402
from live_check import Prometheus, PrometheusError, PrometheusUnreachable  # noqa: E402

ENV_FILE = REPO / "var" / "edgestream.env"
PARTITIONS = 3

# Position lag (records consumed minus log end) a healthy component keeps
# under: this many seconds of input. The processor commits every 100 ms and
# the archiver consumes into its spool continuously, so at 500 msg/s they sit
# at a few hundred records; ten seconds leaves room for a shared 2-core
# machine and for a rebalance at start-up, and still catches a component
# that falls behind (its lag then grows by the rate every second).
LAG_BOUND_SECONDS = 10
# The archiver's committed lag rises by one period (plus grace) between
# uploads by design: offsets are committed only once S3 holds the objects.
COMMITTED_LAG_SLACK_SECONDS = 30
# The cut drill's catch-up must end within this, or a quarter of the cut if
# longer: the archiver's next upload attempt comes within its 30 s backoff
# cap, and uploading a spool of minutes of data takes seconds locally.
CATCH_UP_BOUND_SECONDS = 120
# A drill counts only if the simulator really delivered the rate asked for.
MIN_RATE_SHARE = 0.95


class DrillError(Exception):
    """The drill could not run (not a failed criterion): the message says what to do."""


def log(message: str) -> None:
    print(f"drill {dt.datetime.now(dt.timezone.utc):%H:%M:%S}: {message}", flush=True)


def wait_until(predicate: Callable[[], object], timeout: float, what: str, interval: float = 1.0):
    """Polls `predicate` until truthy; returns its value or None at the
    deadline (the caller turns that into a failed criterion, with `what`)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
            if value:
                return value
        except (PrometheusError, PrometheusUnreachable, OSError, ValueError):
            pass  # not yet: a target still starting, a scrape not yet done
        if time.monotonic() >= deadline:
            log(f"gave up waiting after {timeout:g}s for {what}")
            return None
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def utc(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- CPU and memory of every process of the run, for Prometheus -------------------

def _proc_stats(pid: int) -> tuple[float, float] | None:
    """(CPU seconds, resident bytes) of a process and its threads, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return cpu, rss


class ProcessExporter:
    """Serves process_cpu_seconds_total and process_resident_memory_bytes
    (the standard process-collector names) with a `component` label for
    each tracked pid. The components themselves export no process metrics,
    and on one machine there is no cAdvisor; on the cluster the same figures
    come from container_cpu_usage_seconds_total."""

    def __init__(self):
        self.pids: dict[str, int] = {}
        exporter = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                body = exporter.render().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def track(self, component: str, pid: int | None) -> None:
        if pid:
            self.pids[component] = pid

    def render(self) -> str:
        cpu, rss = [], []
        for component, pid in sorted(self.pids.items()):
            stats = _proc_stats(pid)
            if stats is None:
                continue  # exited: its series ends, and the plot shows a gap
            cpu.append(f'process_cpu_seconds_total{{component="{component}"}} {stats[0]}')
            rss.append(f'process_resident_memory_bytes{{component="{component}"}} {stats[1]}')
        return ("# HELP process_cpu_seconds_total User and system CPU time of the process.\n"
                "# TYPE process_cpu_seconds_total counter\n" + "\n".join(cpu) + "\n"
                "# HELP process_resident_memory_bytes Resident memory of the process.\n"
                "# TYPE process_resident_memory_bytes gauge\n" + "\n".join(rss) + "\n")

    def close(self) -> None:
        self.server.shutdown()


def stack_pid(service: str) -> int | None:
    try:
        pid = int((REPO / "var" / "stack" / service / "pid").read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


# --- the pipeline of one drill ---------------------------------------------------

@dataclass
class Settings:
    drill: str
    rate: float
    seconds: float
    devices: int
    period_seconds: int
    grace_seconds: int
    cut_seconds: float = 0
    cut_after_seconds: float = 0
    bin_dir: str = ""
    spool_max_bytes: int = 0


class Pipeline:
    """Topics, the three components, their Prometheus targets; `close()`
    stops and removes everything it started or made."""

    def __init__(self, settings: Settings, env: dict[str, str], run_id: str, out: Path, s3_env: dict[str, str]):
        self.s = settings
        self.env = env
        self.run_id = run_id
        self.out = out
        tag = uuid.uuid4().hex[:8]
        # "test-" names: the components' ACLs on the local broker allow them
        # these besides the production names (docs/stack.md).
        self.raw, self.processed = f"test-drill-{tag}-raw-data", f"test-drill-{tag}-processed-data"
        self.raw_dlq, self.processed_dlq = f"test-drill-{tag}-raw-data-dlq", f"test-drill-{tag}-processed-data-dlq"
        self.partials = f"test-drill-{tag}-partials"
        self.processor_group, self.archiver_group = f"test-drill-{tag}-processor", f"test-drill-{tag}-archiver"
        self.prefix = f"drills/{run_id}"
        self.component_env = {**os.environ, **env, **s3_env}
        self.processes: dict[str, subprocess.Popen] = {}
        self.ports = {name: free_port() for name in ("simulator", "processor", "archiver")}
        self.exporter = ProcessExporter()
        self.targets: list[Path] = []
        self.s3_pid: int | None = None
        self.offsets_reader = None
        from confluent_kafka.admin import AdminClient
        self.admin = AdminClient(edgestream_kafka.client_config(env, "admin"))

    def bootstrap(self) -> str:
        return self.env["KAFKA_BOOTSTRAP_SERVERS"]

    def create_topics(self) -> None:
        from confluent_kafka.admin import NewTopic
        specs = [NewTopic(self.raw, PARTITIONS, 1), NewTopic(self.processed, PARTITIONS, 1),
                 NewTopic(self.raw_dlq, PARTITIONS, 1), NewTopic(self.processed_dlq, PARTITIONS, 1),
                 NewTopic(self.partials, 1, 1)]
        for future in self.admin.create_topics(specs, request_timeout=30).values():
            future.result(60)

    def delete_topics(self) -> None:
        names = [self.raw, self.processed, self.raw_dlq, self.processed_dlq, self.partials]
        for future in self.admin.delete_topics(names, request_timeout=30).values():
            try:
                future.result(60)
            except Exception as error:  # noqa: BLE001 - cleanup must not hide the drill's result
                log(f"deleting a drill topic failed: {error}")

    def register(self, address: str, job: str) -> None:
        """One more Prometheus target (file-based discovery, no reload)."""
        folder = Path(self.env["EDGESTREAM_PROMETHEUS_TARGETS_DIR"])
        path = folder / f"drill-{self.run_id}-{job}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps([{"targets": [address], "labels": {"job": job, "drill": self.run_id}}]))
        tmp.rename(path)
        self.targets.append(path)

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log_path = self.out / f"{name}.log"
        with open(log_path, "ab") as handle:
            process = subprocess.Popen(command, env=self.component_env, stdout=handle, stderr=subprocess.STDOUT)
        self.processes[name] = process
        self.exporter.track(name, process.pid)
        return process

    def binary(self, name: str) -> str:
        return str(Path(self.s.bin_dir) / f"edgestream-{name}")

    def start_processor(self) -> None:
        self.start("processor", [
            self.binary("processor"), "--bootstrap-servers", self.bootstrap(), "--instance-id", f"drill-{self.run_id}",
            "--input-topic", self.raw, "--output-topic", self.processed, "--dead-letter-topic", self.raw_dlq,
            "--partials-topic", self.partials, "--group-id", self.processor_group,
            "--metrics-address", f"127.0.0.1:{self.ports['processor']}"])
        self.register(f"127.0.0.1:{self.ports['processor']}", "processor")

    def start_archiver(self) -> None:
        spool = self.out / "spool"
        spool.mkdir(exist_ok=True)
        extra = ["--spool-max-bytes", str(self.s.spool_max_bytes)] if self.s.spool_max_bytes else []
        self.start("archiver", [
            self.binary("archiver"), "--bootstrap-servers", self.bootstrap(),
            "--input-topic", self.processed, "--dead-letter-topic", self.processed_dlq,
            "--group-id", self.archiver_group, "--spool-dir", str(spool), "--s3-prefix", self.prefix,
            "--period-seconds", str(self.s.period_seconds), "--grace-seconds", str(self.s.grace_seconds),
            "--metrics-address", f"127.0.0.1:{self.ports['archiver']}", *extra])
        self.register(f"127.0.0.1:{self.ports['archiver']}", "archiver")

    def start_simulator(self) -> None:
        self.start("simulator", [
            self.binary("simulator"), "--bootstrap-servers", self.bootstrap(), "--topic", self.raw,
            "--rate", f"{self.s.rate:g}", "--duration", f"{self.s.seconds:g}", "--devices", str(self.s.devices),
            "--metrics-address", f"127.0.0.1:{self.ports['simulator']}"])
        self.register(f"127.0.0.1:{self.ports['simulator']}", "simulator")

    def alive(self, name: str) -> bool:
        return name in self.processes and self.processes[name].poll() is None

    def stop(self, name: str, timeout: float = 90) -> int | None:
        process = self.processes.get(name)
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                return process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
                return None
        return process.returncode

    def log_tail(self, name: str, lines: int = 15) -> str:
        try:
            return "\n".join((self.out / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def end_offsets(self, topic: str) -> list[tuple[int, int]]:
        """(earliest, latest) offset of each partition."""
        from confluent_kafka import Consumer, TopicPartition
        if self.offsets_reader is None:
            # Never subscribes or commits: it only asks for watermarks.
            self.offsets_reader = Consumer(edgestream_kafka.client_config(
                self.env, "admin", {"group.id": f"test-drill-offsets-{uuid.uuid4().hex[:8]}"}))
        partitions = len(self.offsets_reader.list_topics(topic, timeout=30).topics[topic].partitions)
        return [self.offsets_reader.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
                for p in range(partitions)]

    def close(self, keep_topics: bool) -> None:
        for name in ("simulator", "processor", "archiver"):
            self.stop(name, timeout=60)
        for path in self.targets:
            path.unlink(missing_ok=True)
        self.exporter.close()
        if self.offsets_reader is not None:
            self.offsets_reader.close()
        if not keep_topics:
            self.delete_topics()


# --- reading figures back from Prometheus --------------------------------------------

class Figures:
    """PromQL over one drill's series (they carry its `drill` label; Kafka's
    consumer-group series are picked by the drill's group names)."""

    def __init__(self, prometheus: Prometheus, pipeline: Pipeline):
        self.p = prometheus
        self.pipe = pipeline
        self.d = f'drill="{pipeline.run_id}"'
        self.groups = (f'consumergroup=~"{pipeline.processor_group}|{pipeline.archiver_group}",'
                       f'topic=~"{pipeline.raw}|{pipeline.processed}"')

    def value(self, expr: str, at: float | None = None) -> float | None:
        result = self.p.instant(expr, at or time.time())
        if not result:
            return None
        value = float(result[0]["value"][1])
        return None if math.isnan(value) else value

    def values(self, expr: str, at: float, label: str) -> dict[str, float]:
        return {r["metric"].get(label, ""): float(r["value"][1]) for r in self.p.instant(expr, at)}

    def range(self, expr: str, start: float, end: float, step: float, label) -> list[plotting.Line]:
        return plotting.lines_from_range(self.p.range(expr, start, end, step), label)

    def processor_position_lag(self) -> float | None:
        return self.value(f"sum(edgestream_processor_consumer_lag_records{{{self.d}}})")

    def committed_lag(self, group: str, at: float | None = None) -> float | None:
        """Lag of the group's committed offsets on its input topic (the
        processor's group also reads its partials topic, transactional, whose
        committed offset stays one short of the end: the commit marker)."""
        topic = self.pipe.raw if group == self.pipe.processor_group else self.pipe.processed
        return self.value(f'sum(kafka_consumergroup_lag{{consumergroup="{group}",topic="{topic}"}})', at)

    def archiver(self, metric: str, at: float | None = None) -> float | None:
        return self.value(f"sum(edgestream_archiver_{metric}{{{self.d}}})", at)


def scraped(figures: Figures, job: str) -> bool:
    return (figures.value(f'up{{job="{job}", {figures.d}}}') or 0) >= 1


# --- event-to-S3 latency, measured on the archive itself ----------------------------------

def s3_latencies(client, bucket: str, prefix: str) -> list[tuple[float, list[float]]]:
    """(time S3 wrote the object, [seconds from each row's event time to
    then]) for every readings object under the prefix."""
    import io

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for item in page.get("Contents", []):
            if "/readings-" not in item["Key"]:
                continue
            written = item["LastModified"].timestamp()
            body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            # The readings schema's event time (docs/parquet.md): timestamp[ms, tz=UTC].
            column = pq.read_table(io.BytesIO(body), columns=["Timestamp"]).column("Timestamp")
            event_ms = pc.cast(column, "int64").to_pylist()
            out.append((written, [written - ms / 1000 for ms in event_ms]))
    return sorted(out)


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


# --- criteria and the report -------------------------------------------------------

@dataclass
class Criterion:
    name: str
    bound: str
    measured: str
    passed: bool


@dataclass
class Result:
    drill: str
    run_id: str
    settings: dict
    started: str = ""
    ended: str = ""
    criteria: list[Criterion] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    cpu: dict = field(default_factory=dict)
    plots: list[str] = field(default_factory=list)
    audit: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.criteria) and all(c.passed for c in self.criteria)

    def check(self, name: str, bound: str, measured: str, passed: bool) -> None:
        self.criteria.append(Criterion(name, bound, measured, bool(passed)))
        log(f"{'PASS' if passed else 'FAIL'}: {name}: {measured} (bound: {bound})")


def fmt(value: float | None, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "no data"
    return f"{value:,.{digits}f}{(' ' + unit) if unit else ''}"


def verdict(result: Result) -> str:
    failed = [c.name for c in result.criteria if not c.passed]
    s = result.settings
    if result.drill == "scale":
        what = "rate " + " → ".join(f"{r:g}" for r in s["ramp"]) + " msg/s on the local Kubernetes"
    else:
        what = f"{s['rate']:g} msg/s for {s['seconds'] / 60:g} min from {s['devices']} devices"
    if result.drill == "cut":
        what += f", S3 link cut for {s['cut_seconds'] / 60:g} min"
    if failed:
        return f"**FAIL** — {what}: {len(failed)} of {len(result.criteria)} criteria failed ({'; '.join(failed)})."
    return f"**PASS** — {what}: all {len(result.criteria)} criteria met."


# Kept in figures.json for programs; the report states them in words.
INTERNAL_FIGURES = {"raw_topic", "processed_topic", "bucket", "prefix", "t0", "t_sim", "t_end", "cut_at",
                    "restored_at", "caught_up_at"}


def write_report(result: Result, out: Path) -> None:
    s = result.settings
    lines = [f"# Drill `{result.drill}` — {result.run_id}", "", verdict(result), "",
             "## What ran", "",
             f"- {result.started} to {result.ended} (UTC), on {platform.node()} "
             f"({os.cpu_count()} cores), binaries from `{s['bin_dir']}`"]
    if result.drill == "scale":
        lines.append(f"- simulator on the host into the stack's raw-data, consumed by the chart's processor and "
                     f"archiver in the local cluster; ScaledObjects {s['scaled_objects']}")
    else:
        lines += [f"- simulator: {s['rate']:g} msg/s for {s['seconds']:g} s, {s['devices']} devices; "
                  f"processor: 1 instance; archiver: 1 instance, {s['period_seconds']} s periods, "
                  f"{s['grace_seconds']} s grace",
                  f"- topics, groups and the S3 prefix of this run only: `{result.figures.get('raw_topic', '')}` → "
                  f"`{result.figures.get('processed_topic', '')}` → `s3://{result.figures.get('bucket', '')}/"
                  f"{result.figures.get('prefix', '')}/`"
                  + (" (on the drill's own S3 server, behind the link it cuts)" if result.drill == "cut" else "")]
    if result.drill == "cut":
        f = result.figures

        def hms(ts):
            return "never" if not ts else dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%H:%M:%S")
        lines.append(f"- the archiver's link to the S3 server (a versitygw in a network namespace, reached over a "
                     f"veth pair) taken down {s['cut_after_seconds']:g} s into the load for {s['cut_seconds']:g} s: "
                     f"cut at {hms(f.get('cut_at'))}, restored at {hms(f.get('restored_at'))}, archive current "
                     f"again at {hms(f.get('caught_up_at'))} (UTC)")
    lines += ["", "## Criteria", "", "| criterion | bound | measured | result |", "|---|---|---|---|"]
    for c in result.criteria:
        lines.append(f"| {c.name} | {c.bound} | {c.measured} | {'PASS' if c.passed else '**FAIL**'} |")
    lines += ["", "## Figures", "", "| figure | value |", "|---|---|"]
    for name, value in result.figures.items():
        if name in INTERNAL_FIGURES:
            continue
        lines.append(f"| {name} | {value} |")
    if result.cpu:
        lines += ["", f"CPU and memory at {s['rate']:g} msg/s (mean over the steady part of the load; "
                  "peak resident memory):", "", "| component | CPU (fraction of one core) | peak memory |",
                  "|---|---|---|"]
        for component, (cores, rss) in result.cpu.items():
            lines.append(f"| {component} | {fmt(cores, digits=3)} | {fmt(rss, 'MiB', 1)} |")
    if result.plots:
        lines += ["", "## Plots", ""]
        for plot in result.plots:
            lines += [f"![{plot}]({plot})", ""]
    if result.notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in result.notes] + [""]
    lines += ["## Audit", "", "```", result.audit.strip() or "(not run)", "```", ""]
    (out / "report.md").write_text("\n".join(lines), encoding="utf-8")
    data = asdict(result)
    data["passed"] = result.passed
    (out / "figures.json").write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")


# --- one load (and optionally cut) drill -----------------------------------------------

def run_pipeline_drill(settings: Settings, env: dict[str, str], reports: Path, keep_topics: bool) -> Result:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_id = f"{settings.drill}-{stamp}"
    out = reports / run_id
    out.mkdir(parents=True, exist_ok=True)
    result = Result(settings.drill, run_id, asdict(settings))
    prometheus = Prometheus(env["PROMETHEUS_URL"])
    try:
        prometheus.ready()
    except PrometheusUnreachable as error:
        raise DrillError(f"{error}; start the stack with scripts/stack.sh start") from error

    link = server = None
    s3_env: dict[str, str] = {}
    bucket = env["S3_BUCKET"]
    try:
        if settings.drill == "cut":
            # The edge-to-AWS link: the archiver reaches a private S3 server
            # in a network namespace over a veth pair that the drill cuts.
            link = LinkNamespace("esdrill").__enter__()
            server = VersityGw(out / "s3-root", link.address, 9000, netns=link.name).start()
            server.client().create_bucket(Bucket=bucket)
            s3_env = server.env()
            s3_client = server.client()
        else:
            from edgestream_netns import s3_client_for
            s3_client = s3_client_for(env["S3_ENDPOINT_URL"], env["AWS_ACCESS_KEY_ID"],
                                      env["AWS_SECRET_ACCESS_KEY"], env["AWS_REGION"])
        pipe = Pipeline(settings, env, run_id, out, s3_env)
        pipe.s3_pid = server.process.pid if server else None
        figures = Figures(prometheus, pipe)
        result.figures.update(raw_topic=pipe.raw, processed_topic=pipe.processed, bucket=bucket, prefix=pipe.prefix)
        try:
            _drive(settings, pipe, figures, link, result, out)
            _audit(settings, pipe, result, out)
            _plots_and_figures(settings, pipe, figures, result, out, s3_client, bucket)
        finally:
            pipe.close(keep_topics)
    finally:
        if server:
            server.stop()
        if link:
            link.close()
        # The data is audited and measured: keep the report folder small.
        for scratch in ("spool", "s3-root"):
            shutil.rmtree(out / scratch, ignore_errors=True)
    write_report(result, out)
    log(f"{'PASS' if result.passed else 'FAIL'}: report in {out / 'report.md'}")
    return result


def _drive(s: Settings, pipe: Pipeline, figures: Figures, link, result: Result, out: Path) -> None:
    rate = s.rate
    lag_bound = max(200, rate * LAG_BOUND_SECONDS)
    pipe.create_topics()
    pipe.exporter.track("broker", stack_pid("kafka"))
    # The S3 server the archiver writes to: the stack's, or the cut drill's own.
    pipe.exporter.track("S3 server", pipe.s3_pid or stack_pid("s3"))
    pipe.register(pipe.exporter.address, "drill-process")
    pipe.start_processor()
    pipe.start_archiver()
    for job in ("processor", "archiver", "drill-process"):
        if not wait_until(lambda job=job: scraped(figures, job), 60, f"Prometheus to scrape the {job}"):
            raise DrillError(f"Prometheus does not scrape the drill's {job}; "
                             f"log: {out / (job + '.log')}\n{pipe.log_tail(job)}")
    t0 = time.time()
    result.figures["t_load_start"] = utc(t0)
    pipe.start_simulator()
    wait_until(lambda: scraped(figures, "simulator"), 30, "Prometheus to scrape the simulator")
    log(f"load: {rate:g} msg/s for {s.seconds:g} s, {s.devices} devices (run {pipe.run_id})")

    cut_at = restored_at = caught_up_at = None
    max_lag_seen = 0.0
    while pipe.alive("simulator"):
        for name in ("processor", "archiver"):
            if not pipe.alive(name):
                raise DrillError(f"the {name} exited with {pipe.processes[name].returncode} during the load; "
                                 f"log: {out / (name + '.log')}\n{pipe.log_tail(name)}")
        now = time.time()
        if link and cut_at is None and now - t0 >= s.cut_after_seconds:
            link.cut()
            cut_at = now
            log(f"cut: the archiver's link to S3 is down for {s.cut_seconds:g} s")
        if link and cut_at and restored_at is None and now - cut_at >= s.cut_seconds:
            link.restore()
            restored_at = now
            log("cut: link restored; waiting for the archive to catch up")
        if restored_at and caught_up_at is None and _caught_up(s, figures, pipe):
            caught_up_at = time.time()
            log(f"cut: caught up {caught_up_at - restored_at:.0f} s after the link came back")
        try:
            max_lag_seen = max(max_lag_seen, figures.processor_position_lag() or 0)
        except (PrometheusError, PrometheusUnreachable):
            pass
        time.sleep(1)
    t_sim = time.time()
    result.figures["t_load_end"] = utc(t_sim)
    sim_rc = pipe.processes["simulator"].returncode
    if sim_rc != 0:
        result.notes.append(f"the simulator exited with {sim_rc}: {pipe.log_tail('simulator', 5)}")
    if link and restored_at is None:
        # The load ended before the cut did (a cut longer than the load):
        # finish the cut, so the drill still measures a catch-up.
        if cut_at is None:
            link.cut()
            cut_at = time.time()
        time.sleep(max(0.0, cut_at + s.cut_seconds - time.time()))
        link.restore()
        restored_at = time.time()
    if link and caught_up_at is None:
        bound = max(CATCH_UP_BOUND_SECONDS, s.cut_seconds / 4)
        if wait_until(lambda: _caught_up(s, figures, pipe), bound * 2 - (time.time() - restored_at),
                      "the archive to catch up after the cut"):
            caught_up_at = time.time()
            log(f"cut: caught up {caught_up_at - restored_at:.0f} s after the link came back")

    # Drain: everything in raw-data processed, then everything in
    # processed-data archived and its files cut and uploaded.
    drained_processor = wait_until(lambda: figures.committed_lag(pipe.processor_group) == 0
                                   and figures.processor_position_lag() == 0, 180,
                                   "the processor to process and commit all of raw-data")
    processor_rc = pipe.stop("processor")
    last_period_end = (math.floor(t_sim / s.period_seconds) + 1) * s.period_seconds
    drained_archiver = wait_until(
        lambda: time.time() > last_period_end + s.grace_seconds
        and figures.committed_lag(pipe.archiver_group) == 0 and figures.archiver("spool_bytes") == 0
        and figures.archiver("oldest_unarchived_age_seconds") == 0,
        max(240, s.period_seconds + s.grace_seconds + 180), "the archiver to upload everything and commit")
    t_end = time.time()
    # The last scrape of the final state, before the targets go away.
    time.sleep(3)
    archiver_rc = pipe.stop("archiver")
    result.started, result.ended = utc(t0), utc(t_end)
    result.figures.update(t0=t0, t_sim=t_sim, t_end=t_end, cut_at=cut_at, restored_at=restored_at,
                          caught_up_at=caught_up_at)

    # Criteria measured while it ran.
    # What reached Kafka, read from the topic (the simulator's last scrape
    # may predate its final sends); its delivery errors over the whole run.
    produced = sum(high for _, high in pipe.end_offsets(pipe.raw))
    delivery_errors = figures.value(
        f"max_over_time(sum(edgestream_simulator_delivery_errors_total{{{figures.d}}})[{int(t_sim - t0) + 10}s:2s])",
        t_sim) or 0
    target = rate * s.seconds
    result.check("the rate was delivered", f"≥ {MIN_RATE_SHARE:.0%} of {target:,.0f} messages, no delivery error",
                 f"{produced:,} in raw-data ({produced / max(1, s.seconds):,.1f} msg/s), "
                 f"{delivery_errors:,.0f} delivery errors",
                 produced >= MIN_RATE_SHARE * target and delivery_errors == 0 and sim_rc == 0)
    result.figures["messages produced"] = f"{produced:,}"

    window = f"{max(1, int(t_end - t0))}s"
    max_processor_lag = figures.value(
        f"max_over_time(sum(edgestream_processor_consumer_lag_records{{{figures.d}}})[{window}:2s])", t_end)
    max_archiver_lag = figures.value(
        f"max_over_time(sum(edgestream_archiver_consumer_lag_records{{{figures.d}}})[{window}:2s])", t_end)
    max_processor_lag = max(max_processor_lag or 0, max_lag_seen)
    result.check("processor lag stays bounded", f"≤ {lag_bound:,.0f} records ({LAG_BOUND_SECONDS} s of input)",
                 f"max {max_processor_lag:,.0f} records", max_processor_lag <= lag_bound)
    if s.drill == "load":
        result.check("archiver lag stays bounded", f"≤ {lag_bound:,.0f} records ({LAG_BOUND_SECONDS} s of input)",
                     f"max {fmt(max_archiver_lag)} records",
                     max_archiver_lag is not None and max_archiver_lag <= lag_bound)
        committed_bound = rate * (s.period_seconds + s.grace_seconds + COMMITTED_LAG_SLACK_SECONDS)
        max_committed = figures.value(
            f'max_over_time(sum(kafka_consumergroup_lag{{consumergroup="{pipe.archiver_group}"}})[{window}:2s])', t_end)
        result.check("archiver committed lag stays bounded",
                     f"≤ {committed_bound:,.0f} records (one period + grace + {COMMITTED_LAG_SLACK_SECONDS} s "
                     "of input: offsets are committed once S3 holds the objects)",
                     f"max {fmt(max_committed)} records",
                     max_committed is not None and max_committed <= committed_bound)
    result.figures["max processor lag (records)"] = fmt(max_processor_lag)
    result.figures["max archiver position lag (records)"] = fmt(max_archiver_lag)

    dead = sum(high for _, high in pipe.end_offsets(pipe.raw_dlq)) + \
        sum(high for _, high in pipe.end_offsets(pipe.processed_dlq))
    result.check("no dead letters for valid input", "0 records in both dead-letter topics",
                 f"{dead} records", dead == 0)
    result.check("everything processed and archived at the end",
                 "processor committed all of raw-data within 180 s, archiver uploaded and committed all of "
                 "processed-data, both exited 0",
                 f"processor {'drained' if drained_processor else 'NOT drained'} (exit {processor_rc}), "
                 f"archiver {'drained' if drained_archiver else 'NOT drained'} (exit {archiver_rc})",
                 bool(drained_processor and drained_archiver) and processor_rc == 0 and archiver_rc == 0)

    if s.drill == "cut":
        _cut_criteria(s, pipe, figures, result, cut_at, restored_at, caught_up_at)


def _caught_up(s: Settings, figures: Figures, pipe: Pipeline) -> bool:
    """The archive is current again: the oldest record not yet in S3 is no
    older than a period plus grace (plus a scrape) — what it is in normal
    operation — and the spool holds at most the open period."""
    fresh = figures.archiver("oldest_unarchived_age_seconds")
    committed = figures.committed_lag(pipe.archiver_group)
    normal = s.period_seconds + s.grace_seconds + 15
    return fresh is not None and fresh <= normal and committed is not None and committed <= s.rate * normal


def _cut_criteria(s: Settings, pipe: Pipeline, figures: Figures, result: Result,
                  cut_at: float | None, restored_at: float | None, caught_up_at: float | None) -> None:
    if cut_at is None or restored_at is None:
        result.check("the link was cut and restored", "cut, then restored", "never cut", False)
        return
    retries = (figures.archiver("upload_errors_total", restored_at) or 0) - \
        (figures.archiver("upload_errors_total", cut_at) or 0)
    lag_at_restore = figures.value(
        f'max_over_time(sum(kafka_consumergroup_lag{{consumergroup="{pipe.archiver_group}"}})'
        f'[{max(1, int(restored_at - cut_at))}s:2s])', restored_at) or 0
    expected_backlog = 0.5 * s.rate * s.cut_seconds
    result.check("the cut was real: uploads failed and the backlog stayed in Kafka",
                 f"upload errors > 0 during the cut; archiver committed lag ≥ {expected_backlog:,.0f} "
                 "(half the records sent during the cut)",
                 f"{retries:,.0f} failed upload attempts; committed lag peaked at {lag_at_restore:,.0f}",
                 retries > 0 and lag_at_restore >= expected_backlog)
    earliest = [low for low, _ in pipe.end_offsets(pipe.processed)]
    spool_peak = figures.value(
        f"max_over_time(sum(edgestream_archiver_spool_bytes{{{figures.d}}})[{max(1, int(time.time() - cut_at))}s:2s])")
    spool_limit = figures.archiver("spool_limit_bytes", restored_at)
    result.check("Kafka held the backlog: nothing dropped by retention or the spool limit",
                 "earliest offset of every processed-data partition still 0; spool ≤ its limit",
                 f"earliest offsets {earliest}; spool peak {fmt((spool_peak or 0) / 2**20, 'MiB', 1)} of "
                 f"{fmt((spool_limit or 0) / 2**20, 'MiB', 0)}",
                 all(low == 0 for low in earliest) and spool_peak is not None and spool_limit is not None
                 and spool_peak <= spool_limit)
    bound = max(CATCH_UP_BOUND_SECONDS, s.cut_seconds / 4)
    catch_up = None if caught_up_at is None else caught_up_at - restored_at
    result.check("catch-up finished in time",
                 f"≤ {bound:.0f} s after the link came back (archive freshness back to one period + grace)",
                 "never" if catch_up is None else f"{catch_up:.0f} s", catch_up is not None and catch_up <= bound)
    if catch_up:
        archived = (figures.value(f'sum(kafka_consumergroup_current_offset{{consumergroup="{pipe.archiver_group}"}})',
                                  caught_up_at) or 0) - \
            (figures.value(f'sum(kafka_consumergroup_current_offset{{consumergroup="{pipe.archiver_group}"}})',
                           restored_at) or 0)
        result.figures["catch-up time (s)"] = f"{catch_up:.0f}"
        result.figures["catch-up rate (records archived per s)"] = fmt(archived / max(1.0, catch_up), digits=0)
    result.figures["archiver committed lag at its peak (records)"] = fmt(lag_at_restore)
    result.figures["spool at its peak"] = fmt((spool_peak or 0) / 2**20, "MiB", 1)
    result.figures["failed upload attempts during the cut"] = fmt(retries)


def _audit(s: Settings, pipe: Pipeline, result: Result, out: Path) -> None:
    t0, t_end = result.figures["t0"], result.figures["t_end"]
    start = math.floor((t0 - 60) / s.period_seconds) * s.period_seconds
    end = math.ceil(t_end / s.period_seconds) * s.period_seconds
    audit_range(s.bin_dir, pipe.bootstrap(), pipe.processed, pipe.prefix, s.period_seconds, start, end,
                pipe.component_env, result, out)


def audit_range(bin_dir: str, bootstrap: str, topic: str, prefix: str, period_seconds: int, start: float,
                end: float, env: dict[str, str], result: Result, out: Path) -> None:
    """edgestream-audit over [start, end) of `topic` against the objects
    under `prefix`, as the criterion "the audit is exact"."""
    command = [str(Path(bin_dir) / "edgestream-audit"), "--bootstrap-servers", bootstrap,
               "--input-topic", topic, "--s3-prefix", prefix,
               "--period-seconds", str(period_seconds), "--from", utc(start), "--to", utc(end),
               "--timeout-seconds", "30"]
    log("audit: " + " ".join(command[1:]))
    audit = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
    report = audit.stdout + (("\n" + audit.stderr) if audit.stderr.strip() else "")
    (out / "audit.txt").write_text(report)
    rows = [line for line in audit.stdout.splitlines() if line[:4].isdigit()]
    expected = found = 0
    for line in rows:
        parts = line.split()
        try:
            expected += int(parts[3])
            found += int(parts[4])
        except (IndexError, ValueError):
            pass
    # Long reports: the streams' table is in audit.txt, the report keeps the verdict.
    result.audit = report if len(rows) <= 40 else "\n".join(
        audit.stdout.splitlines()[:1] + rows[:10] + [f"… {len(rows) - 10} more streams in audit.txt"]
        + audit.stdout.splitlines()[-1:])
    result.check("the audit is exact", "edgestream-audit exits 0 (every record in exactly one object)",
                 f"exit {audit.returncode}: {len(rows)} streams, {expected:,} records expected, {found:,} found",
                 audit.returncode == 0)
    result.figures["records audited"] = f"{expected:,}"


def _plots_and_figures(s: Settings, pipe: Pipeline, figures: Figures, result: Result, out: Path,
                       s3_client, bucket: str) -> None:
    f = result.figures
    t0, t_sim, t_end = f["t0"], f["t_sim"], f["t_end"]
    start, end = t0 - 20, t_end + 5
    step = max(2.0, (end - start) / 400)
    ri = f"{max(10, int(step * 4))}s"  # rate window: a few steps, at least 5 scrapes
    d, g = figures.d, figures.groups
    shade = []
    if f.get("cut_at"):
        shade.append((f["cut_at"], f["restored_at"] or t_end, "link to S3 cut"))
    if f.get("caught_up_at"):
        shade.append((f["restored_at"], f["caught_up_at"], "catching up"))

    def panel(ax, lines, **kw):
        plotting.draw_panel(ax, lines, step=step, start=start, end=end, shade=shade, **kw)

    # Traffic.
    fig, axes = plotting.figure(1, 1, f"{result.run_id}: traffic")
    produce = figures.range(f"sum(rate(edgestream_simulator_messages_sent_total{{{d}}}[{ri}]))", start, end, step,
                            lambda m: "produced to raw-data")
    processed = figures.range(f'sum(rate(edgestream_processor_records_in_total{{{d}}}[{ri}]))', start, end, step,
                              lambda m: "processed (records in)")
    published = figures.range(f'sum(rate(edgestream_processor_records_out_total{{{d},type="reading"}}[{ri}]))',
                              start, end, step, lambda m: "readings published")
    archived = figures.range(
        f'sum(rate(kafka_consumergroup_current_offset{{consumergroup="{pipe.archiver_group}"}}[{ri}]))',
        start, end, step, lambda m: "archived (rows committed after S3 holds them)")
    panel(axes[0][0], produce + processed + published + archived, title="Records per second",
          unit="records per second", hlines=[(s.rate, f"target {s.rate:g} msg/s")])
    plotting.save(fig, out / "throughput.png")

    # Lag (per group and partition) and, for the cut, the spool.
    fig, axes = plotting.figure(2 if s.drill == "cut" else 1, 1, f"{result.run_id}: consumer lag")
    lag = figures.range(f"sum by (consumergroup, partition) (kafka_consumergroup_lag{{{g}}})", start, end, step,
                        lambda m: f"{m.get('consumergroup', '').rsplit('-', 1)[-1]} p{m.get('partition', '')}")
    panel(axes[0][0], lag, title="Committed lag per consumer group and partition", unit="records")
    if s.drill == "cut":
        spool = figures.range(f"sum(edgestream_archiver_spool_bytes{{{d}}}) / 2^20", start, end, step,
                              lambda m: "archiver spool")
        errors = figures.range(f"sum(rate(edgestream_archiver_upload_errors_total{{{d}}}[{ri}]))", start, end, step,
                               lambda m: "failed upload attempts")
        panel(axes[1][0], spool, title="Archiver spool and failed uploads", unit="MiB",
              right=errors, right_unit="attempts per second")
    plotting.save(fig, out / "lag.png")

    # Latency.
    fig, axes = plotting.figure(1, 1, f"{result.run_id}: end-to-end latency")
    latency = []
    for q in (0.5, 0.99):
        latency += figures.range(
            f"histogram_quantile({q}, sum by (le) "
            f"(rate(edgestream_processor_event_latency_seconds_bucket{{{d}}}[{ri}])))",
            start, end, step, lambda m, q=q: f"event → processed-data p{int(q * 100)}")
    latency += figures.range(f"max(edgestream_archiver_oldest_unarchived_age_seconds{{{d}}})", start, end, step,
                             lambda m: "oldest record not yet in S3")
    objects = s3_latencies(s3_client, bucket, pipe.prefix)
    for q in (0.5, 0.99):
        points = [(t, percentile(v, q)) for t, v in objects if v]
        latency.append(plotting.Line(f"event → S3 object visible p{int(q * 100)} (per object)",
                                     [t for t, _ in points], [v for _, v in points],
                                     {"marker": ".", "linestyle": "none"}))
    panel(axes[0][0], latency, title="Latency", unit="seconds (log scale)", log=True, additive=False)
    plotting.save(fig, out / "latency.png")
    rows_s3 = [v for _, values in objects for v in values]
    window = f"{max(1, int(t_sim - t0))}s"
    for q in (0.5, 0.99):
        value = figures.value(f"histogram_quantile({q}, sum by (le) (increase("
                              f"edgestream_processor_event_latency_seconds_bucket{{{d}}}[{window}])))", t_sim)
        f[f"event → processed-data p{int(q * 100)}"] = fmt(value, "s", 3)
        f[f"event → S3 object visible p{int(q * 100)}"] = fmt(percentile(rows_s3, q), "s", 1)
    f["readings objects in S3"] = f"{len(objects):,} objects, {len(rows_s3):,} rows"

    # Resources.
    fig, axes = plotting.figure(2, 1, f"{result.run_id}: CPU and memory per process")
    cpu = figures.range(f'sum by (component) (rate(process_cpu_seconds_total{{job="drill-process",{d}}}[{ri}]))',
                        start, end, step, lambda m: m.get("component", ""))
    rss = figures.range(f'sum by (component) (process_resident_memory_bytes{{job="drill-process",{d}}}) / 2^20',
                        start, end, step, lambda m: m.get("component", ""))
    node = figures.range('1 - avg(rate(node_cpu_seconds_total{mode="idle"}[' + ri + ']))', start, end, step,
                         lambda m: "whole machine (share of all cores)")
    panel(axes[0][0], cpu, title="CPU", unit="cores (1 = one core busy)", right=node,
          right_unit="share of all cores", right_additive=False, right_limits=(0, 1.05))
    panel(axes[1][0], rss, title="Resident memory", unit="MiB", additive=False)
    plotting.save(fig, out / "resources.png")

    # CPU cost at the drill's rate: the steady part of the load (after 20 s of
    # warm-up, before the simulator stopped), as a fraction of one core.
    steady_start = t0 + min(20.0, (t_sim - t0) / 3)
    steady = f"{max(1, int(t_sim - 2 - steady_start))}s"
    cores = figures.values(f'sum by (component) (increase(process_cpu_seconds_total{{job="drill-process",{d}}}'
                           f'[{steady}])) / {max(1, int(t_sim - 2 - steady_start))}', t_sim - 2, "component")
    peaks = figures.values(f'max by (component) (max_over_time(process_resident_memory_bytes'
                           f'{{job="drill-process",{d}}}[{max(1, int(t_end - t0))}s])) / 2^20', t_end, "component")
    for component in sorted(set(cores) | set(peaks)):
        result.cpu[component] = (cores.get(component), peaks.get(component))
    result.plots = ["throughput.png", "lag.png", "latency.png", "resources.png"]


# --- the scale drill (the local Kubernetes with KEDA) ---------------------------------

# KEDA polls every 15 s (the chart's pollingInterval), the HPA acts on its
# next sync (15 s) and the rate trigger's query averages over 1 min: a
# second replica within this long after the broker's rate passes 400 msg/s.
SCALE_OUT_BOUND_SECONDS = 90
# Scale-in waits out the HPA's scale-down stabilisation (300 s in the chart)
# and removes one replica per 120 s.
SCALE_IN_SLACK_SECONDS = 120
# KEDA's rate trigger (the chart's keda.prometheus.rawRateQuery), asked of
# the stack's Prometheus: the rate the scaler sees.
RAW_RATE_QUERY = 'sum(rate(kafka_topic_partition_current_offset{topic="raw-data"}[1m]))'


def kubectl(*args: str) -> str:
    tool = shutil.which("kubectl") or str(REPO / "var" / "cache" / "bin" / "kubectl")
    result = subprocess.run([tool, "--kubeconfig", str(REPO / "var" / "kubeconfig"), *args],
                            capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise DrillError(f"kubectl {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def scaled_objects() -> list[dict]:
    return json.loads(kubectl("get", "scaledobjects", "-A", "-o", "json")).get("items", [])


def cluster_ready() -> tuple[bool, str]:
    """Whether the local cluster runs with the chart's KEDA ScaledObjects.
    Read-only: this never starts, stops or changes the cluster."""
    if not (REPO / "var" / "kubeconfig").is_file():
        return False, "no var/kubeconfig: the local Kubernetes cluster is not up"
    try:
        items = scaled_objects()
    except (DrillError, OSError, subprocess.TimeoutExpired, ValueError) as error:
        return False, str(error)
    if not items:
        return False, "the cluster has no KEDA ScaledObjects: the chart is not installed with autoscaling on"
    return True, ", ".join(f"{i['metadata']['namespace']}/{i['metadata']['name']}" for i in items)


def replicas_of(items: list[dict]) -> dict[str, int]:
    """Ready replicas of each ScaledObject's target (StatefulSet or Deployment)."""
    out = {}
    for item in items:
        ref, namespace = item["spec"]["scaleTargetRef"], item["metadata"]["namespace"]
        kind = ref.get("kind", "Deployment").lower()
        status = json.loads(kubectl("get", kind, ref["name"], "-n", namespace, "-o", "json")).get("status", {})
        out[ref["name"]] = int(status.get("readyReplicas", 0))
    return out


def chart_settings(namespace: str) -> dict[str, str]:
    """The processor's and archiver's environment from the chart's ConfigMaps
    (topics, S3 prefix, archive period): what the drill writes to and audits."""
    merged: dict[str, str] = {}
    for item in json.loads(kubectl("get", "configmaps", "-n", namespace, "-o", "json")).get("items", []):
        data = item.get("data") or {}
        if "EDGESTREAM_PROCESSOR_INPUT_TOPIC" in data or "EDGESTREAM_ARCHIVER_INPUT_TOPIC" in data:
            merged.update(data)
    for key in ("EDGESTREAM_PROCESSOR_INPUT_TOPIC", "EDGESTREAM_ARCHIVER_INPUT_TOPIC"):
        if key not in merged:
            raise DrillError(f"no {key} in the ConfigMaps of namespace {namespace}: is the chart installed "
                             "with the processor and archiver enabled (scripts/cluster-deploy.sh)?")
    return merged


def run_scale(args, env) -> int:
    ready, detail = cluster_ready()
    if not ready:
        print(f"drill scale: needs the local Kubernetes cluster with KEDA and the chart installed ({detail}).\n"
              "  Start it with `scripts/cluster.sh up`, install the chart with `scripts/cluster-deploy.sh "
              "build/release/bin -f deploy/helm/edgestream/values-drill-scale.yaml`, "
              "then run `scripts/drill.sh scale` again.", file=sys.stderr)
        return 3
    try:
        result = run_scale_drill(args, env, detail)
    except DrillError as error:
        print(f"drill: {error}", file=sys.stderr)
        return 2
    return 0 if result.passed else 1


def run_scale_drill(args, env, detail: str) -> Result:
    """The rate ramps 100 -> 600 -> 100 msg/s into the stack's raw-data, which
    the chart's processor and archiver in the local cluster consume; the
    drill samples the replicas of every ScaledObject's target, and the rate
    KEDA sees, judges scale-out and scale-in against the bounds above, then
    audits the archiver's closed periods of the ramp against processed-data."""
    items = scaled_objects()
    namespace = items[0]["metadata"]["namespace"]
    chart = chart_settings(namespace)
    raw_topic = chart["EDGESTREAM_PROCESSOR_INPUT_TOPIC"]
    processed_topic = chart["EDGESTREAM_ARCHIVER_INPUT_TOPIC"]
    prefix = chart.get("EDGESTREAM_ARCHIVER_S3_PREFIX", "")
    period = int(chart.get("EDGESTREAM_ARCHIVER_PERIOD_SECONDS", "3600"))
    grace = int(chart.get("EDGESTREAM_ARCHIVER_GRACE_SECONDS", "60"))
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = args.reports / f"scale-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    settings = {"drill": "scale", "rate": args.high_rate, "seconds": 0, "devices": args.devices,
                "period_seconds": period, "grace_seconds": grace, "bin_dir": str(Path(args.bin_dir).resolve()),
                "ramp": [args.low_rate, args.high_rate, args.low_rate], "scaled_objects": detail}
    result = Result("scale", f"scale-{stamp}", settings)
    result.figures.update(raw_topic=raw_topic, processed_topic=processed_topic, bucket=env.get("S3_BUCKET", ""),
                          prefix=prefix)
    prometheus = Prometheus(env["PROMETHEUS_URL"])
    minimum = {i["spec"]["scaleTargetRef"]["name"]: int(i["spec"].get("minReplicaCount", 1)) for i in items}
    stabilisation = max(int(i["spec"].get("advanced", {}).get("horizontalPodAutoscalerConfig", {})
                            .get("behavior", {}).get("scaleDown", {}).get("stabilizationWindowSeconds", 300))
                        for i in items)
    samples: list[tuple[float, dict[str, int]]] = []
    phases = [(args.low_rate, args.step_minutes * 60), (args.high_rate, args.step_minutes * 60 * 2),
              (args.low_rate, stabilisation + SCALE_IN_SLACK_SECONDS + 120)]
    t0 = time.time()
    marks = []
    for rate, seconds in phases:
        marks.append((time.time(), rate))
        log(f"scale: {rate:g} msg/s for {seconds:g} s into {raw_topic}")
        with open(out / "simulator.log", "ab") as simulator_log:
            simulator = subprocess.Popen(
                [str(Path(args.bin_dir) / "edgestream-simulator"), "--bootstrap-servers",
                 env["KAFKA_BOOTSTRAP_SERVERS"], "--topic", raw_topic,
                 "--rate", f"{rate:g}", "--duration", f"{seconds:g}", "--devices", str(args.devices),
                 "--metrics-address", ""], env={**os.environ, **env},
                stdout=simulator_log, stderr=subprocess.STDOUT)
        while simulator.poll() is None:
            samples.append((time.time(), replicas_of(items)))
            time.sleep(2)
        if simulator.returncode != 0:
            raise DrillError(f"the simulator exited {simulator.returncode} (see {out / 'simulator.log'})")
    t_end = time.time()
    result.started, result.ended = utc(t0), utc(t_end)
    result.figures.update(t0=t0, t_end=t_end)
    high_start, low_start = marks[1][0], marks[2][0]

    def first(predicate, after):
        return next((t for t, r in samples if t >= after and predicate(r)), None)

    # The moment the rate KEDA sees passed 400 msg/s, from Prometheus.
    crossing = next((t for t, v in [(float(ts), float(x)) for series in prometheus.range(
        RAW_RATE_QUERY, high_start, low_start, 2) for ts, x in series["values"]] if v > 400), None)
    for name in minimum:
        out_at = first(lambda r, n=name: r.get(n, 0) > minimum[n], high_start)
        delay = None if out_at is None or crossing is None else out_at - crossing
        result.check(f"{name} scales out", f"≤ {SCALE_OUT_BOUND_SECONDS} s after the raw-data rate passes 400 msg/s",
                     "never" if delay is None else f"{delay:.0f} s", delay is not None
                     and delay <= SCALE_OUT_BOUND_SECONDS)
        result.figures[f"{name} replicas at most"] = max((r.get(name, 0) for _, r in samples), default=0)
        in_at = first(lambda r, n=name: r.get(n, 0) <= minimum[n], low_start)
        bound = stabilisation + SCALE_IN_SLACK_SECONDS + 60
        back = None if in_at is None else in_at - low_start
        result.check(f"{name} scales in", f"back to {minimum[name]} within {bound} s of the rate falling "
                     f"(stabilisation {stabilisation} s)", "never" if back is None else f"{back:.0f} s",
                     back is not None and back <= bound)
    if crossing is not None:
        result.figures["rate KEDA sees passed 400 msg/s"] = f"{crossing - high_start:.0f} s after the ramp to " \
                                                           f"{args.high_rate:g}"
    fig, axes = plotting.figure(1, 1, f"{result.run_id}: replicas against rate and lag")
    lines = [plotting.Line(name, [t for t, _ in samples], [r.get(name, 0) for _, r in samples]) for name in minimum]
    rate_lines = plotting.lines_from_range(prometheus.range(RAW_RATE_QUERY, t0, t_end, 5),
                                           lambda m: "raw-data rate KEDA sees (msg/s)")
    lag_lines = plotting.lines_from_range(prometheus.range(
        'sum by (consumergroup) (kafka_consumergroup_lag{consumergroup=~"edgestream-processor|edgestream-archiver"})',
        t0, t_end, 5), lambda m: f"lag {m.get('consumergroup', '')} (records)")
    plotting.draw_panel(axes[0][0], lines, title="Replicas", unit="ready replicas", step=2, start=t0, end=t_end,
                        right=rate_lines + lag_lines, right_unit="msg/s and records")
    plotting.save(fig, out / "replicas.png")
    result.plots = ["replicas.png"]
    # Every period the ramp wrote into, across every rebalance of the
    # processor's and archiver's groups: once the last one has closed (its
    # end plus the archiver's grace and an upload), each processed-data
    # record of [start, end) must be in exactly one object under the prefix.
    audit_start = math.floor(t0 / period) * period
    audit_end = math.ceil(t_end / period) * period
    wait = audit_end + grace + 30 - time.time()
    if wait > 0:
        log(f"scale: waiting {wait:.0f} s for the archiver to close the period ending {utc(audit_end)}")
        time.sleep(wait)
    audit_env = {**os.environ, **env}
    audit_range(args.bin_dir, env["KAFKA_BOOTSTRAP_SERVERS"], processed_topic, prefix, period, audit_start,
                audit_end, audit_env, result, out)
    write_report(result, out)
    log(f"{'PASS' if result.passed else 'FAIL'}: report in {out / 'report.md'}")
    return result


# --- command line ---------------------------------------------------------------------

def settings_for(drill: str, args) -> Settings:
    cut_seconds = args.cut_minutes * 60 if drill == "cut" else 0
    lead = args.cut_after_minutes * 60
    seconds = args.minutes * 60 if args.minutes else (lead + cut_seconds + 120 if drill == "cut" else 600)
    return Settings(drill=drill, rate=args.rate, seconds=seconds, devices=args.devices,
                    period_seconds=args.period_seconds, grace_seconds=args.grace_seconds,
                    cut_seconds=cut_seconds, cut_after_seconds=lead if drill == "cut" else 0,
                    bin_dir=str(Path(args.bin_dir).resolve()), spool_max_bytes=args.spool_max_bytes)


def write_summary(results: list[Result], reports: Path, skipped: dict[str, str] | None = None) -> Path:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = reports / f"all-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    passed = all(r.passed for r in results)
    lines = [f"# Drills `all` — {stamp}", "",
             f"**{'PASS' if passed else 'FAIL'}** — " + "; ".join(
                 [f"{r.drill} {'passed' if r.passed else 'FAILED'}" for r in results]
                 + [f"{drill} {reason.split(':')[0]}" for drill, reason in (skipped or {}).items()]), "",
             "| drill | verdict | report |", "|---|---|---|"]
    for r in results:
        lines.append(f"| {r.drill} | {verdict(r)} | [../{r.run_id}/report.md](../{r.run_id}/report.md) |")
    for drill, reason in (skipped or {}).items():
        lines.append(f"| {drill} | {reason} | — |")
    for r in results:
        lines += ["", f"## {r.drill}", "", "| criterion | bound | measured | result |", "|---|---|---|---|"]
        for c in r.criteria:
            lines.append(f"| {c.name} | {c.bound} | {c.measured} | {'PASS' if c.passed else '**FAIL**'} |")
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description="Resilience drills against the local stack.")
    parser.add_argument("drill", choices=["load", "cut", "scale", "all"])
    parser.add_argument("--rate", type=float, default=500, help="messages per second (default 500)")
    parser.add_argument("--minutes", type=float, default=0,
                        help="length of the load (default: 10 for load; for cut, the cut plus 4)")
    parser.add_argument("--devices", type=int, default=100, help="simulated devices (default 100)")
    parser.add_argument("--cut-minutes", type=float, default=10, help="length of the link cut (default 10)")
    parser.add_argument("--cut-after-minutes", type=float, default=2,
                        help="load before the cut begins (default 2)")
    parser.add_argument("--period-seconds", type=int, default=60,
                        help="archive period: files are cut this often (default 60, so objects appear during "
                             "the drill; production uses 3600)")
    parser.add_argument("--grace-seconds", type=int, default=10, help="archiver grace (default 10)")
    parser.add_argument("--spool-max-bytes", type=int, default=0, help="archiver spool bound (default: its own)")
    parser.add_argument("--low-rate", type=float, default=100, help="scale: the ramp's low rate (default 100)")
    parser.add_argument("--high-rate", type=float, default=600, help="scale: the ramp's high rate (default 600)")
    parser.add_argument("--step-minutes", type=float, default=2, help="scale: minutes at the low rate before "
                        "the ramp; twice that at the high rate (default 2)")
    parser.add_argument("--bin-dir", default=str(REPO / "build" / "release" / "bin"))
    parser.add_argument("--reports", type=Path, default=REPO / "var" / "reports")
    parser.add_argument("--keep-topics", action="store_true", help="keep the drill's topics for inspection")
    args = parser.parse_args()
    if args.rate <= 0 or args.devices <= 0 or args.cut_minutes <= 0 or args.period_seconds <= 0:
        parser.error("--rate, --devices, --cut-minutes and --period-seconds must be positive")
    if not ENV_FILE.is_file():
        print("drill: the local stack is not running (scripts/stack.sh start)", file=sys.stderr)
        return 2
    env = edgestream_kafka.read_env_file(ENV_FILE)
    if args.drill == "scale":
        return run_scale(args, env)
    for name in ("simulator", "processor", "archiver", "audit"):
        if not (Path(args.bin_dir) / f"edgestream-{name}").is_file():
            print(f"drill: no edgestream-{name} in {args.bin_dir}; build it (scripts/build.sh release)",
                  file=sys.stderr)
            return 2
    drills = ["load", "cut"] if args.drill == "all" else [args.drill]
    results = []
    skipped: dict[str, str] = {}
    try:
        for drill in drills:
            results.append(run_pipeline_drill(settings_for(drill, args), env, args.reports, args.keep_topics))
        if args.drill == "all":
            # The scale drill needs the local Kubernetes with the chart; without
            # it `all` still judges load and cut, and says scale did not run.
            ready, detail = cluster_ready()
            if ready:
                results.append(run_scale_drill(args, env, detail))
            else:
                skipped["scale"] = f"skipped: needs scripts/cluster.sh up and scripts/cluster-deploy.sh ({detail})"
                log(f"scale {skipped['scale']}")
    except (DrillError, NetnsError) as error:
        print(f"drill: {error}", file=sys.stderr)
        return 2
    if args.drill == "all":
        out = write_summary(results, args.reports, skipped)
        log(f"summary in {out / 'report.md'}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
