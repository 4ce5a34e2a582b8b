#!/usr/bin/env python3
"""Renders the golden signals from Prometheus as one PNG.

Four panels — latency, traffic, errors, saturation — over the last --minutes,
drawn from the queries of the golden-signals dashboard (the same PromQL, so
the picture and the dashboard cannot disagree). Series that returned no data
are listed under their panel rather than silently left out. Drawn to be read
at a glance (plotting.py): legends outside the plots, at most a handful of
series per panel, only consumer groups that had members in the range, gaps
where there were no samples.

    render_report.py --prometheus http://127.0.0.1:19090 --minutes 30 --output golden-signals.png
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plotting  # noqa: E402
import queries as q  # noqa: E402
from plotting import Line, lines_from_range  # noqa: E402
from live_check import Prometheus, PrometheusError, PrometheusUnreachable  # noqa: E402

# Which dashboard panels each signal draws, with the short name that prefixes
# their legends: panels sharing one unit, so that one y axis serves them all;
# the second list goes on a right-hand axis. `additive` says whether the
# series left out of a crowded panel may be summed into one "other" line
# (rates and lag: yes; latencies and shares: no, they are only counted).
SIGNALS = [
    ("Latency", "seconds (log scale)",
     [("Produce latency (simulator to broker acknowledgement)", "produce"),
      ("Delivery latency through the processor", "processor"),
      ("Event-to-S3 freshness", "S3"),
      ("API server request duration p99", "API server")], [], None),
    ("Traffic", "records or messages per second",
     [("Messages in per topic (broker)", "broker in"),
      ("Records through the pipeline", "components")], [], None),
    ("Errors", "records or operations per second",
     [("Dead-lettered and rejected records", "processor"),
      ("Failed deliveries and aborted transactions", "delivery"),
      ("Upload errors and retries", "upload")],
     [("Pod restarts (last hour)", "restarts")], "restarts in the last hour"),
    ("Saturation", "share of capacity (0-1)",
     [("CPU busy by node", "CPU busy"), ("Memory used by node", "memory used"),
      ("Free file-system space", "disk free"), ("Archiver spool use", "spool used")],
     [("Consumer lag", "lag")], "consumer lag (records)"),
]
ADDITIVE = {"Latency": False, "Traffic": True, "Errors": True, "Saturation": False}


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


def live_groups(prometheus: Prometheus, start: float, end: float) -> set[str] | None:
    """Consumer groups that had at least one member at some time in the
    range; groups of finished runs (kafka_exporter lists them until they are
    deleted) are not. None when the exporter's member count is unavailable."""
    expr = f"max by (consumergroup) (max_over_time(kafka_consumergroup_members[{max(1, int(end - start))}s])) > 0"
    try:
        return {series["metric"].get("consumergroup", "") for series in prometheus.instant(expr, end)}
    except PrometheusError:
        return None


def collect(prometheus: Prometheus, dashboard: dict, minutes: float, step: float, rate_interval: str) -> list[Signal]:
    end = dt.datetime.now(dt.timezone.utc).timestamp()
    start = end - minutes * 60
    values = q.variable_values(dashboard)
    builtins = {"__rate_interval": rate_interval, "__interval": f"{int(step)}s", "__range": f"{int(minutes * 60)}s"}
    panels = panels_by_title(dashboard)
    groups = live_groups(prometheus, start, end)
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
                    if groups is not None:
                        result = [r for r in result if r["metric"].get("consumergroup", "") in groups
                                  or "consumergroup" not in r["metric"]]
                    lines = lines_from_range(result, lambda labels, t=t: f"{short}: " + legend(
                        t.get("legendFormat", ""), labels, t["refId"]))
                    side.extend(lines)
                    if not lines:
                        signal.missing.append(name)
        signals.append(signal)
    return signals


def render(signals: list[Signal], output: Path, title: str, start: dt.datetime, end: dt.datetime,
           step: float = 10) -> None:
    fig, axes = plotting.figure(2, 2, title, height_per_row=5, width=18)
    for ax, signal, (_, left_unit, _, _, right_unit) in zip(axes.flat, signals, SIGNALS):
        plotting.draw_panel(ax, signal.left, title=signal.title, unit=left_unit, step=step,
                            start=start.timestamp(), end=end.timestamp(), log=signal.title == "Latency",
                            additive=ADDITIVE[signal.title], right=signal.right, right_unit=right_unit or "")
        if signal.missing:
            shown = signal.missing[:4]
            more = f" and {len(signal.missing) - 4} more" if len(signal.missing) > 4 else ""
            ax.text(0.0, -0.22, "no data: " + "; ".join(shown) + more, transform=ax.transAxes,
                    fontsize=6, color="dimgray", va="top", wrap=True)
    plotting.save(fig, output)


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
           f"edgestream golden signals, last {args.minutes:g} minutes to {end:%Y-%m-%d %H:%M} UTC", start, end, step)
    drawn = sum(len(s.left) + len(s.right) for s in signals)
    missing = sum(len(s.missing) for s in signals)
    print(f"render_report: wrote {args.output} ({drawn} series drawn, {missing} queries without data)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
