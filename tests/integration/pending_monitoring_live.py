"""Proof on live data: every dashboard query over series the local stack
produces returns data from the real Prometheus, and the golden-signals report
draws all four signals.

PENDING: not named test_*.py, so ctest does not run it yet. It needs the whole
pipeline (simulator, processor, archiver) running against the local stack and
scraped by its Prometheus; until then the edgestream_* and consumer-group
queries have no data and it fails. Rename it to test_monitoring_live.py once
the pipeline runs in the integration suite (and start the pipeline in a
fixture, or run it after the pipeline test).

    var/venv/bin/python -m pytest -q tests/integration/pending_monitoring_live.py
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

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
def outcomes():
    prometheus = live_check.Prometheus(prometheus_url())
    prometheus.ready()
    return live_check.run(prometheus, q.load_dashboards(), minutes=5, step=10, rate_interval=RATE_INTERVAL)


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


def test_report_draws_all_four_signals(tmp_path):
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
