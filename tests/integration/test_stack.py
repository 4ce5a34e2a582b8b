"""The local edge stack (scripts/stack.sh) runs what it promises: a Kafka
broker with the pipeline's topics, an S3 server that enforces SigV4 and
supports multipart upload and ListObjectsV2, and Prometheus scraping the
exporters. Expected values come from the stack's specification (docs/stack.md),
not from the stack's own output."""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import REPO, kafka_config, prometheus_query, wait_until

STACK = REPO / "scripts" / "stack.sh"
SERVICES = ["s3", "kafka", "node-exporter", "kafka-exporter", "prometheus"]
PIPELINE_TOPICS = {"raw-data": 3, "processed-data": 3, "raw-data-dlq": 3, "processor-partials": 1}
MiB = 1024 * 1024


def run_stack(command: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(STACK), command], capture_output=True, text=True, timeout=300,
                          check=False)


def test_status_reports_every_service_running():
    result = run_stack("status")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    for service in SERVICES:
        assert service in lines, f"status does not mention {service}:\n{result.stdout}"
        assert " running (pid " in lines[service], lines[service]


def test_env_file_has_the_keys(stack_env):
    required = ["KAFKA_BOOTSTRAP_SERVERS", "S3_ENDPOINT_URL", "S3_BUCKET", "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "PROMETHEUS_URL"]
    missing = [key for key in required if not stack_env.get(key)]
    assert not missing, f"var/edgestream.env lacks {missing}"
    assert stack_env["KAFKA_BOOTSTRAP_SERVERS"].startswith("127.0.0.1:")
    assert stack_env["S3_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert stack_env["PROMETHEUS_URL"].startswith("http://127.0.0.1:")
    # The file holds a secret: only its owner may read it.
    assert (REPO / "var" / "edgestream.env").stat().st_mode & 0o077 == 0
    # Kafka: TLS + SCRAM, the CA, and per component a user and a password
    # file (never the password itself) that only its owner may read.
    assert stack_env["EDGESTREAM_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert stack_env["EDGESTREAM_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert os.path.isfile(stack_env["EDGESTREAM_KAFKA_CA_FILE"])
    for component in ("SIMULATOR", "PROCESSOR", "ARCHIVER", "ADMIN"):
        assert stack_env[f"EDGESTREAM_{component}_KAFKA_USERNAME"] == component.lower()
        password_file = stack_env[f"EDGESTREAM_{component}_KAFKA_PASSWORD_FILE"]
        assert os.stat(password_file).st_mode & 0o077 == 0, password_file
        with open(password_file) as handle:
            password = handle.read().strip()
        assert password and password not in (REPO / "var" / "edgestream.env").read_text()


def test_pipeline_topics_exist_with_their_partition_counts(kafka_admin):
    metadata = kafka_admin.list_topics(timeout=10)
    for topic, partitions in PIPELINE_TOPICS.items():
        assert topic in metadata.topics, f"topic {topic} is missing"
        assert len(metadata.topics[topic].partitions) == partitions, topic


def test_bucket_exists(s3_client, s3_bucket):
    s3_client.head_bucket(Bucket=s3_bucket)
    names = [bucket["Name"] for bucket in s3_client.list_buckets()["Buckets"]]
    assert s3_bucket in names


def test_unsigned_requests_are_rejected(stack_env, s3_bucket, s3_prefix, s3_client):
    endpoint = stack_env["S3_ENDPOINT_URL"]
    key = f"{s3_prefix}unsigned.txt"
    for method, url, data in [("GET", f"{endpoint}/{s3_bucket}?list-type=2", None),
                              ("PUT", f"{endpoint}/{s3_bucket}/{key}", b"not allowed")]:
        request = urllib.request.Request(url, data=data, method=method)
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(request, timeout=10)
        assert error.value.code == 403, f"unsigned {method} answered {error.value.code}"
    # The unsigned PUT left nothing behind.
    listed = s3_client.list_objects_v2(Bucket=s3_bucket, Prefix=key)
    assert listed["KeyCount"] == 0


def test_wrongly_signed_requests_are_rejected(stack_env, s3_bucket):
    import boto3
    from botocore.config import Config

    wrong = boto3.client("s3", endpoint_url=stack_env["S3_ENDPOINT_URL"],
                         aws_access_key_id=stack_env["AWS_ACCESS_KEY_ID"],
                         aws_secret_access_key=stack_env["AWS_SECRET_ACCESS_KEY"] + "x",
                         region_name=stack_env["AWS_REGION"],
                         config=Config(s3={"addressing_style": "path"},
                                       retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as error:
        wrong.list_objects_v2(Bucket=s3_bucket)
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_multipart_upload_round_trip(s3_client, s3_bucket, s3_prefix):
    key = f"{s3_prefix}multipart.bin"
    # S3 requires every part but the last to be at least 5 MiB.
    parts_data = [os.urandom(5 * MiB), os.urandom(123_457)]
    upload = s3_client.create_multipart_upload(Bucket=s3_bucket, Key=key)
    parts = []
    for number, data in enumerate(parts_data, start=1):
        answer = s3_client.upload_part(Bucket=s3_bucket, Key=key, UploadId=upload["UploadId"],
                                       PartNumber=number, Body=data)
        parts.append({"PartNumber": number, "ETag": answer["ETag"]})
    s3_client.complete_multipart_upload(Bucket=s3_bucket, Key=key, UploadId=upload["UploadId"],
                                        MultipartUpload={"Parts": parts})

    stored = s3_client.get_object(Bucket=s3_bucket, Key=key)
    assert stored["Body"].read() == b"".join(parts_data)
    # A multipart object's ETag ends in "-<number of parts>".
    assert stored["ETag"].strip('"').endswith("-2")


def test_aborted_multipart_upload_leaves_no_object(s3_client, s3_bucket, s3_prefix):
    key = f"{s3_prefix}aborted.bin"
    upload = s3_client.create_multipart_upload(Bucket=s3_bucket, Key=key)
    s3_client.upload_part(Bucket=s3_bucket, Key=key, UploadId=upload["UploadId"], PartNumber=1,
                          Body=b"x" * 1024)
    s3_client.abort_multipart_upload(Bucket=s3_bucket, Key=key, UploadId=upload["UploadId"])
    assert s3_client.list_objects_v2(Bucket=s3_bucket, Prefix=key)["KeyCount"] == 0


def test_list_objects_v2_pages_through_a_prefix(s3_client, s3_bucket, s3_prefix):
    keys = [f"{s3_prefix}dt=2024-12-2{day}/part.parquet" for day in range(5)]
    for key in keys:
        s3_client.put_object(Bucket=s3_bucket, Key=key, Body=key.encode())

    seen, pages, token = [], 0, None
    while True:
        kwargs = {"ContinuationToken": token} if token else {}
        page = s3_client.list_objects_v2(Bucket=s3_bucket, Prefix=s3_prefix, MaxKeys=2, **kwargs)
        pages += 1
        seen += [item["Key"] for item in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert seen == sorted(keys)
    assert pages == 3  # 5 keys, 2 per page

    folders = s3_client.list_objects_v2(Bucket=s3_bucket, Prefix=s3_prefix, Delimiter="/")
    assert [p["Prefix"] for p in folders["CommonPrefixes"]] == sorted(
        key.rsplit("/", 1)[0] + "/" for key in keys)


def targets_by_job(prometheus_url: str) -> dict[str, list[dict]]:
    import json

    with urllib.request.urlopen(f"{prometheus_url}/api/v1/targets", timeout=5) as response:
        active = json.load(response)["data"]["activeTargets"]
    jobs: dict[str, list[dict]] = {}
    for target in active:
        jobs.setdefault(target["labels"]["job"], []).append(target)
    return jobs


def test_prometheus_scrapes_the_exporters(prometheus_url):
    wanted = ["prometheus", "node", "kafka", "kafka_exporter"]

    def all_up():
        jobs = targets_by_job(prometheus_url)
        return all(job in jobs and all(t["health"] == "up" for t in jobs[job]) for job in wanted)

    wait_until(all_up, 60, f"Prometheus targets {wanted} to be up", interval=1)
    # The component jobs exist (up only while the components run).
    jobs = targets_by_job(prometheus_url)
    assert {"simulator", "processor", "archiver"} <= set(jobs)


def test_broker_and_lag_metrics_reach_prometheus(kafka_bootstrap, unique_topic, prometheus_url):
    from confluent_kafka import Consumer, Producer, TopicPartition

    topic = unique_topic(partitions=1)
    producer = Producer(kafka_config({"enable.idempotence": True}, bootstrap=kafka_bootstrap))
    for i in range(10):
        producer.produce(topic, value=f"message-{i}".encode())
    assert producer.flush(30) == 0

    # A group that has committed offset 4 of 10 lags by 6.
    group = f"{topic}-group"
    consumer = Consumer(kafka_config({"group.id": group}, bootstrap=kafka_bootstrap))
    consumer.commit(offsets=[TopicPartition(topic, 0, 4)], asynchronous=False)
    consumer.close()

    def value(expr):
        result = prometheus_query(prometheus_url, expr)
        return float(result[0]["value"][1]) if result else None

    # From the JMX exporter inside the broker.
    wait_until(lambda: value(f'kafka_server_brokertopicmetrics_messagesin_total{{topic="{topic}"}}')
               == 10, 60, f"JMX exporter: 10 messages in on {topic}", interval=1)
    assert value(f'kafka_server_brokertopicmetrics_bytesin_total{{topic="{topic}"}}') > 0
    # From the Kafka exporter.
    wait_until(lambda: value(f'kafka_topic_partition_current_offset{{topic="{topic}"}}') == 10,
               60, f"kafka exporter: high watermark 10 on {topic}", interval=1)
    wait_until(lambda: value(f'kafka_consumergroup_lag{{consumergroup="{group}",topic="{topic}"}}')
               == 6, 60, f"kafka exporter: lag 6 for group {group}", interval=1)


class _Metrics(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        body = b"# TYPE edgestream_stack_test_up gauge\nedgestream_stack_test_up 1\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_file_discovery_registers_an_extra_instance(prometheus_url, scrape_target):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Metrics)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        address = f"127.0.0.1:{server.server_address[1]}"
        scrape_target(address, job="processor")
        wait_until(lambda: prometheus_query(
            prometheus_url, f'edgestream_stack_test_up{{job="processor",instance="{address}"}}'),
            60, f"Prometheus to scrape {address} as job processor", interval=1)
    finally:
        server.shutdown()
        server.server_close()


def test_second_start_says_already_running():
    result = run_stack("start")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "already running" in result.stdout
