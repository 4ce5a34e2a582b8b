"""Fixtures of the local Kubernetes cluster's tests (scripts/cluster.sh).

The local stack's fixtures (stack_env, wait_until, ...) are the integration
tests' own, loaded from tests/integration/conftest.py so that a change there
(the broker's TLS settings, say) reaches these tests too.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

_INTEGRATION_CONFTEST = Path(__file__).resolve().parents[1] / "integration" / "conftest.py"
_spec = importlib.util.spec_from_file_location("edgestream_integration_conftest", _INTEGRATION_CONFTEST)
assert _spec is not None and _spec.loader is not None
integration = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = integration
_spec.loader.exec_module(integration)

stack_env = integration.stack_env
repo_root = integration.repo_root
wait_until = integration.wait_until
unique_name = integration.unique_name
# What the integration tests' harnesses (processor_harness, test_archiver)
# import from `conftest`, which for a test in this folder is this module.
kafka_config = integration.kafka_config
stack_environment = integration.stack_environment
prometheus_query = integration.prometheus_query
REPO = integration.REPO
sys.path.insert(0, str(_INTEGRATION_CONFTEST.parent))

CLUSTER_SH = REPO / "scripts" / "cluster.sh"
CLUSTER_ENV = REPO / "var" / "cluster" / "cluster.env"


class Cluster:
    """The running local cluster: kubectl with its kubeconfig, its images."""

    def __init__(self, settings: dict[str, str]):
        self.settings = settings
        self.kubectl_path = settings["EDGESTREAM_CLUSTER_KUBECTL"]
        self.kubeconfig = settings["KUBECONFIG"]
        self.probe_image = settings["EDGESTREAM_CLUSTER_PROBE_IMAGE"]

    def kubectl(self, *args: str, input: str | None = None, check: bool = True,
                timeout: float = 60) -> subprocess.CompletedProcess:
        result = subprocess.run([self.kubectl_path, "--kubeconfig", self.kubeconfig, *args],
                                input=input, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}{result.stderr}")
        return result

    def get(self, *args: str) -> Any:
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def apply(self, manifest: str) -> None:
        self.kubectl("apply", "-f", "-", input=manifest)


def _read_settings() -> dict[str, str]:
    settings = {}
    for line in CLUSTER_ENV.read_text().splitlines():
        key, _, value = line.partition("=")
        settings[key] = value
    return settings


def _cluster_sh(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(CLUSTER_SH), command], capture_output=True, text=True,
                          env=env, timeout=900)


@pytest.fixture(scope="session")
def cluster(stack_env: dict[str, str]) -> Iterator[Cluster]:
    """The local cluster: the running one if `scripts/cluster.sh status` finds
    it, else one brought up for this session and taken down after it."""
    if os.geteuid() != 0:
        pytest.fail("the local cluster needs root (kubelet, bridge, iptables); run the tests as root")
    env = {**os.environ, **stack_env}
    started_here = _cluster_sh("status", env).returncode != 0
    if started_here:
        up = _cluster_sh("up", env)
        if up.returncode != 0:
            down = _cluster_sh("down", env)
            pytest.fail(f"scripts/cluster.sh up failed:\n{up.stderr[-4000:]}\n"
                        f"(down: {down.returncode}) logs: var/cluster/log/")
    try:
        yield Cluster(_read_settings())
    finally:
        if started_here:
            down = _cluster_sh("down", env)
            assert down.returncode == 0, f"scripts/cluster.sh down failed:\n{down.stderr}"


@pytest.fixture
def namespace(cluster: Cluster, request) -> Iterator[str]:
    """A namespace of its own for one test, deleted after it."""
    hint = request.node.name.replace("_", "-").lower()[:40].strip("-")
    name = unique_name(hint)
    cluster.kubectl("create", "namespace", name)
    try:
        yield name
    finally:
        cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)
