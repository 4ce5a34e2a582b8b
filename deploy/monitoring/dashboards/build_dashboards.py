#!/usr/bin/env python3
"""Writes edgestream's Grafana dashboards as JSON, ready for provisioning.

The JSON files beside this script are its output and are committed; edit this
script, run it, and commit both. `--check` exits non-zero when a JSON file
differs from what the script would write (tests/monitoring runs it).

Why a script rather than hand-edited JSON: every panel needs the same
datasource reference, a unique id and a grid position; writing them by hand in
three files is how dashboards drift. docs/monitoring.md explains each panel.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}

# Node types as values of the `compute_type` label (the node label
# eks.amazonaws.com/compute-type after relabelling): EKS hybrid nodes say
# "hybrid"; managed node groups have no such label (empty value) and Auto Mode
# nodes say "auto". The values are regular expressions used with =~.
NODE_TYPE_ALL = ".*"
NODE_TYPE_EDGE = "hybrid"
NODE_TYPE_CLOUD = "|auto|ec2"
NODE_SELECTOR = 'compute_type=~"${node_type}"'

# Kubernetes API server verbs whose requests stay open by design.
LONG_RUNNING_VERBS = 'verb!~"WATCH|CONNECT"'


def with_node_type(expr: str) -> str:
    """Adds a node_type label ("edge" or "cloud") derived from compute_type."""
    return (
        'label_replace(label_replace(' + expr + ', '
        f'"node_type", "edge", "compute_type", "{NODE_TYPE_EDGE}"), '
        f'"node_type", "cloud", "compute_type", "{NODE_TYPE_CLOUD}")'
    )


def target(expr: str, legend: str, **extra) -> dict:
    t = {"expr": expr, "legendFormat": legend, "range": True, "instant": False, "editorMode": "code"}
    t.update(extra)
    return t


def timeseries(title: str, description: str, targets: list[dict], unit: str,
               *, max_value: float | None = None, bars: bool = False, stack: bool = False) -> dict:
    defaults: dict = {
        "unit": unit,
        "min": 0,
        "custom": {
            "drawStyle": "bars" if bars else "line",
            "lineWidth": 1,
            "fillOpacity": 60 if bars else 10,
            "showPoints": "never",
            "spanNulls": False,
            "stacking": {"mode": "normal" if stack else "none", "group": "A"},
        },
    }
    if max_value is not None:
        defaults["max"] = max_value
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "legend": {"showLegend": True, "displayMode": "table", "placement": "bottom",
                       "calcs": ["mean", "max", "lastNotNull"]},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
        "targets": targets,
    }


def stat(title: str, description: str, expr: str, unit: str = "short", *,
         thresholds: list[tuple[float | None, str]] | None = None) -> dict:
    steps = [{"value": value, "color": color} for value, color in (thresholds or [(None, "green")])]
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "fieldConfig": {"defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}},
                        "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "value", "graphMode": "area", "textMode": "auto", "justifyMode": "auto"},
        "targets": [target(expr, "")],
    }


def heatmap(title: str, description: str, expr: str) -> dict:
    return {
        "type": "heatmap",
        "title": title,
        "description": description,
        "options": {
            "calculate": False,
            "yAxis": {"unit": "s", "axisPlacement": "left"},
            "rowsFrame": {"layout": "auto"},
            "color": {"mode": "scheme", "scheme": "Oranges", "scale": "exponential", "exponent": 0.5,
                      "fill": "dark-orange", "reverse": False},
            "cellGap": 1,
            "filterValues": {"le": 1e-9},
            "tooltip": {"show": True, "yHistogram": True},
            "legend": {"show": True},
        },
        "fieldConfig": {"defaults": {}, "overrides": []},
        "targets": [target(expr, "{{le}}", format="heatmap")],
    }


def table(title: str, description: str, expr: str, unit: str) -> dict:
    return {
        "type": "table",
        "title": title,
        "description": description,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"showHeader": True, "sortBy": [{"displayName": "Value", "desc": True}]},
        "transformations": [{"id": "organize", "options": {"excludeByName": {"Time": True}}}],
        "targets": [target(expr, "", range=False, instant=True, format="table")],
    }


def datasource_variable() -> dict:
    return {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
            "current": {}, "hide": 0, "includeAll": False, "multi": False, "options": [],
            "refresh": 1, "regex": ""}


def node_type_variable() -> dict:
    # Single-valued with an explicit "all" option: Grafana regex-escapes the
    # values of multi-value and include-all variables, which would break the
    # regular expressions the options stand for.
    options = [("all", NODE_TYPE_ALL), ("edge", NODE_TYPE_EDGE), ("cloud", NODE_TYPE_CLOUD)]
    return {
        "name": "node_type", "label": "Node type", "type": "custom",
        "description": "Edge (EKS hybrid) nodes, cloud nodes, or both",
        "query": ",".join(f"{text} : {value}" for text, value in options),
        "current": {"selected": True, "text": "all", "value": NODE_TYPE_ALL},
        "options": [{"selected": text == "all", "text": text, "value": value} for text, value in options],
        "hide": 0, "includeAll": False, "multi": False, "skipUrlSync": False,
    }


def query_variable(name: str, label: str, query: str, *, regex: str = "") -> dict:
    return {
        "name": name, "label": label, "type": "query", "datasource": DATASOURCE,
        "query": query, "definition": query, "refresh": 2, "regex": regex, "sort": 1,
        "includeAll": True, "allValue": ".*", "multi": True,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [], "hide": 0, "skipUrlSync": False,
    }


def layout(sections: list[tuple[str, list[dict]]], *, width: int = 12, height: int = 8) -> list[dict]:
    """Rows of panels, `24 / width` panels side by side; ids numbered in order."""
    panels: list[dict] = []
    y = 0
    next_id = 1
    for row_title, row_panels in sections:
        panels.append({"type": "row", "id": next_id, "title": row_title, "collapsed": False,
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
        next_id += 1
        y += 1
        x = 0
        for panel in row_panels:
            w = panel.pop("_width", width)
            if x + w > 24:
                x = 0
                y += height
            panel["id"] = next_id
            next_id += 1
            panel["datasource"] = DATASOURCE
            for t in panel["targets"]:
                t["datasource"] = DATASOURCE
            for i, t in enumerate(panel["targets"]):
                t["refId"] = chr(ord("A") + i)
            panel["gridPos"] = {"h": height, "w": w, "x": x, "y": y}
            panels.append(panel)
            x += w
        y += height
    return panels


def dashboard(uid: str, title: str, description: str, variables: list[dict],
              sections: list[tuple[str, list[dict]]], **layout_args) -> dict:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["edgestream"],
        "timezone": "utc",
        "editable": False,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "annotations": {"list": []},
        "links": [{"type": "dashboards", "tags": ["edgestream"], "title": "edgestream", "asDropdown": True}],
        "templating": {"list": variables},
        "panels": layout(sections, **layout_args),
    }


def rate(selector: str, window: str = "$__rate_interval") -> str:
    return f"rate({selector}[{window}])"


def p(quantile: float, histogram: str, by: str = "le", selector: str = "", window: str = "$__rate_interval") -> str:
    return (f"histogram_quantile({quantile}, sum by ({by}) "
            f"({rate(histogram + '_bucket' + (('{' + selector + '}') if selector else ''), window)}))")


def golden_signals() -> dict:
    fs = f'{NODE_SELECTOR}, fstype!~"tmpfs|ramfs|squashfs|overlay"'
    topics = 'topic=~"raw-data|processed-data"'
    latency = [
        timeseries(
            "API server request duration p99",
            "99th percentile of Kubernetes API server request duration per verb, WATCH and CONNECT "
            "excluded (they stay open by design). Kubelets on edge nodes feel it across the link. "
            "Cluster only.",
            [target(p(0.99, "apiserver_request_duration_seconds", "le, verb", LONG_RUNNING_VERBS), "{{verb}}")],
            "s"),
        timeseries(
            "Produce latency (simulator to broker acknowledgement)",
            "Time from the simulator's produce call to the broker's acknowledgement of raw-data messages.",
            [target(p(0.5, "edgestream_simulator_delivery_latency_seconds"), "p50"),
             target(p(0.99, "edgestream_simulator_delivery_latency_seconds"), "p99")],
            "s"),
        timeseries(
            "Delivery latency through the processor",
            "Processing: broker append time of a raw-data record to its output in processed-data. "
            "Event: the reading's event time to its output (includes the device's own delay and window "
            "closing).",
            [target(p(0.99, "edgestream_processor_processing_latency_seconds"), "processing p99"),
             target(p(0.5, "edgestream_processor_processing_latency_seconds"), "processing p50"),
             target(p(0.99, "edgestream_processor_event_latency_seconds"), "event p99")],
            "s"),
        timeseries(
            "Event-to-S3 freshness",
            "Age of the oldest record consumed by the archiver and not yet in S3 (hourly files: up to "
            "about an hour is normal), and the 99th percentile of one object's upload over the last hour.",
            [target("max(edgestream_archiver_oldest_unarchived_age_seconds)", "oldest record not in S3"),
             target(p(0.99, "edgestream_archiver_upload_duration_seconds", window="1h"), "upload p99 (1 h)")],
            "s"),
    ]
    traffic = [
        timeseries(
            "Messages in per topic (broker)",
            "Messages appended per second to raw-data and processed-data, from the broker's JMX exporter.",
            [target(f"sum by (topic) ({rate('kafka_server_brokertopicmetrics_messagesin_total{' + topics + '}')})",
                    "{{topic}}")],
            "suffix: msg/s"),
        timeseries(
            "Bytes in and out per topic (broker)",
            "Bytes per second written to (in) and read from (out) raw-data and processed-data, "
            "replication excluded, from the broker's JMX exporter.",
            [target(f"sum by (topic) ({rate('kafka_server_brokertopicmetrics_bytesin_total{' + topics + '}')})",
                    "{{topic}} in"),
             target(f"sum by (topic) ({rate('kafka_server_brokertopicmetrics_bytesout_total{' + topics + '}')})",
                    "{{topic}} out")],
            "Bps"),
        timeseries(
            "Records through the pipeline",
            "Records per second as each component counts them: sent by the simulator, consumed and "
            "produced by the processor (committed transactions only), consumed by the archiver.",
            [target(f"sum({rate('edgestream_simulator_messages_sent_total')})", "simulator sent"),
             target(f"sum by (topic) ({rate('edgestream_processor_records_in_total')})", "processor in ({{topic}})"),
             target(f"sum by (type) ({rate('edgestream_processor_records_out_total')})", "processor out ({{type}})"),
             target(f"sum({rate('edgestream_archiver_records_in_total')})", "archiver in")],
            "suffix: records/s"),
        timeseries(
            "Bytes sent and archived",
            "Payload bytes per second acknowledged by the broker to the simulator, and Parquet bytes "
            "per second acknowledged by S3 to the archiver (in hourly bursts).",
            [target(f"sum({rate('edgestream_simulator_bytes_sent_total')})", "simulator sent"),
             target(f"sum({rate('edgestream_archiver_uploaded_bytes_total')})", "archiver uploaded to S3")],
            "Bps"),
    ]
    errors = [
        timeseries(
            "Pod restarts (last hour)",
            "Container restarts per pod over the last hour, the ten highest, from kube-state-metrics. "
            "Cluster only.",
            [target("topk(10, sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total[1h])))",
                    "{{namespace}}/{{pod}}")],
            "short"),
        timeseries(
            "Dead-lettered and rejected records",
            "Dead-lettered: invalid records sent to raw-data-dlq, by reason. Rejected: valid readings "
            "the filter drops (status not OK, temperature above the limit), by reason.",
            [target(f"sum by (reason) ({rate('edgestream_processor_records_dead_lettered_total')})",
                    "dead-lettered {{reason}}"),
             target(f"sum by (reason) ({rate('edgestream_processor_records_rejected_total')})",
                    "rejected {{reason}}")],
            "suffix: records/s"),
        timeseries(
            "Failed deliveries and aborted transactions",
            "Messages the simulator's producer could not deliver, by librdkafka error, and the "
            "processor's aborted Kafka transactions (their records are reprocessed, not lost).",
            [target(f"sum by (reason) ({rate('edgestream_simulator_delivery_errors_total')})",
                    "delivery failed {{reason}}"),
             target("sum(" + rate('edgestream_processor_transactions_total{outcome="aborted"}') + ")",
                    "transactions aborted")],
            "ops"),
        timeseries(
            "Upload errors and retries",
            "Failed S3 upload attempts and retried attempts per second, by cause.",
            [target(f"sum by (cause) ({rate('edgestream_archiver_upload_errors_total')})", "error {{cause}}"),
             target(f"sum by (cause) ({rate('edgestream_archiver_upload_retries_total')})", "retry {{cause}}")],
            "ops"),
    ]
    saturation = [
        timeseries(
            "CPU busy by node",
            "Share of CPU time not idle, per node, edge and cloud told apart.",
            [target(with_node_type(
                "1 - avg by (instance, compute_type) ("
                + rate('node_cpu_seconds_total{mode="idle", ' + NODE_SELECTOR + '}') + ")"),
                "{{node_type}} {{instance}}")],
            "percentunit", max_value=1),
        timeseries(
            "Memory used by node",
            "Share of memory not available for new allocations (1 - MemAvailable / MemTotal), per node.",
            [target(with_node_type(
                f"1 - node_memory_MemAvailable_bytes{{{NODE_SELECTOR}}} / node_memory_MemTotal_bytes{{{NODE_SELECTOR}}}"),
                "{{node_type}} {{instance}}")],
            "percentunit", max_value=1),
        timeseries(
            "Disk I/O by node",
            "Bytes per second read from and written to all disks of a node.",
            [target(with_node_type(
                f"sum by (instance, compute_type) ({rate('node_disk_read_bytes_total{' + NODE_SELECTOR + '}')})"),
                "{{node_type}} {{instance}} read"),
             target(with_node_type(
                 f"sum by (instance, compute_type) ({rate('node_disk_written_bytes_total{' + NODE_SELECTOR + '}')})"),
                 "{{node_type}} {{instance}} written")],
            "Bps"),
        timeseries(
            "Free file-system space",
            "Share of each real file system still free for unprivileged writers (Kafka logs, the "
            "archiver spool); pseudo file systems left out.",
            [target(with_node_type(
                f"node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}}"),
                "{{node_type}} {{instance}} {{mountpoint}}")],
            "percentunit", max_value=1),
        timeseries(
            "Consumer lag",
            "Committed: records between each group's committed offset and the end of the topic, from "
            "kafka_exporter (the archiver commits after each hourly file, so its line saw-tooths). "
            "Position: the components' own view, high watermark minus the next record they will read.",
            [target("sum by (consumergroup, topic) (kafka_consumergroup_lag)", "committed {{consumergroup}} {{topic}}"),
             target("sum by (topic) (edgestream_processor_consumer_lag_records)", "position processor {{topic}}"),
             target("sum by (topic) (edgestream_archiver_consumer_lag_records)", "position archiver {{topic}}")],
            "short"),
        timeseries(
            "Archiver spool use",
            "Bytes in the archiver's local spool not yet in S3, as a share of its configured limit; "
            "consumption stops when it is full.",
            [target("max by (instance) (edgestream_archiver_spool_bytes / edgestream_archiver_spool_limit_bytes)",
                    "{{instance}}")],
            "percentunit", max_value=1),
    ]
    return dashboard(
        "edgestream-golden-signals", "edgestream / Golden signals",
        "Latency, traffic, errors and saturation of the edgestream pipeline, its Kafka topics, the "
        "nodes (edge and cloud) and the Kubernetes API server. docs/monitoring.md explains each panel.",
        [datasource_variable(), node_type_variable()],
        [("Latency", latency), ("Traffic", traffic), ("Errors", errors), ("Saturation", saturation)])


def kafka() -> dict:
    t = 'topic=~"$topic"'
    g = 'consumergroup=~"$consumergroup"'
    jmx_topic = f'{t}, topic!=""'  # the JMX exporter also serves an all-topics series without `topic`
    cluster = [
        stat("Brokers", "Brokers in the cluster, from kafka_exporter.", "max(kafka_brokers)"),
        stat("Topics", "Topics selected above.", f"count(kafka_topic_partitions{{{t}}})"),
        stat("Partitions", "Partitions of the topics selected above.", f"sum(kafka_topic_partitions{{{t}}})"),
        stat("Under-replicated partitions", "Partitions with fewer in-sync replicas than replicas, from the "
             "brokers' JMX exporter (ReplicaManager); anything above 0 needs attention.",
             "sum(kafka_server_replicamanager_underreplicatedpartitions)",
             thresholds=[(None, "green"), (1, "red")]),
    ]
    for panel in cluster:
        panel["_width"] = 6
    topics = [
        timeseries("Messages produced per second by topic",
                   "Growth of each topic's high watermark (end offset) per second, summed over its partitions.",
                   [target(f"sum by (topic) ({rate('kafka_topic_partition_current_offset{' + t + '}')})", "{{topic}}")],
                   "suffix: msg/s"),
        timeseries("Messages produced per minute by topic",
                   "Messages appended in each minute, summed over partitions.",
                   [target(f"sum by (topic) (increase(kafka_topic_partition_current_offset{{{t}}}[1m]))", "{{topic}}",
                           interval="1m")],
                   "short", bars=True, stack=True),
        timeseries("Bytes in and out per topic (broker)",
                   "Bytes per second produced to and fetched from each topic, replication excluded, from the "
                   "brokers' JMX exporter.",
                   [target(f"sum by (topic) ({rate('kafka_server_brokertopicmetrics_bytesin_total{' + jmx_topic + '}')})",
                           "{{topic}} in"),
                    target(f"sum by (topic) ({rate('kafka_server_brokertopicmetrics_bytesout_total{' + jmx_topic + '}')})",
                           "{{topic}} out")],
                   "Bps"),
        timeseries("Retained messages per topic",
                   "End offset minus log-start offset summed over partitions: messages the brokers still keep "
                   "(compacted topics keep fewer than this).",
                   [target(f"sum by (topic) (kafka_topic_partition_current_offset{{{t}}} "
                           f"- kafka_topic_partition_oldest_offset{{{t}}})", "{{topic}}")],
                   "short"),
    ]
    groups = [
        timeseries("Messages consumed per second by group",
                   "Growth of each group's committed offsets per second. Groups that commit in batches (the "
                   "archiver, after each hourly file) show bursts.",
                   [target(f"sum by (consumergroup, topic) ({rate('kafka_consumergroup_current_offset{' + g + ', ' + t + '}')})",
                           "{{consumergroup}} {{topic}}")],
                   "suffix: msg/s"),
        timeseries("Lag by group and topic",
                   "Messages between each group's committed offset and the end of the topic, summed over partitions.",
                   [target(f"sum by (consumergroup, topic) (kafka_consumergroup_lag{{{g}, {t}}})",
                           "{{consumergroup}} {{topic}}")],
                   "short"),
        timeseries("Lag by partition",
                   "The same lag per partition: one partition far behind the others points at a slow or stuck "
                   "consumer instance or a hot key.",
                   [target(f"max by (consumergroup, topic, partition) (kafka_consumergroup_lag{{{g}, {t}}})",
                           "{{consumergroup}} {{topic}}/{{partition}}")],
                   "short"),
        timeseries("Group members",
                   "Consumers in each group; the processor's and archiver's replica counts (KEDA) show here.",
                   [target(f"max by (consumergroup) (kafka_consumergroup_members{{{g}}})", "{{consumergroup}}")],
                   "short"),
    ]
    return dashboard(
        "edgestream-kafka", "edgestream / Kafka",
        "Topic throughput and consumer-group lag from kafka_exporter, broker byte rates from the JMX exporter.",
        [datasource_variable(),
         query_variable("topic", "Topic", "label_values(kafka_topic_partition_current_offset, topic)",
                        regex="/^[^_].*/"),
         query_variable("consumergroup", "Consumer group", "label_values(kafka_consumergroup_current_offset, consumergroup)")],
        [("Cluster", cluster), ("Topics", topics), ("Consumer groups", groups)])


def apiserver() -> dict:
    v = f'verb=~"$verb", {LONG_RUNNING_VERBS}'
    requests = rate('apiserver_request_total{verb=~"$verb"}')
    errors = rate('apiserver_request_total{verb=~"$verb", code=~"5.."}')
    duration = [
        heatmap("Request duration distribution",
                "Requests per duration bucket in each interval: a band moving up means every request slows; "
                "a second band means one kind of request is slow.",
                f"sum by (le) (increase(apiserver_request_duration_seconds_bucket{{{v}}}[$__rate_interval]))"),
        timeseries("Request duration quantiles",
                   "50th, 90th and 99th percentile of request duration over all selected verbs.",
                   [target(p(0.5, "apiserver_request_duration_seconds", selector=v), "p50"),
                    target(p(0.9, "apiserver_request_duration_seconds", selector=v), "p90"),
                    target(p(0.99, "apiserver_request_duration_seconds", selector=v), "p99")],
                   "s"),
        timeseries("Request duration p99 by verb", "99th percentile per verb.",
                   [target(p(0.99, "apiserver_request_duration_seconds", "le, verb", v), "{{verb}}")], "s"),
        table("Slowest requests",
              "The 15 slowest kinds of request (verb, resource, subresource, scope) by 99th percentile over "
              "the dashboard's time range: where to look first when the API server is slow.",
              "topk(15, histogram_quantile(0.99, sum by (le, verb, group, resource, subresource, scope) "
              f"(rate(apiserver_request_duration_seconds_bucket{{{v}}}[$__range]))))",
              "s"),
    ]
    load = [
        timeseries("Requests per second by code", "Request rate by HTTP status code.",
                   [target(f"sum by (code) ({requests})",
                           "{{code}}")],
                   "reqps", stack=True),
        timeseries("Server error ratio", "Share of requests answered with a 5xx status.",
                   [target(f"sum({errors}) / sum({requests})", "5xx")],
                   "percentunit"),
        timeseries("Requests per second by resource (top 10)", "The busiest resource and verb pairs.",
                   [target(f"topk(10, sum by (resource, verb) ({requests}))",
                           "{{verb}} {{resource}}")],
                   "reqps"),
        timeseries("Requests in flight", "Requests being served now, mutating and read-only; a plateau at the "
                   "limit means the API server is shedding load (HTTP 429).",
                   [target("sum by (request_kind) (apiserver_current_inflight_requests)", "{{request_kind}}")],
                   "short"),
    ]
    return dashboard(
        "edgestream-apiserver", "edgestream / Kubernetes API server",
        "Request duration distribution, slowest requests and load of the EKS API server. Cluster only.",
        [datasource_variable(),
         query_variable("verb", "Verb", "label_values(apiserver_request_total, verb)")],
        [("Request duration", duration), ("Load", load)])


DASHBOARDS = {
    "golden-signals.json": golden_signals,
    "kafka.json": kafka,
    "apiserver.json": apiserver,
}


def render(builder) -> str:
    return json.dumps(builder(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a JSON file differs from the script's output")
    args = parser.parse_args()
    stale = []
    for name, builder in DASHBOARDS.items():
        path = HERE / name
        text = render(builder)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"out of date: {', '.join(stale)}; run {Path(__file__).name} and commit the JSON", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
