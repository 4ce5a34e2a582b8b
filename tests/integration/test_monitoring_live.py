"""Proof on live data: with the whole pipeline (simulator, processor,
archiver) running against the local stack on its real topics and scraped by
its Prometheus, every dashboard query over series the local stack produces
returns data, and the golden-signals report draws all four signals.
Queries over the Kubernetes control plane and kube-state-metrics are only
checked to parse (no cluster here).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import wait_until

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "deploy" / "monitoring"))
import live_check  # noqa: E402
import queries as q  # noqa: E402

# The local stack scrapes every 2 s; 30 s holds many samples.
RATE_INTERVAL = "30s"


def prometheus_url() -> str:
    url = os.environ.get("PROMETHEUS_URL")
    env_file = REPO / "var" / "edgestream.env"
    if not url and env_file.exists():
        m = re.search(r"^export PROMETHEUS_URL=(\S+)$", env_file.read_text(), re.M)
        url = m.group(1) if m else None
    if not url:
        pytest.fail("PROMETHEUS_URL unknown: start the local stack (scripts/stack.sh start)")
    return url


@pytest.fixture(scope="module")
def pipeline(stack_env, bin_dir, tmp_path_factory):
    """The three components on the stack's topics and default metrics ports
    (the ones its Prometheus scrapes), with minute-long archive periods cut
    every few seconds so uploads happen while the test watches."""
    logs = tmp_path_factory.mktemp("pipeline")
    env = {**os.environ, **stack_env}
    port = {name: stack_env[f"EDGESTREAM_{name.upper()}_METRICS_PORT"]
            for name in ("simulator", "processor", "archiver")}
    commands = {
        "processor": [str(bin_dir / "edgestream-processor"), "--instance-id", "live-check",
                      "--metrics-address", f"127.0.0.1:{port['processor']}", "--window-seconds", "10",
                      "--allowed-lateness-seconds", "1"],
        "archiver": [str(bin_dir / "edgestream-archiver"), "--spool-dir", str(logs / "spool"),
                     "--metrics-address", f"127.0.0.1:{port['archiver']}", "--period-seconds", "10",
                     "--grace-seconds", "2", "--s3-prefix", f"live-check-{os.getpid()}"],
        "simulator": [str(bin_dir / "edgestream-simulator"), "--rate", "200",
                      "--metrics-address", f"127.0.0.1:{port['simulator']}"],
    }
    (logs / "spool").mkdir()
    processes = {}
    started = time.time()
    try:
        for name, command in commands.items():
            processes[name] = subprocess.Popen(command, env=env, stdout=open(logs / f"{name}.log", "wb"),
                                               stderr=subprocess.STDOUT)
        yield processes, logs, started
    finally:
        for process in processes.values():
            process.terminate()
        for name, process in processes.items():
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="module")
def outcomes(pipeline):
    processes, logs, started = pipeline
    prometheus = live_check.Prometheus(prometheus_url())
    prometheus.ready()
    latest = []

    def all_local_queries_have_data():
        for name, process in processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; log in {logs}/{name}.log")
        # Only samples since this pipeline started count: data left in
        # Prometheus by earlier runs must not make a query pass.
        minutes = (time.time() - started) / 60
        latest[:] = live_check.run(prometheus, q.load_dashboards(), minutes=minutes, step=2,
                                   rate_interval=RATE_INTERVAL)
        return all(o.has_data for o in latest if o.kind == "local" and not o.error)

    try:
        wait_until(all_local_queries_have_data, 300, "every local dashboard query to return data")
    except AssertionError:
        pass  # the tests below name the queries still without data
    return latest


def test_no_dashboard_query_is_rejected(outcomes):
    rejected = [f"{o.query.where}: {o.error}" for o in outcomes if o.error]
    assert not rejected, "\n".join(rejected)


def test_node_and_kafka_queries_have_data(outcomes):
    exporters = [o for o in outcomes if o.kind == "local"
                 and not any(n.startswith("edgestream_") for n in q.metric_names(o.expr))]
    assert exporters
    empty = [f"{o.query.where}: {o.expr}" for o in exporters if not o.has_data]
    assert not empty, "no data:\n" + "\n".join(empty)


def test_every_local_query_has_data(outcomes):
    local = [o for o in outcomes if o.kind == "local"]
    empty = [f"{o.query.where}: {o.expr}" for o in local if not o.has_data]
    assert not empty, f"{len(empty)} of {len(local)} local queries have no data:\n" + "\n".join(empty)


def test_report_draws_all_four_signals(outcomes, tmp_path):
    output = tmp_path / "golden-signals.png"
    result = subprocess.run([sys.executable, str(REPO / "deploy" / "monitoring" / "render_report.py"),
                             "--prometheus", prometheus_url(), "--minutes", "10",
                             "--rate-interval", RATE_INTERVAL, "--output", str(output)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    import render_report
    prometheus = live_check.Prometheus(prometheus_url())
    dashboard = q.load_dashboards()["golden-signals.json"]
    signals = render_report.collect(prometheus, dashboard, 10, 10, RATE_INTERVAL)
    for signal in signals:
        assert signal.left or signal.right, f"{signal.title}: nothing to draw; no data: {signal.missing}"


def test_traffic_flows_end_to_end_in_prometheus(outcomes):
    """Not just series that exist: readings go in, come out of the processor,
    and Parquet files reach S3, as the golden-signals traffic panels show."""
    prometheus = live_check.Prometheus(prometheus_url())
    checks = {
        "simulator sending": "sum(rate(edgestream_simulator_messages_sent_total[30s]))",
        "processor publishing readings": 'sum(rate(edgestream_processor_records_out_total{type="reading"}[30s]))',
        "archiver consuming": "sum(rate(edgestream_archiver_records_in_total[30s]))",
        "files reaching S3": "sum(increase(edgestream_archiver_files_uploaded_total[2m]))",
    }

    def value(expr):
        result = prometheus.instant(expr, time.time())
        return float(result[0]["value"][1]) if result else 0.0

    for what, expr in checks.items():
        wait_until(lambda: value(expr) > 0, 180, f"{what} ({expr}) to be above 0")
