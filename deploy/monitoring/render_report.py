#!/usr/bin/env python3
"""Renders the golden signals from Prometheus as one PNG.

Four panels — latency, traffic, errors, saturation — over the last --minutes,
drawn from the queries of the golden-signals dashboard (the same PromQL, so
the picture and the dashboard cannot disagree). Series that returned no data
are listed under their panel rather than silently left out.

    render_report.py --prometheus http://127.0.0.1:19090 --minutes 30 --output golden-signals.png
"""
from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import queries as q  # noqa: E402
from live_check import Prometheus, PrometheusError, PrometheusUnreachable  # noqa: E402

# Which dashboard panels each signal draws, with the short name that prefixes
# their legends: panels sharing one unit, so that one y axis serves them all;
# the second list goes on a right-hand axis.
SIGNALS = [
    ("Latency", "seconds (log)",
     [("Produce latency (simulator to broker acknowledgement)", "produce"),
      ("Delivery latency through the processor", "processor"),
      ("Event-to-S3 freshness", "S3"),
      ("API server request duration p99", "API server")], [], None),
    ("Traffic", "per second",
     [("Messages in per topic (broker)", "broker in"),
      ("Records through the pipeline", "components")], [], None),
    ("Errors", "per second",
     [("Dead-lettered and rejected records", "processor"),
      ("Failed deliveries and aborted transactions", "delivery"),
      ("Upload errors and retries", "upload")],
     [("Pod restarts (last hour)", "restarts")], "restarts in the last hour"),
    ("Saturation", "share (0-1)",
     [("CPU busy by node", "CPU busy"), ("Memory used by node", "memory used"),
      ("Free file-system space", "disk free"), ("Archiver spool use", "spool used")],
     [("Consumer lag", "lag")], "lag (records)"),
]


@dataclass
class Line:
    label: str
    times: list[dt.datetime]
    values: list[float]


@dataclass
class Signal:
    title: str
    left: list[Line] = field(default_factory=list)
    right: list[Line] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


_LEGEND_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def legend(template: str, labels: dict[str, str], fallback: str) -> str:
    """Grafana's legendFormat: {{label}} replaced by the series' label value."""
    if not template:
        return fallback
    return _LEGEND_VARIABLE.sub(lambda m: labels.get(m.group(1), ""), template).strip() or fallback


def panels_by_title(dashboard: dict) -> dict[str, dict]:
    return {p["title"]: p for p in q.all_panels(dashboard) if p.get("type") != "row"}


def collect(prometheus: Prometheus, dashboard: dict, minutes: float, step: float, rate_interval: str) -> list[Signal]:
    end = dt.datetime.now(dt.timezone.utc).timestamp()
    start = end - minutes * 60
    values = q.variable_values(dashboard)
    builtins = {"__rate_interval": rate_interval, "__interval": f"{int(step)}s", "__range": f"{int(minutes * 60)}s"}
    panels = panels_by_title(dashboard)
    signals = []
    for title, _, left_titles, right_titles, _ in SIGNALS:
        signal = Signal(title)
        for side, titles in ((signal.left, left_titles), (signal.right, right_titles)):
            for panel_title, short in titles:
                panel = panels[panel_title]
                for t in panel["targets"]:
                    expr = q.substitute(t["expr"], values, builtins)
                    template = _LEGEND_VARIABLE.sub(r"<\1>", t.get("legendFormat") or t["refId"])
                    name = f"{short}: {template}"
                    try:
                        result = prometheus.range(expr, start, end, step)
                    except PrometheusError as e:
                        signal.missing.append(f"{name}: {e}")
                        continue
                    drawn = 0
                    for series in result:
                        points = [(float(ts), float(v)) for ts, v in series["values"] if not math.isnan(float(v))]
                        if not points:
                            continue
                        side.append(Line(
                            f"{short}: " + legend(t.get("legendFormat", ""), series["metric"], t["refId"]),
                            [dt.datetime.fromtimestamp(ts, dt.timezone.utc) for ts, _ in points],
                            [v for _, v in points]))
                        drawn += 1
                    if drawn == 0:
                        signal.missing.append(name)
        signals.append(signal)
    return signals


def render(signals: list[Signal], output: Path, title: str, start: dt.datetime, end: dt.datetime) -> None:
    import matplotlib
    matplotlib.use("Agg")  # headless: no display needed
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(16, 10), constrained_layout=True)
    fig.suptitle(title, fontsize=14)
    for ax, signal, (_, left_unit, _, _, right_unit) in zip(axes.flat, signals, SIGNALS):
        ax.set_title(signal.title, fontsize=12, loc="left")
        ax.set_ylabel(left_unit)
        for line in signal.left:
            ax.plot(line.times, line.values, label=line.label, linewidth=1.2)
        if signal.title == "Latency" and any(v > 0 for line in signal.left for v in line.values):
            ax.set_yscale("log")
        handles, labels = ax.get_legend_handles_labels()
        if signal.right:
            twin = ax.twinx()
            twin.set_ylabel(right_unit)
            for line in signal.right:
                twin.plot(line.times, line.values, label=line.label, linewidth=1.2, linestyle="--")
            h2, l2 = twin.get_legend_handles_labels()
            handles, labels = handles + h2, labels + l2
        if handles:
            ax.legend(handles, labels, fontsize=7, loc="upper left", ncol=2)
        ax.set_xlim(start, end)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=dt.timezone.utc))
        ax.set_xlabel("time (UTC)")
        ax.grid(True, alpha=0.3)
        if signal.missing:
            shown = signal.missing[:6]
            more = f"\n... and {len(signal.missing) - 6} more" if len(signal.missing) > 6 else ""
            ax.text(0.01, 0.01, "no data: " + "\n".join(shown) + more, transform=ax.transAxes,
                    fontsize=6, color="dimgray", va="bottom")
        if not signal.left and not signal.right:
            ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", color="gray")
    fig.savefig(output, dpi=100)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prometheus", default=os.environ.get("PROMETHEUS_URL"),
                        help="Prometheus base URL (default: $PROMETHEUS_URL)")
    parser.add_argument("--minutes", type=float, default=30, help="time range to draw (default 30)")
    parser.add_argument("--rate-interval", default="1m", help="value of $__rate_interval (default 1m)")
    parser.add_argument("--output", type=Path, default=Path("golden-signals.png"), help="PNG to write")
    parser.add_argument("--dashboard", type=Path, default=q.DASHBOARD_DIR / "golden-signals.json")
    args = parser.parse_args()
    if not args.prometheus:
        parser.error("no Prometheus: pass --prometheus or set PROMETHEUS_URL (source var/edgestream.env)")

    import json
    dashboard = json.loads(args.dashboard.read_text(encoding="utf-8"))
    step = max(2.0, args.minutes * 60 / 300)  # about 300 points per line
    prometheus = Prometheus(args.prometheus)
    try:
        prometheus.ready()
        signals = collect(prometheus, dashboard, args.minutes, step, args.rate_interval)
    except PrometheusUnreachable as e:
        print(f"render_report: {e}", file=sys.stderr)
        return 2
    end = dt.datetime.now(dt.timezone.utc)
    start = end - dt.timedelta(minutes=args.minutes)
    render(signals, args.output,
           f"edgestream golden signals, last {args.minutes:g} minutes to {end:%Y-%m-%d %H:%M} UTC", start, end)
    drawn = sum(len(s.left) + len(s.right) for s in signals)
    missing = sum(len(s.missing) for s in signals)
    print(f"render_report: wrote {args.output} ({drawn} series drawn, {missing} queries without data)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
