#!/usr/bin/env python3
"""Runs every dashboard query against a real Prometheus and requires data.

Each query of every dashboard in dashboards/ (Grafana variables set to "all",
$__rate_interval to --rate-interval, $__range to the window) runs as a range
query over the last --minutes (instant queries at the end of the window). A
query is "local" when all its metrics come from sources the local stack also
runs (edgestream_*, node_*, kafka_*), else "cluster-only".

Exit status 0 when every local query returned at least one sample that is not
NaN and no query was rejected; 1 otherwise; 2 when Prometheus cannot be
reached. Cluster-only queries must have data too with --require-cluster
(pointing at the cluster's Prometheus).

    live_check.py --prometheus http://127.0.0.1:19090
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import queries as q  # noqa: E402


class PrometheusError(Exception):
    """Prometheus answered with an error (bad query, timeout): the query's fault."""


class PrometheusUnreachable(Exception):
    """No answer at all: the check cannot run."""


@dataclass
class Outcome:
    query: q.Query
    dashboard_file: str
    expr: str          # as sent
    kind: str          # "local" | "cluster-only"
    series: int = 0    # series returned
    samples: int = 0   # non-NaN samples
    error: str = ""

    @property
    def has_data(self) -> bool:
        return self.samples > 0 and not self.error

    def status(self, require_cluster: bool) -> str:
        if self.error:
            return "ERROR"
        if self.has_data:
            return "ok"
        if self.kind == "local" or require_cluster:
            return "NO DATA"
        return "skipped"

    def passed(self, require_cluster: bool) -> bool:
        return self.status(require_cluster) in ("ok", "skipped")


class Prometheus:
    def __init__(self, url: str, timeout: float = 30):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _get(self, path: str, params: dict) -> list:
        url = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                body = json.load(response)
        except urllib.error.HTTPError as e:
            # 400/422: the query is wrong; Prometheus says why in the body.
            try:
                body = json.load(e)
            except ValueError:
                raise PrometheusUnreachable(f"GET {url}: HTTP {e.code} {e.reason}") from e
            raise PrometheusError(f"{body.get('errorType', e.code)}: {body.get('error', e.reason)}") from e
        except (OSError, ValueError) as e:
            raise PrometheusUnreachable(f"GET {url}: {e}; is Prometheus running there (scripts/stack.sh start)?") from e
        if body.get("status") != "success":
            raise PrometheusError(f"{body.get('errorType')}: {body.get('error')}")
        return body["data"]["result"]

    def range(self, expr: str, start: float, end: float, step: float) -> list:
        return self._get("/api/v1/query_range", {"query": expr, "start": start, "end": end, "step": step})

    def instant(self, expr: str, at: float) -> list:
        return self._get("/api/v1/query", {"query": expr, "time": at})

    def ready(self) -> None:
        self.instant("vector(1)", time.time())


def count_samples(result: list) -> int:
    n = 0
    for series in result:
        values = series.get("values") or ([series["value"]] if "value" in series else [])
        n += sum(1 for _, v in values if not math.isnan(float(v)))
    return n


def run(prometheus: Prometheus, dashboards: dict[str, dict], minutes: float, step: float,
        rate_interval: str) -> list[Outcome]:
    end = time.time()
    start = end - minutes * 60
    builtins = {"__rate_interval": rate_interval, "__interval": f"{int(step)}s", "__range": f"{int(minutes * 60)}s"}
    outcomes = []
    for file_name, dashboard in dashboards.items():
        values = q.variable_values(dashboard)
        for query in q.dashboard_queries(dashboard):
            expr = q.substitute(query.expr, values, builtins)
            outcome = Outcome(query, file_name, expr, q.classify(q.metric_names(expr)))
            try:
                result = prometheus.instant(expr, end) if query.instant else prometheus.range(expr, start, end, step)
                outcome.series = len(result)
                outcome.samples = count_samples(result)
            except PrometheusError as e:
                outcome.error = str(e)
            outcomes.append(outcome)
    return outcomes


def table(outcomes: list[Outcome], require_cluster: bool, width: int = 110) -> str:
    rows = [("status", "class", "series", "samples", "dashboard / panel", "query")]
    for o in outcomes:
        where = f"{o.query.dashboard} #{o.query.panel_id} {o.query.panel} [{o.query.ref_id}]"
        text = o.error or o.expr
        rows.append((o.status(require_cluster), o.kind, str(o.series), str(o.samples), where,
                     text if len(text) <= width else text[: width - 3] + "..."))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for r in rows:
        lines.append("  ".join(r[i].ljust(widths[i]) for i in range(5)) + "  " + r[5])
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prometheus", default=os.environ.get("PROMETHEUS_URL"),
                        help="Prometheus base URL (default: $PROMETHEUS_URL)")
    parser.add_argument("--minutes", type=float, default=5, help="window to look for data in (default 5)")
    parser.add_argument("--step", type=float, default=15, help="range-query step in seconds (default 15)")
    parser.add_argument("--rate-interval", default="1m",
                        help="value of $__rate_interval; at least 4 scrape intervals (default 1m)")
    parser.add_argument("--require-cluster", action="store_true",
                        help="also require data for cluster-only queries (against the cluster's Prometheus)")
    parser.add_argument("--dashboards", type=Path, default=q.DASHBOARD_DIR, help="folder of dashboard JSON")
    parser.add_argument("--json", type=Path, help="also write the outcomes as JSON to this file")
    args = parser.parse_args()
    if not args.prometheus:
        parser.error("no Prometheus: pass --prometheus or set PROMETHEUS_URL (source var/edgestream.env)")

    prometheus = Prometheus(args.prometheus)
    try:
        prometheus.ready()
        outcomes = run(prometheus, q.load_dashboards(args.dashboards), args.minutes, args.step, args.rate_interval)
    except PrometheusUnreachable as e:
        print(f"live_check: {e}", file=sys.stderr)
        return 2
    print(table(outcomes, args.require_cluster))
    failed = [o for o in outcomes if not o.passed(args.require_cluster)]
    local = [o for o in outcomes if o.kind == "local"]
    print(f"\n{len(outcomes)} queries: {len(local)} local, {len(outcomes) - len(local)} cluster-only; "
          f"{sum(o.has_data for o in outcomes)} with data; {len(failed)} failed")
    if args.json:
        args.json.write_text(json.dumps([
            {"dashboard": o.query.dashboard, "panel_id": o.query.panel_id, "panel": o.query.panel,
             "ref_id": o.query.ref_id, "expr": o.expr, "class": o.kind, "series": o.series,
             "samples": o.samples, "error": o.error, "status": o.status(args.require_cluster)}
            for o in outcomes], indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
