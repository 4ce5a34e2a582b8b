"""Static checks of deploy/monitoring: dashboards, alert rules, their unit
tests, and the metric-name contract (docs/metrics.md plus
external_metrics.yaml). No running stack needed; promtool must be installed.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
MONITORING = REPO / "deploy" / "monitoring"
sys.path.insert(0, str(MONITORING))
import queries as q  # noqa: E402

METRICS_MD = REPO / "docs" / "metrics.md"
MONITORING_MD = REPO / "docs" / "monitoring.md"
CATALOG = Path(__file__).resolve().parent / "external_metrics.yaml"
PROMTOOL = os.environ.get("PROMTOOL") or shutil.which("promtool")
TARGET_LABELS = {"job", "instance"}  # added by Prometheus to every scraped series
SEVERITIES = {"critical", "warning", "info"}


# --- inputs --------------------------------------------------------------------

DASHBOARDS = q.load_dashboards()


def rule_files() -> list[Path]:
    return sorted(q.RULE_DIR.glob("*.yaml"))


def alert_rules() -> list[dict]:
    rules = []
    for path in rule_files():
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules.extend(r for r in group["rules"] if "alert" in r)
    return rules


def catalog() -> dict:
    return yaml.safe_load(CATALOG.read_text())["sources"]


def external_metrics() -> dict[str, tuple[str, str, bool]]:
    """name -> (source, type, local)"""
    out = {}
    for source, spec in catalog().items():
        for name, kind in spec["metrics"].items():
            out[name] = (source, kind, spec["local"])
    return out


def known_histograms() -> set[str]:
    hist = {n for n, m in q.documented_metrics(METRICS_MD).items() if m["type"] == "histogram"}
    hist |= {n for n, (_, kind, _) in external_metrics().items() if kind == "histogram"}
    return hist


def all_expressions() -> list[tuple[str, str]]:
    """(where, expression with Grafana variables substituted) for every
    dashboard query, variable query and alert rule."""
    out = []
    for name, dashboard in DASHBOARDS.items():
        values = q.variable_values(dashboard)
        for query in q.dashboard_queries(dashboard):
            out.append((f"{name}: {query.where}", q.substitute(query.expr, values)))
    for rule in alert_rules():
        out.append((f"alert {rule['alert']}", rule["expr"]))
    return out


def promtool_check_expressions(expressions: list[str]) -> subprocess.CompletedProcess:
    """promtool 2.42 has no `promql` subcommand, so each expression becomes a
    recording rule and `promtool check rules` parses it."""
    assert PROMTOOL, "promtool not found; install it with scripts/install-deps.sh"
    rules = {"groups": [{"name": "dashboard_expressions",
                         "rules": [{"record": f"check:expression_{i}", "expr": e}
                                   for i, e in enumerate(expressions)]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(rules, f)
        path = f.name
    try:
        return subprocess.run([PROMTOOL, "check", "rules", path], capture_output=True, text=True)
    finally:
        os.unlink(path)


# --- the metric-name extractor itself -------------------------------------------

@pytest.mark.parametrize("expr, names", [
    ('histogram_quantile(0.99, sum by (le, verb) (rate(apiserver_request_duration_seconds_bucket{verb!~"WATCH|CONNECT"}[5m])))',
     {"apiserver_request_duration_seconds_bucket"}),
    ('sum(rate(a_total{x="by (y)"}[5m])) by (job) / on (job) group_left(instance) b_total offset 5m',
     {"a_total", "b_total"}),
    ('label_replace(up, "node_type", "edge", "compute_type", "hybrid") > 1e3 and bool_metric',
     {"up", "bool_metric"}),
    ('max_over_time(deriv(lag_records[10m:1m])[1h:]) * -Inf', {"lag_records"}),
    ('node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.10', {"node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes"}),
])
def test_metric_names_extracts_selected_metrics_only(expr, names):
    assert q.metric_names(expr) == names


def test_metric_names_refuses_name_matchers():
    with pytest.raises(ValueError):
        q.metric_names('{__name__=~"edgestream_.*"}')


def test_promtool_check_rejects_a_broken_expression():
    # The parse check below relies on promtool failing on bad PromQL.
    result = promtool_check_expressions(["sum(rate(x_total[5m])"])
    assert result.returncode != 0, result.stdout + result.stderr


def test_substitute_replaces_variables_and_rejects_unknown_ones():
    assert q.substitute('rate(x{a=~"$a", b=~"${b}"}[$__rate_interval])', {"a": ".*", "b": "y"}) == \
        'rate(x{a=~".*", b=~"y"}[5m])'
    with pytest.raises(KeyError):
        q.substitute("x{a=~\"$missing\"}", {})


# --- dashboards ------------------------------------------------------------------

def test_dashboards_exist():
    assert set(DASHBOARDS) == {"golden-signals.json", "kafka.json", "apiserver.json"}


def test_dashboard_json_matches_its_generator():
    result = subprocess.run([sys.executable, str(MONITORING / "dashboards" / "build_dashboards.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_dashboard_is_provisionable(name):
    dashboard = DASHBOARDS[name]
    assert dashboard.get("uid") and dashboard.get("title")
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables.get("datasource", {}).get("type") == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    panels = q.all_panels(dashboard)
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), f"duplicate panel ids in {name}: {sorted(ids)}"
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel.get("description"), f"panel '{panel['title']}' has no description"
        assert panel["targets"], f"panel '{panel['title']}' has no query"
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]
        for t in panel["targets"]:
            assert t["datasource"]["uid"] == "${datasource}", panel["title"]
            assert t["expr"].strip(), panel["title"]


def test_dashboard_uids_are_unique():
    uids = [d["uid"] for d in DASHBOARDS.values()]
    assert len(uids) == len(set(uids))


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_dashboard_panels_do_not_overlap(name):
    boxes = []
    for panel in DASHBOARDS[name]["panels"]:
        g = panel["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24, panel["title"]
        for other_title, o in boxes:
            overlap = (g["x"] < o["x"] + o["w"] and o["x"] < g["x"] + g["w"]
                       and g["y"] < o["y"] + o["h"] and o["y"] < g["y"] + g["h"])
            assert not overlap, f"'{panel['title']}' overlaps '{other_title}'"
        boxes.append((panel["title"], g))


def test_golden_signals_covers_the_four_signals():
    rows = [p["title"] for p in DASHBOARDS["golden-signals.json"]["panels"] if p["type"] == "row"]
    assert rows == ["Latency", "Traffic", "Errors", "Saturation"]


def test_golden_signals_uses_the_metrics_the_issue_names():
    used = set()
    for query in q.dashboard_queries(DASHBOARDS["golden-signals.json"]):
        used |= q.metric_names(query.expr)
    for name in ["apiserver_request_duration_seconds_bucket", "kube_pod_container_status_restarts_total",
                 "node_cpu_seconds_total", "node_memory_MemAvailable_bytes", "node_disk_read_bytes_total",
                 "node_disk_written_bytes_total", "node_filesystem_avail_bytes"]:
        assert name in used, name


def test_node_panels_tell_edge_and_cloud_apart():
    for query in q.dashboard_queries(DASHBOARDS["golden-signals.json"]):
        if any(n.startswith("node_") for n in q.metric_names(query.expr)):
            assert '"node_type", "edge"' in query.expr and '"node_type", "cloud"' in query.expr, query.where
            assert "${node_type}" in query.expr, query.where


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_dashboard_variable_reference_is_defined(name):
    dashboard = DASHBOARDS[name]
    values = q.variable_values(dashboard)
    for query in q.dashboard_queries(dashboard):
        q.substitute(query.expr, values)  # raises KeyError on an undefined variable


# --- every expression parses -------------------------------------------------------

def test_every_dashboard_and_rule_expression_parses():
    expressions = all_expressions()
    result = promtool_check_expressions([e for _, e in expressions])
    if result.returncode != 0:
        index = {f"check:expression_{i}": f"{where}: {e}" for i, (where, e) in enumerate(expressions)}
        culprits = [text for record, text in index.items() if re.search(rf"\b{record}\b", result.stdout + result.stderr)]
        pytest.fail(f"promtool rejected expressions:\n{result.stdout}{result.stderr}\n" + "\n".join(culprits))


# --- metric names exist -------------------------------------------------------------

def test_every_metric_used_is_documented_or_external():
    documented = q.documented_metrics(METRICS_MD)
    external = external_metrics()
    histograms = known_histograms()
    unknown = []
    for where, expr in all_expressions():
        names = q.metric_names(expr)
        assert names, f"{where}: no metric in {expr!r}"
        for name in names:
            base = q.family(name, histograms)
            if base not in documented and base not in external:
                unknown.append(f"{where}: {name}")
    assert not unknown, "metrics in neither docs/metrics.md nor external_metrics.yaml:\n" + "\n".join(unknown)


def test_histogram_series_are_only_used_on_histograms():
    # x_bucket on a metric that is not a histogram would select nothing.
    histograms = known_histograms()
    for where, expr in all_expressions():
        for name in q.metric_names(expr):
            if name.endswith("_bucket"):
                assert name[: -len("_bucket")] in histograms, f"{where}: {name}"


def test_external_catalog_entries_are_used_and_classified_consistently():
    used = set()
    histograms = known_histograms()
    for _, expr in all_expressions():
        used |= {q.family(n, histograms) for n in q.metric_names(expr)}
    for name, (source, _, local) in external_metrics().items():
        assert name in used, f"{name} ({source}) is listed but no dashboard or rule uses it"
        assert not name.startswith("edgestream_"), f"{name}: edgestream metrics belong in docs/metrics.md"
        assert q.classify({name}) == ("local" if local else "cluster-only"), \
            f"{name}: local={local} in the catalog but the live check classifies it otherwise"


def test_edgestream_metric_names_follow_the_scheme():
    for name, spec in q.documented_metrics(METRICS_MD).items():
        assert re.fullmatch(r"edgestream_(simulator|processor|archiver)_[a-z0-9_]+", name), name
        assert name.endswith("_total") == (spec["type"] == "counter"), f"{name}: _total iff counter"
        assert not re.search(r"_(milliseconds|ms|kilobytes|kb|mb|minutes|hours)(_|$)", name), \
            f"{name}: use base units (seconds, bytes)"


def _label_uses(expr: str) -> set[str]:
    s = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)
    labels = set()
    for clause in re.findall(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", s):
        labels |= {x.strip() for x in clause.split(",") if x.strip()}
    for matchers in re.findall(r"\{([^}]*)\}", s):
        labels |= set(re.findall(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)", matchers))
    return labels


def test_edgestream_queries_use_documented_labels_only():
    documented = q.documented_metrics(METRICS_MD)
    histograms = known_histograms()
    for where, expr in all_expressions():
        names = {q.family(n, histograms) for n in q.metric_names(expr)}
        if not names or not all(n in documented for n in names):
            continue
        allowed = set(TARGET_LABELS) | {"le"}
        for n in names:
            allowed |= documented[n]["labels"]
        extra = _label_uses(expr) - allowed
        assert not extra, f"{where}: labels {sorted(extra)} are not documented for {sorted(names)}"


# --- alert rules -----------------------------------------------------------------------

def anchors(markdown: Path) -> set[str]:
    """GitHub-style heading anchors."""
    out = set()
    for line in markdown.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^#{1,6}\s+(.*?)\s*$", line)
        if m:
            text = re.sub(r"[`*_]", "", m.group(1)).lower()
            out.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text)))
    return out


def test_alert_rules_have_severity_annotations_and_runbook():
    doc_anchors = anchors(MONITORING_MD)
    names = [r["alert"] for r in alert_rules()]
    assert len(names) == len(set(names)), "duplicate alert names"
    for rule in alert_rules():
        name = rule["alert"]
        assert rule.get("labels", {}).get("severity") in SEVERITIES, name
        annotations = rule.get("annotations", {})
        for key in ("summary", "description", "runbook_url"):
            assert annotations.get(key), f"{name}: no {key}"
        url = annotations["runbook_url"]
        assert url.startswith("docs/monitoring.md#"), f"{name}: runbook_url {url}"
        assert url.split("#", 1)[1] in doc_anchors, f"{name}: {url} has no heading in docs/monitoring.md"


def test_issue_alerts_exist():
    names = {r["alert"] for r in alert_rules()}
    for name in ["KubeApiServerLatencyHigh", "HostHighCpuLoad", "HostOutOfMemory", "HostMemoryUnderMemoryPressure",
                 "HostUnusualDiskReadRate", "HostUnusualDiskWriteRate", "HostOutOfDiskSpace",
                 "HostDiskWillFillIn24Hours", "ConsumerLagGrowing", "ArchiveFreshnessTooOld",
                 "DeadLetterRateHigh", "PodCrashLooping"]:
        assert name in names, name


def _duration_seconds(text: str) -> float:
    total = 0.0
    for value, unit in re.findall(r"(\d+)(ms|s|m|h|d|w|y)", str(text)):
        total += int(value) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}[unit]
    return total


def test_every_alert_has_a_firing_and_a_quiet_unit_test():
    firing, quiet = set(), set()
    for_seconds = {r["alert"]: _duration_seconds(r.get("for", "0s")) for r in alert_rules()}
    for path in sorted((q.RULE_DIR / "tests").glob("*.yaml")):
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                name = case["alertname"]
                if case.get("exp_alerts"):
                    firing.add(name)
                elif _duration_seconds(case["eval_time"]) > for_seconds.get(name, 0):
                    # Quiet only counts once `for` has elapsed; before that
                    # no alert could fire whatever the input.
                    quiet.add(name)
    names = set(for_seconds)
    assert names - firing == set(), "alerts without a firing test"
    assert names - quiet == set(), "alerts without a quiet test evaluated after `for`"


# --- documentation ---------------------------------------------------------------------

def test_every_panel_and_alert_is_documented():
    text = MONITORING_MD.read_text(encoding="utf-8")
    missing = [f"panel '{p['title']}' ({name})" for name, d in DASHBOARDS.items()
               for p in q.all_panels(d) if p["type"] != "row" and p["title"] not in text]
    missing += [f"alert {r['alert']}" for r in alert_rules() if f"### {r['alert']}" not in text]
    assert not missing, "not described in docs/monitoring.md:\n" + "\n".join(missing)


# --- cluster deployment ------------------------------------------------------------------

VALUES = MONITORING / "kube-prometheus-stack-values.yaml"
HYBRID = {"eks.amazonaws.com/compute-type": "hybrid"}


def test_values_place_the_stack_on_hybrid_nodes_and_skip_eks_managed_components():
    v = yaml.safe_load(VALUES.read_text())
    for path in [("prometheus", "prometheusSpec"), ("alertmanager", "alertmanagerSpec"), ("grafana",),
                 ("kube-state-metrics",), ("prometheusOperator",),
                 ("prometheusOperator", "admissionWebhooks", "deployment"),
                 ("prometheusOperator", "admissionWebhooks", "patch"), ("crds", "upgradeJob")]:
        node = v
        for key in path:
            node = node[key]
        assert node["nodeSelector"] == HYBRID, ".".join(path)
    # The node exporter must run on every node, cloud ones included.
    assert "nodeSelector" not in v["prometheus-node-exporter"]
    assert v["kubeScheduler"]["enabled"] is False
    assert v["kubeControllerManager"]["enabled"] is False


def test_values_label_node_exporter_series_with_the_compute_type():
    monitor = yaml.safe_load(VALUES.read_text())["prometheus-node-exporter"]["prometheus"]["monitor"]
    assert monitor["attachMetadata"] == {"node": True}
    assert {"sourceLabels": ["__meta_kubernetes_node_label_eks_amazonaws_com_compute_type"],
            "targetLabel": "compute_type", "action": "replace"} in monitor["relabelings"]


def test_values_add_no_monitors_that_would_scrape_the_charts_targets_twice():
    # The edgestream chart and the platform chart ship the monitors of what
    # they deploy, selecting the labels they set; monitors in these values
    # selected labels nothing carried (and would double-scrape if they did).
    prometheus = yaml.safe_load(VALUES.read_text())["prometheus"]
    assert "additionalServiceMonitors" not in prometheus
    assert "additionalPodMonitors" not in prometheus


def test_rendered_manifests_carry_the_rules_and_dashboards_unchanged():
    result = subprocess.run([sys.executable, str(MONITORING / "render_manifests.py"), "--namespace", "observability"],
                            capture_output=True, text=True, check=True)
    docs = list(yaml.safe_load_all(result.stdout))
    rules = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PrometheusRule"}
    maps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    assert set(rules) == {f"edgestream-{p.stem}" for p in rule_files()}
    for path in rule_files():
        rule = rules[f"edgestream-{path.stem}"]
        assert rule["apiVersion"] == "monitoring.coreos.com/v1"
        assert rule["metadata"]["namespace"] == "observability"
        assert rule["spec"]["groups"] == yaml.safe_load(path.read_text())["groups"]
    assert len(maps) == len(DASHBOARDS)
    for name, dashboard in DASHBOARDS.items():
        cm = maps[f"edgestream-dashboard-{Path(name).stem}"]
        assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert json.loads(cm["data"][f"edgestream-{name}"]) == dashboard


# --- live check and report (logic that needs no Prometheus) -------------------------------

import live_check  # noqa: E402
import render_report  # noqa: E402


def test_report_draws_dashboard_panels_that_exist():
    panels = render_report.panels_by_title(DASHBOARDS["golden-signals.json"])
    assert [s[0] for s in render_report.SIGNALS] == ["Latency", "Traffic", "Errors", "Saturation"]
    for _, _, left, right, _ in render_report.SIGNALS:
        for title, _ in left + right:
            assert title in panels, title


def test_report_legend_fills_grafana_label_templates():
    assert render_report.legend("{{consumergroup}} {{topic}}", {"consumergroup": "g", "topic": "t"}, "x") == "g t"
    assert render_report.legend("p99", {}, "x") == "p99"
    assert render_report.legend("", {"a": "b"}, "fallback") == "fallback"
    assert render_report.legend("{{missing}}", {}, "fallback") == "fallback"


def test_live_check_counts_only_real_samples():
    assert live_check.count_samples([{"values": [[1, "NaN"], [2, "0"], [3, "+Inf"]]}, {"value": [4, "NaN"]}]) == 2
    assert live_check.count_samples([]) == 0


def test_live_check_status_requires_data_for_local_queries_only():
    query = q.Query("d", 1, "p", "A", "x")
    local_empty = live_check.Outcome(query, "d.json", "x", "local")
    cluster_empty = live_check.Outcome(query, "d.json", "x", "cluster-only")
    rejected = live_check.Outcome(query, "d.json", "x", "cluster-only", error="bad_data: parse error")
    assert not local_empty.passed(require_cluster=False)
    assert cluster_empty.passed(require_cluster=False)
    assert not cluster_empty.passed(require_cluster=True)
    assert not rejected.passed(require_cluster=False)
    assert live_check.Outcome(query, "d.json", "x", "local", series=1, samples=3).passed(require_cluster=False)


def test_classification_of_dashboard_queries():
    kinds = {}
    for dashboard in DASHBOARDS.values():
        for query in q.dashboard_queries(dashboard):
            kinds[query.expr] = q.classify(q.metric_names(query.expr))
    assert kinds["sum by (consumergroup, topic) (kafka_consumergroup_lag)"] == "local"
    assert kinds["max(edgestream_archiver_oldest_unarchived_age_seconds)"] == "local"
    assert all(kind == "cluster-only" for expr, kind in kinds.items() if "apiserver_" in expr or "kube_" in expr)
