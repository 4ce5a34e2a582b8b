"""Short forms of the resilience drills (scripts/drill.py): the same code
paths and the same pass criteria as `scripts/drill.sh load|cut`, with
minutes instead of tens of minutes, so that the drills cannot rot.

Each runs the real simulator, processor and archiver of this build tree
against the local stack and reads its verdict back from the report files the
drill writes; the criteria themselves (lag bound, dead letters, the audit,
the catch-up bound) are computed by the drill from Prometheus, Kafka and
edgestream-audit, not from anything the components say about themselves.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DRILL = REPO / "scripts" / "drill.py"
# Short archive periods so files are cut and uploaded within the drill.
SHORT = ["--rate", "200", "--devices", "20", "--period-seconds", "10", "--grace-seconds", "2"]


def run_drill(bin_dir, tmp_path, *args, timeout=540):
    result = subprocess.run([sys.executable, str(DRILL), *args, *SHORT, "--bin-dir", str(bin_dir),
                             "--reports", str(tmp_path)],
                            capture_output=True, text=True, timeout=timeout)
    reports = sorted(p for p in tmp_path.iterdir() if (p / "figures.json").is_file())
    return result, reports


def assert_report(folder: Path, drill: str, criteria: set[str], output: str):
    figures = json.loads((folder / "figures.json").read_text())
    assert figures["drill"] == drill
    names = {c["name"] for c in figures["criteria"]}
    assert criteria <= names, f"criteria missing from the report: {criteria - names}"
    failed = [f"{c['name']}: {c['measured']} (bound {c['bound']})" for c in figures["criteria"] if not c["passed"]]
    assert not failed, "failed criteria:\n" + "\n".join(failed) + "\n" + output[-3000:]
    report = (folder / "report.md").read_text()
    assert "**PASS**" in report.splitlines()[2], report[:500]
    for plot in figures["plots"]:
        assert (folder / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", plot
        assert f"]({plot})" in report
    return figures


def test_short_load_drill_passes_its_criteria(bin_dir, stack_env, tmp_path):
    result, reports = run_drill(bin_dir, tmp_path, "load", "--minutes", "1")
    output = result.stdout + result.stderr
    assert len(reports) == 1, output
    figures = assert_report(reports[0], "load", {
        "the rate was delivered", "processor lag stays bounded", "archiver lag stays bounded",
        "archiver committed lag stays bounded", "no dead letters for valid input",
        "everything processed and archived at the end", "the audit is exact"}, output)
    assert result.returncode == 0, output
    # CPU and memory of every component and of the broker, from Prometheus.
    assert {"simulator", "processor", "archiver", "broker"} <= set(figures["cpu"]), figures["cpu"]
    assert all(cores is not None and cores > 0 for cores, _ in figures["cpu"].values()), figures["cpu"]


def test_short_cut_drill_holds_the_backlog_and_catches_up(bin_dir, stack_env, tmp_path):
    if os.geteuid() != 0:
        pytest.fail("the cut drill needs root to create a network namespace")
    result, reports = run_drill(bin_dir, tmp_path, "cut", "--cut-minutes", "1", "--cut-after-minutes", "0.25",
                                "--minutes", "1.5")
    output = result.stdout + result.stderr
    assert len(reports) == 1, output
    figures = assert_report(reports[0], "cut", {
        "the cut was real: uploads failed and the backlog stayed in Kafka",
        "Kafka held the backlog: nothing dropped by retention or the spool limit",
        "catch-up finished in time", "the audit is exact", "no dead letters for valid input"}, output)
    assert result.returncode == 0, output
    assert figures["figures"]["catch-up time (s)"]


def test_scale_drill_without_a_cluster_says_what_it_needs(tmp_path):
    sys.path.insert(0, str(REPO / "scripts"))
    import drill
    if drill.cluster_ready()[0]:
        pytest.skip("the local Kubernetes cluster with KEDA is up: this checks the message without one")
    result = subprocess.run([sys.executable, str(DRILL), "scale", "--reports", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "scripts/cluster.sh up" in result.stderr
