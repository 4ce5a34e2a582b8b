"""Live view of the running pipeline, read from the local Prometheus.

Refreshes every two seconds until Ctrl-C: messages/s into raw-data and out of
the processor, dead-lettered and rejected rates, consumer lag per live group
(groups with members now; finished runs' groups are not listed), and
Parquet files archived to S3. Every minute it also renders the golden
signals as a PNG (var/report/golden-signals.png, as scripts/report.sh does).
"""
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request

PROMETHEUS_URL = os.environ.get("PROMETHEUS_URL", "http://127.0.0.1:19090")

# (label, PromQL, unit). Rates use a short window: the local stack scrapes every 2 s.
ROWS = [
    ("raw-data in", 'sum(rate(edgestream_simulator_messages_sent_total[10s]))', "msg/s"),
    ("readings out", 'sum(rate(edgestream_processor_records_out_total{type="reading"}[10s]))', "msg/s"),
    ("aggregates out (total)", 'sum(edgestream_processor_records_out_total{type="aggregate"})', ""),
    ("device aggregates out (total)", 'sum(edgestream_processor_records_out_total{type="device_aggregate"})', ""),
    ("rejected by filter", 'sum(rate(edgestream_processor_records_rejected_total[10s]))', "msg/s"),
    ("dead-lettered", 'sum(rate(edgestream_processor_records_dead_lettered_total[10s]))', "msg/s"),
    ("processor lag", 'sum(edgestream_processor_consumer_lag_records)', "records"),
    ("archiver lag", 'sum(edgestream_archiver_consumer_lag_records)', "records"),
    ("files archived to S3", 'sum(edgestream_archiver_files_uploaded_total)', "files"),
    ("bytes archived to S3", 'sum(edgestream_archiver_uploaded_bytes_total)', "bytes"),
    ("archive freshness", 'max(edgestream_archiver_oldest_unarchived_age_seconds)', "s"),
]


# Committed lag of each consumer group that has members now: groups of
# finished runs (kafka_exporter keeps reporting them) are left out.
LIVE_GROUP_LAG = ("sum by (consumergroup) (kafka_consumergroup_lag) "
                  "and on (consumergroup) (max by (consumergroup) (kafka_consumergroup_members) > 0)")


def query_all(expression):
    url = PROMETHEUS_URL + "/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.load(response)["data"]["result"]
    except (OSError, ValueError, KeyError):
        return None


def query(expression):
    result = query_all(expression)
    return float(result[0]["value"][1]) if result else None


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PNG = os.path.join(REPO, "var", "report", "golden-signals.png")


def render_png():
    """Starts a PNG render in the background; the view never waits for it."""
    os.makedirs(os.path.dirname(PNG), exist_ok=True)
    return subprocess.Popen([sys.executable, os.path.join(REPO, "deploy", "monitoring", "render_report.py"),
                             "--prometheus", PROMETHEUS_URL, "--minutes", "15", "--rate-interval", "30s",
                             "--output", PNG], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    print(f"live view of {PROMETHEUS_URL}; Ctrl-C to stop")
    renderer = None
    next_render = time.monotonic() + 30
    while True:
        if time.monotonic() >= next_render and (renderer is None or renderer.poll() is not None):
            renderer = render_png()
            next_render = time.monotonic() + 60
        lines = [time.strftime("%H:%M:%S") + "  edgestream pipeline"]
        for label, expression, unit in ROWS:
            value = query(expression)
            text = "—" if value is None else f"{value:,.1f}"
            lines.append(f"  {label:<32}{text:>16} {unit}")
        for series in sorted(query_all(LIVE_GROUP_LAG) or [], key=lambda r: r["metric"].get("consumergroup", "")):
            label = "lag of " + series["metric"].get("consumergroup", "?")
            lines.append(f"  {label[:32]:<32}{float(series['value'][1]):>16,.1f} records (committed)")
        if os.path.exists(PNG):
            lines.append(f"  golden signals picture: {os.path.relpath(PNG)} (refreshed every minute)")
        # Redraw in place on a terminal, append otherwise (logs, CI).
        if sys.stdout.isatty():
            sys.stdout.write("\x1b[H\x1b[2J")
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
        time.sleep(2)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
