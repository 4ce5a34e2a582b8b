"""The PromQL of edgestream's dashboards: extraction, variable substitution,
metric names, and local/cluster-only classification.

Shared by live_check.py, render_report.py and the static checks in
tests/monitoring. Standard library only, so the live check runs anywhere a
Python 3 is.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

MONITORING_DIR = Path(__file__).resolve().parent
DASHBOARD_DIR = MONITORING_DIR / "dashboards"
RULE_DIR = MONITORING_DIR / "rules"

# Values for Grafana's built-in interval variables when a query runs outside
# Grafana. 5m covers at least two scrapes at any interval up to 2.5 minutes.
DEFAULT_BUILTINS = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}

# Prefixes of series the local stack (scripts/stack.sh) also produces: the
# components, the node exporter, the broker's JMX exporter and kafka_exporter.
# Everything else (API server, kube-state-metrics, cAdvisor's container_*)
# exists only on a Kubernetes cluster.
LOCAL_PREFIXES = ("edgestream_", "node_", "kafka_")


@dataclass(frozen=True)
class Query:
    dashboard: str   # dashboard uid
    panel_id: int
    panel: str       # panel title, or "variable <name>"
    ref_id: str
    expr: str        # as written, Grafana variables unsubstituted
    instant: bool = False

    @property
    def where(self) -> str:
        return f"{self.dashboard} panel {self.panel_id} '{self.panel}' {self.ref_id}"


def load_dashboards(directory: Path = DASHBOARD_DIR) -> dict[str, dict]:
    """Every *.json in `directory`, by file name."""
    return {path.name: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(directory.glob("*.json"))}


def all_panels(dashboard: dict) -> list[dict]:
    """Panels in order, including those nested in collapsed rows."""
    out = []
    for panel in dashboard.get("panels", []):
        out.append(panel)
        out.extend(panel.get("panels", []))
    return out


_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?P<selector>.*),\s*(?P<label>[a-zA-Z_]\w*)\s*\)\s*$", re.S)
_QUERY_RESULT = re.compile(r"^\s*query_result\((?P<expr>.*)\)\s*$", re.S)


def variable_expression(variable: dict) -> str | None:
    """The PromQL inside a query variable (label_values / query_result), if any."""
    if variable.get("type") != "query":
        return None
    query = variable.get("query")
    if isinstance(query, dict):
        query = query.get("query", "")
    if not query:
        return None
    m = _LABEL_VALUES.match(query)
    if m:
        return m.group("selector")
    m = _QUERY_RESULT.match(query)
    if m:
        return m.group("expr")
    return None


def dashboard_queries(dashboard: dict) -> list[Query]:
    uid = dashboard.get("uid", "?")
    queries = []
    for panel in all_panels(dashboard):
        for t in panel.get("targets", []):
            if "expr" in t:
                queries.append(Query(uid, panel.get("id", -1), panel.get("title", ""), t.get("refId", "?"),
                                     t["expr"], bool(t.get("instant")) and not t.get("range", False)))
    for variable in dashboard.get("templating", {}).get("list", []):
        expr = variable_expression(variable)
        if expr is not None:
            queries.append(Query(uid, 0, f"variable {variable['name']}", "var", expr, True))
    return queries


def variable_values(dashboard: dict) -> dict[str, str]:
    """What each dashboard variable stands for when "all" is selected."""
    values = {}
    for variable in dashboard.get("templating", {}).get("list", []):
        name = variable["name"]
        if variable.get("type") == "datasource":
            continue
        if variable.get("includeAll"):
            values[name] = variable.get("allValue") or ".*"
        else:
            values[name] = variable.get("current", {}).get("value", ".*")
    return values


_VARIABLE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)(?::[^\]]*)?\]\]")


def variable_references(expr: str) -> set[str]:
    return {next(g for g in m.groups() if g) for m in _VARIABLE.finditer(expr)}


def substitute(expr: str, values: dict[str, str], builtins: dict[str, str] | None = None) -> str:
    """Replaces Grafana variables; KeyError names an undefined one."""
    table = dict(DEFAULT_BUILTINS)
    table.update(builtins or {})
    table.update(values)

    def replace(m: re.Match) -> str:
        name = next(g for g in m.groups() if g)
        if name not in table:
            raise KeyError(f"undefined Grafana variable ${name} in {expr!r}")
        return table[name]

    return _VARIABLE.sub(replace, expr)


# --- metric names -------------------------------------------------------------

_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
             "unless", "offset", "inf", "nan"}
_STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
_CLAUSE = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![\w.:])([a-zA-Z_:][\w:]*)")


def metric_names(expr: str) -> set[str]:
    """Metric names an expression selects: identifiers that are not functions,
    keywords, label names (inside {} or by/on/... clauses), durations or
    numbers. Selection by {__name__=...} is not understood and raises."""
    if "__name__" in expr:
        raise ValueError(f"{expr!r}: selecting by __name__ is not supported; name the metrics")
    s = _STRING.sub('""', expr)
    s = re.sub(r"\{[^}]*\}", "{}", s)          # label matchers
    s = re.sub(r"\[[^\]]*\]", "[]", s)         # ranges and subqueries
    s = _CLAUSE.sub(" ", s)
    s = re.sub(r"\boffset\s+-?\w+", " ", s)    # offset durations
    names = set()
    for m in _IDENTIFIER.finditer(s):
        name = m.group(1)
        following = s[m.end():].lstrip()
        if following.startswith("(") or name.lower() in _KEYWORDS:
            continue
        names.add(name)
    return names


_HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def family(name: str, histograms: set[str]) -> str:
    """The metric family a series name belongs to (x_bucket -> x for histogram x)."""
    for suffix in _HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in histograms:
            return name[: -len(suffix)]
    return name


def classify(names: set[str]) -> str:
    """"local" when the local stack produces every metric, else "cluster-only"."""
    return "local" if names and all(n.startswith(LOCAL_PREFIXES) for n in names) else "cluster-only"


# --- docs/metrics.md -----------------------------------------------------------

_TABLE_ROW = re.compile(r"^\|\s*`(?P<name>edgestream_\w+)`\s*\|\s*(?P<type>\w+)\s*\|\s*(?P<labels>[^|]*)\|")


def documented_metrics(metrics_md: Path) -> dict[str, dict]:
    """edgestream metrics from docs/metrics.md's table: name -> {type, labels}."""
    out = {}
    for line in metrics_md.read_text(encoding="utf-8").splitlines():
        m = _TABLE_ROW.match(line)
        if m:
            # "`type` (`reading`, `aggregate`)": label names outside the
            # parentheses, their values inside.
            labels = set(re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", m.group("labels"))))
            out[m.group("name")] = {"type": m.group("type"), "labels": labels}
    return out
