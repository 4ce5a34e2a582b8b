"""Shared fixtures of the integration tests.

Integration tests run against the real local stack (Kafka, the S3 server,
Prometheus) that `scripts/stack.sh start` runs and describes in
var/edgestream.env, and against the binaries of one build tree
(EDGESTREAM_BIN_DIR, set by ctest). scripts/test.sh starts the stack and runs
ctest; to run one file by hand:

    scripts/stack.sh start
    EDGESTREAM_BIN_DIR=build/<dir>/bin var/venv/bin/python -m pytest -q tests/integration/test_x.py

Helpers meant for test files (import them with `from conftest import ...`):
`wait_until`, `prometheus_query`, `unique_name`, `kafka_config`,
`stack_environment`. Each test gets its own topic (`unique_topic`) and its
own S3 key prefix (`s3_prefix`), so tests never see each other's data.

Kafka: the broker takes only TLS + SASL/SCRAM clients, so a bootstrap
address alone no longer connects. The one way to get a Kafka client is

    Producer(kafka_config({"enable.idempotence": True}))            # the test's own client
    Consumer(kafka_config({"group.id": ...}, role="archiver"))       # as a component would

`kafka_config` (role "admin" by default: the super user tests act as) adds
the bootstrap servers, the CA and the role's credentials from
var/edgestream.env. To start a component, pass `env=stack_environment()`
(or `{**os.environ, **stack_env}`): the binaries read their own principal's
EDGESTREAM_<COMPONENT>_KAFKA_* variables from it. Topics, groups and
transactional ids that a component uses in a test must start with `test-`
(`unique_topic` and the harnesses' names do; the processor also accepts
`processor-…` groups, the archiver `archiver-…`): the components' ACLs allow
them nothing else besides their production names (docs/stack.md).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest

REPO = Path(os.environ.get("EDGESTREAM_REPO", Path(__file__).resolve().parents[2]))
ENV_FILE = REPO / "var" / "edgestream.env"

sys.path.insert(0, str(REPO / "scripts" / "lib"))
import edgestream_kafka  # noqa: E402 - lives in scripts/lib, shared with the benchmarks and the stack


def wait_until(predicate: Callable[[], Any], timeout: float, message: str,
               interval: float = 0.2, retry_on: tuple[type[BaseException], ...] = ()) -> Any:
    """Polls `predicate` until it returns a truthy value, and returns that value.

    Raises AssertionError naming `message` once `timeout` seconds have passed.
    Exceptions of the types in `retry_on` (e.g. ConnectionError while a
    process starts) count as "not yet"; the last one is quoted in the failure.
    Use it instead of sleeping: it waits only as long as needed.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except retry_on as error:  # noqa: PERF203 - polling loop
            last_error = error
        if time.monotonic() >= deadline:
            detail = f"; last error: {last_error!r}" if last_error else ""
            raise AssertionError(f"{message} (still not true after {timeout:g}s{detail})")
        time.sleep(interval)


def unique_name(hint: str = "test") -> str:
    """A name no other test run uses: `<hint>-<8 hex>`, with characters that
    Kafka topic names and S3 keys both accept."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", hint).strip("-")[:100] or "test"
    return f"{cleaned}-{uuid.uuid4().hex[:8]}"


def prometheus_query(url: str, expr: str, timeout: float = 5.0) -> list[dict]:
    """Runs an instant PromQL query and returns `data.result` (a list of
    {"metric": {...}, "value": [ts, "v"]}); raises on an HTTP or query error."""
    query = urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=timeout) as response:
        body = json.load(response)
    if body.get("status") != "success":
        raise RuntimeError(f"Prometheus query {expr!r} failed: {body}")
    return body["data"]["result"]


def _stack_settings() -> dict[str, str]:
    if not ENV_FILE.is_file():
        pytest.fail(f"{ENV_FILE} is missing: the local stack is not running. "
                    "Start it with `scripts/stack.sh start` (scripts/test.sh does this).")
    return edgestream_kafka.read_env_file(ENV_FILE)


def stack_environment(**overrides: str) -> dict[str, str]:
    """The environment to start a component with: this process's environment,
    the stack's settings (var/edgestream.env, with every component's Kafka
    credentials) and `overrides`."""
    return {**os.environ, **_stack_settings(), **overrides}


def kafka_config(extra: dict[str, Any] | None = None, role: str = "admin",
                 bootstrap: str | None = None) -> dict[str, Any]:
    """The one way to configure a confluent-kafka client for the local broker:
    bootstrap servers, TLS (checked against the stack's CA) and SASL/SCRAM as
    `role` ("admin", the super user tests act as; or "simulator",
    "processor", "archiver" to act with a component's rights), then `extra`
    (group.id, enable.idempotence, ...). `bootstrap` replaces the stack's
    address (e.g. a harness that was handed one)."""
    return edgestream_kafka.client_config(_stack_settings(), role, extra, bootstrap)


@pytest.fixture(scope="session")
def stack_env() -> dict[str, str]:
    """The local stack's settings from var/edgestream.env, as a dict
    (KAFKA_BOOTSTRAP_SERVERS, EDGESTREAM_KAFKA_* and every component's
    EDGESTREAM_<COMPONENT>_KAFKA_USERNAME / _PASSWORD_FILE, S3_ENDPOINT_URL,
    S3_BUCKET, AWS_*, PROMETHEUS_URL, EDGESTREAM_*_PORT, ...). To start a
    component with them: `subprocess.Popen(..., env={**os.environ, **stack_env})`
    or `env=stack_environment()`. For a Kafka client use `kafka_config`."""
    return _stack_settings()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder (scripts/, var/, ...)."""
    return REPO


@pytest.fixture(scope="session")
def bin_dir() -> Path:
    """Folder of the built binaries (EDGESTREAM_BIN_DIR, which ctest sets to
    <build>/bin)."""
    value = os.environ.get("EDGESTREAM_BIN_DIR")
    if not value:
        pytest.fail("EDGESTREAM_BIN_DIR is not set: run the test through ctest, "
                    "or set it to the bin/ folder of a build tree")
    path = Path(value)
    if not path.is_dir():
        pytest.fail(f"EDGESTREAM_BIN_DIR={path} is not a folder; build first (scripts/build.sh)")
    return path


@pytest.fixture(scope="session")
def kafka_bootstrap(stack_env: dict[str, str]) -> str:
    """Bootstrap servers of the local broker, e.g. "127.0.0.1:19092". Not
    enough to connect (the broker wants TLS + SASL): build clients with
    `kafka_config()`, which includes it."""
    return stack_env["KAFKA_BOOTSTRAP_SERVERS"]


@pytest.fixture(scope="session")
def kafka_admin(kafka_bootstrap: str):
    """A confluent_kafka AdminClient connected to the local broker as the
    admin principal (creates and deletes topics, may do anything)."""
    from confluent_kafka.admin import AdminClient

    return AdminClient(kafka_config(bootstrap=kafka_bootstrap))


@pytest.fixture
def unique_topic(kafka_admin, request) -> Callable[..., str]:
    """Factory: `unique_topic(partitions=3)` creates a topic whose name is
    unique to this test, waits until the broker serves it, and returns the
    name ("test-…", so the components' test ACLs cover it). Every topic made
    this way is deleted when the test ends."""
    from confluent_kafka.admin import NewTopic

    created: list[str] = []

    def create(partitions: int = 1, hint: str | None = None) -> str:
        name = unique_name(f"test-{hint or request.node.name}")
        futures = kafka_admin.create_topics([NewTopic(name, partitions, 1)], request_timeout=30)
        futures[name].result(timeout=30)
        created.append(name)
        wait_until(lambda: len(getattr(kafka_admin.list_topics(name, timeout=5).topics.get(name),
                                       "partitions", {})) == partitions,
                   30, f"topic {name} with {partitions} partitions to appear")
        return name

    yield create
    if created:
        for future in kafka_admin.delete_topics(created, request_timeout=30).values():
            try:
                future.result(timeout=30)
            except Exception as error:  # noqa: BLE001 - cleanup must not hide the test result
                print(f"cleanup: deleting a test topic failed: {error}")


@pytest.fixture(scope="session")
def s3_bucket(stack_env: dict[str, str]) -> str:
    """Name of the stack's bucket (S3_BUCKET, default edgestream-archive)."""
    return stack_env["S3_BUCKET"]


@pytest.fixture(scope="session")
def s3_client(stack_env: dict[str, str]):
    """A boto3 S3 client for the local S3 server, signing with the stack's
    local test credentials (SigV4, path-style addressing)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=stack_env["S3_ENDPOINT_URL"],
        aws_access_key_id=stack_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=stack_env["AWS_SECRET_ACCESS_KEY"],
        region_name=stack_env["AWS_REGION"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 3, "mode": "standard"}),
    )


@pytest.fixture
def s3_prefix(s3_client, s3_bucket: str, request) -> str:
    """A key prefix ("<test name>-<hex>/") unique to this test; objects under
    it are deleted when the test ends."""
    prefix = unique_name(f"test-{request.node.name}") + "/"
    yield prefix
    paginator = s3_client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=s3_bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            s3_client.delete_object(Bucket=s3_bucket, Key=item["Key"])


@pytest.fixture(scope="session")
def prometheus_url(stack_env: dict[str, str]) -> str:
    """Base URL of the stack's Prometheus, e.g. "http://127.0.0.1:19090"."""
    return stack_env["PROMETHEUS_URL"]


@pytest.fixture
def scrape_target(stack_env: dict[str, str]) -> Callable[..., Path]:
    """Factory: `scrape_target("127.0.0.1:PORT", job="processor")` makes
    Prometheus scrape one more instance (file-based discovery: a JSON file in
    EDGESTREAM_PROMETHEUS_TARGETS_DIR, picked up within seconds, no reload).
    Extra labels may be given as keyword arguments. The file is removed when
    the test ends."""
    folder = Path(stack_env["EDGESTREAM_PROMETHEUS_TARGETS_DIR"])
    written: list[Path] = []

    def register(address: str, job: str, **labels: str) -> Path:
        path = folder / f"{unique_name(job)}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps([{"targets": [address], "labels": {"job": job, **labels}}]))
        tmp.rename(path)  # whole file at once: Prometheus never reads half of it
        written.append(path)
        return path

    yield register
    for path in written:
        path.unlink(missing_ok=True)
