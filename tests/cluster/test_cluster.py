"""The local single-node Kubernetes (scripts/cluster.sh) runs real pods.

One pod from a locally built image serves a unique body behind a Service;
a second pod, on the same bridge, must find that Service through the
cluster DNS and get exactly that body back (a body check, not a status
check: something upstream of this machine may answer plain HTTP on its own),
reach the API server through the `kubernetes` Service, and open a TCP
connection to the local stack's Kafka listener through the local-stack
Service, which leads straight to the broker's port (refused if it is down).
"""
from __future__ import annotations

import json

from conftest import Cluster, unique_name, wait_until

ECHO_PORT = 8080


def _echo_manifest(cluster: Cluster, namespace: str, body: str) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "echo", "namespace": namespace, "labels": {"app": "echo"}},
         "spec": {"containers": [{
             "name": "echo", "image": cluster.probe_image, "imagePullPolicy": "Never",
             "args": ["serve", "-listen", f":{ECHO_PORT}", "-body", body],
             "ports": [{"containerPort": ECHO_PORT}],
             "readinessProbe": {"httpGet": {"path": "/", "port": ECHO_PORT}, "periodSeconds": 1}}]}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "echo", "namespace": namespace},
         "spec": {"selector": {"app": "echo"},
                  "ports": [{"port": 80, "targetPort": ECHO_PORT}]}},
    ]})


def _client_manifest(cluster: Cluster, namespace: str, checks: dict[str, list[str]]) -> str:
    return json.dumps({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "client", "namespace": namespace},
        "spec": {"restartPolicy": "Never", "containers": [
            {"name": name, "image": cluster.probe_image, "imagePullPolicy": "Never", "args": args}
            for name, args in checks.items()]}})


def test_pod_serves_through_service_dns_and_reaches_api_server_and_stack_kafka(
        cluster: Cluster, namespace: str, stack_env: dict[str, str]) -> None:
    body = unique_name("echo-body")
    cluster.apply(_echo_manifest(cluster, namespace, body))
    cluster.kubectl("wait", "--namespace", namespace, "--for=condition=Ready", "pod/echo",
                    "--timeout=120s", timeout=130)

    kafka_port = stack_env["EDGESTREAM_KAFKA_PORT"]
    retry = ["-retry-for", "30s"]
    checks = {
        "service-dns": ["get", "-url", f"http://echo.{namespace}.svc.cluster.local/",
                        "-expect", body, *retry],
        "api-server": ["connect", "-address", "kubernetes.default.svc.cluster.local:443", *retry],
        "stack-kafka": ["connect", "-address",
                        f"kafka.local-stack.svc.cluster.local:{kafka_port}", *retry],
    }
    cluster.apply(_client_manifest(cluster, namespace, checks))

    def finished() -> dict | None:
        pod = cluster.get("pod", "client", "--namespace", namespace)
        return pod if pod["status"].get("phase") in ("Succeeded", "Failed") else None

    pod = wait_until(finished, timeout=120, message="pod client did not finish its checks")
    outcomes = {}
    for status in pod["status"]["containerStatuses"]:
        terminated = status["state"].get("terminated", {})
        logs = cluster.kubectl("logs", "--namespace", namespace, "client", "-c", status["name"],
                               check=False)
        outcomes[status["name"]] = (terminated.get("exitCode"), (logs.stdout + logs.stderr).strip())
    failed = {name: outcome for name, outcome in outcomes.items() if outcome[0] != 0}
    assert not failed, f"checks failed in pod client: {failed}"
    assert set(outcomes) == set(checks)
