"""Draws the KEDA scaling timeline that tests/cluster/test_chart.py records
(var/log/cluster-keda-timeline.csv): the processor's and the archiver's
replicas against the raw-data rate and KEDA's two metrics (rate and lag per
replica, as their HPAs saw them), with the test's events marked.

Usage: var/venv/bin/python deploy/monitoring/render_keda_timeline.py \
           [--input var/log/cluster-keda-timeline.csv] --output docs/images/keda-scaling.svg
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first


def number(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", default="var/log/cluster-keda-timeline.csv")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    with open(args.input, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise SystemExit(f"{args.input} holds no samples")
    t = [float(row["t"]) for row in rows]

    def series(name):
        return [number(row.get(name, "")) for row in rows]

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True,
                                         gridspec_kw={"height_ratios": [2, 1.3]})
    top.step(t, series("processor_replicas"), where="post", label="processor replicas (desired)", color="C0")
    top.step(t, series("processor_ready"), where="post", label="processor replicas (ready)", color="C0",
             linestyle=":")
    top.step(t, series("archiver_replicas"), where="post", label="archiver replicas", color="C2",
             linestyle="--")
    top.set_ylabel("replicas")
    top.set_ylim(0, 3.6)
    top.set_yticks([0, 1, 2, 3])
    top.legend(loc="upper left", fontsize=8)
    rate_axis = top.twinx()
    rate_axis.plot(t, series("raw_rate"), color="C3", label="raw-data rate (msg/s, Prometheus, 1 m)")
    rate_axis.axhline(400, color="C3", linestyle=":", linewidth=0.8)
    rate_axis.axhline(800, color="C3", linestyle=":", linewidth=0.8)
    rate_axis.set_ylabel("msg/s")
    rate_axis.legend(loc="upper right", fontsize=8)

    bottom.plot(t, series("keda_rate_per_replica"), label="processor: KEDA rate metric per replica (threshold 400)",
                color="C3")
    bottom.plot(t, series("keda_lag_per_replica"), label="processor: KEDA lag metric per replica (threshold 5000)",
                color="C1")
    bottom.plot(t, series("archiver_keda_lag_per_replica"),
                label="archiver: KEDA lag metric per replica (threshold 5000)", color="C2", linestyle="--")
    bottom.set_ylabel("per replica")
    bottom.set_xlabel("seconds since the chart was Ready")
    bottom.legend(loc="upper right", fontsize=8)
    for row in rows:
        if row.get("event") and not row["event"].startswith("sample failed"):
            for axis in (top, bottom):
                axis.axvline(float(row["t"]), color="grey", linewidth=0.6)
            top.annotate(row["event"], (float(row["t"]), 3.5), rotation=90, fontsize=6, va="top",
                         ha="right", color="dimgrey")
    figure.suptitle("KEDA scaling the processor on the local cluster (tests/cluster/test_chart.py)")
    figure.tight_layout()
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
