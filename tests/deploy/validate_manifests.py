#!/usr/bin/env python3
"""Validates rendered Kubernetes manifests offline.

Every document is checked against a schema: built-in kinds against the
Kubernetes OpenAPI schemas shipped in kubernetes-validate (strict: unknown
fields are errors), custom resources against the openAPIV3Schema of their CRD
(KEDA ScaledObject, prometheus-operator ServiceMonitor/PodMonitor/...), read
from the CRD manifests tests/deploy/install-tools.sh copies out of the
projects' Go modules. A kind with neither schema is an error, so nothing
passes unvalidated.

Then the chart policies edgestream promises (docs/deploy.md):
  - every workload runs as non-root with a read-only root file system, no
    privilege escalation and all capabilities dropped;
  - every container has resource requests, and liveness and readiness probes;
  - workloads are scheduled on hybrid nodes (eks.amazonaws.com/compute-type);
  - every workload has a PodDisruptionBudget and a ServiceMonitor selects its
    pods' Service;
  - a ScaledObject's maxReplicaCount does not exceed the partitions of the
    topic its Kafka trigger watches, and its Prometheus trigger scales at
    400 msg/s of raw-data; its Kafka trigger authenticates (SCRAM-SHA-512
    over TLS, a TriggerAuthentication of the release);
  - every KafkaUser authenticates with SCRAM-SHA-512 and has explicit ACLs,
    none on a wildcard name or with the All operation;
  - the edgestream containers carry Kafka credentials, and a transactional
    id that follows the pod name only on a StatefulSet (stable names);
  - the Kafka platform: KRaft with at least 3 combined nodes, the JMX
    exporter and kafka_exporter on, TLS + SCRAM-SHA-512 on every listener
    and ACL authorization, and the topics with their partition counts,
    3 replicas and min.insync.replicas 2.

Custom resources whose CRD is not available offline (Strimzi, Calico, EKS
Auto Mode) are named with --no-schema-kinds: they are reported as not
schema-checked and still go through the policies above.

Exit status 0 when all documents pass, 1 otherwise; one line per problem.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from typing import Any, Iterable

import jsonschema
import kubernetes_validate
import yaml

HYBRID_SELECTOR = ("eks.amazonaws.com/compute-type", "hybrid")
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet"}
# Partition counts of the topics (deploy/helm/edgestream-platform creates
# them); KEDA must never scale a consumer group beyond them.
TOPIC_PARTITIONS = {"raw-data": 3, "processed-data": 3, "raw-data-dlq": 3, "processed-data-dlq": 3, "processor-partials": 1}
RAW_RATE_THRESHOLD = 400


def load_documents(paths: Iterable[pathlib.Path]) -> list[tuple[str, dict[str, Any]]]:
    documents = []
    for path in paths:
        with path.open() as stream:
            for index, doc in enumerate(yaml.safe_load_all(stream)):
                if doc is None:
                    continue
                if not isinstance(doc, dict):
                    raise SystemExit(f"{path} document {index}: not a mapping")
                documents.append((f"{path.name}#{index}", doc))
    return documents


def load_crd_schemas(crd_dir: pathlib.Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> openAPIV3Schema of every served CRD version."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(crd_dir.rglob("*.yaml")):
        with path.open() as stream:
            for crd in yaml.safe_load_all(stream):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                group = crd["spec"]["group"]
                kind = crd["spec"]["names"]["kind"]
                for version in crd["spec"]["versions"]:
                    if version.get("served", True) and "schema" in version:
                        schemas[(f"{group}/{version['name']}", kind)] = version["schema"]["openAPIV3Schema"]
    if not schemas:
        raise SystemExit(f"no CRD schemas under {crd_dir}; run tests/deploy/install-tools.sh")
    return schemas


def strict(schema: Any) -> Any:
    """A CRD schema as the API server applies it: unknown fields of a
    structural schema are pruned, i.e. silently dropped, so here they are
    errors (as the strict OpenAPI validation of built-in kinds does)."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out and not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def schema_problems(name: str, doc: dict[str, Any], kube_version: str,
                    crds: dict[tuple[str, str], dict[str, Any]], no_schema_kinds: set[str]) -> list[str]:
    key = (doc.get("apiVersion", ""), doc.get("kind", ""))
    where = f"{name} {key[1]}/{doc.get('metadata', {}).get('name', '?')}"
    if key[1] in no_schema_kinds and key not in crds:
        print(f"note: {where}: {key[0]} has no CRD schema offline; checked by the policies only")
        return []
    if key in crds:
        validator = jsonschema.Draft7Validator(strict(crds[key]))
        return [f"{where}: {'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
                for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.path)))]
    try:
        kubernetes_validate.validate(doc, kube_version, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{where}: no schema for {key[0]} {key[1]} (neither Kubernetes {kube_version} nor a known CRD)"]
    except kubernetes_validate.ValidationError as error:
        path = "/".join(map(str, error.absolute_path)) or "<root>"
        return [f"{where}: {path}: {error.message}"]
    return []


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"]["template"]["spec"]


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def workload_problems(name: str, doc: dict[str, Any]) -> list[str]:
    where = f"{name} {doc['kind']}/{doc['metadata']['name']}"
    spec = pod_spec(doc)
    problems = []
    pod_security = spec.get("securityContext", {})
    if pod_security.get("runAsNonRoot") is not True:
        problems.append(f"{where}: pod securityContext.runAsNonRoot is not true")
    if spec.get("nodeSelector", {}).get(HYBRID_SELECTOR[0]) != HYBRID_SELECTOR[1]:
        problems.append(f"{where}: not scheduled on hybrid nodes (nodeSelector {HYBRID_SELECTOR[0]}: {HYBRID_SELECTOR[1]})")
    for container in spec.get("initContainers", []) + spec["containers"]:
        cwhere = f"{where} container {container['name']}"
        security = container.get("securityContext", {})
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{cwhere}: root file system is not read-only")
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{cwhere}: allowPrivilegeEscalation is not false")
        if "ALL" not in security.get("capabilities", {}).get("drop", []):
            problems.append(f"{cwhere}: capabilities are not all dropped")
        if security.get("privileged"):
            problems.append(f"{cwhere}: privileged")
        run_as_user = security.get("runAsUser", pod_security.get("runAsUser"))
        if run_as_user == 0:
            problems.append(f"{cwhere}: runs as uid 0")
        if not container.get("resources", {}).get("requests"):
            problems.append(f"{cwhere}: no resource requests")
        for probe in ("livenessProbe", "readinessProbe"):
            if probe not in container:
                problems.append(f"{cwhere}: no {probe}")
        env = {e["name"]: e for e in container.get("env", [])}
        command = " ".join(container.get("command", []))
        component = command.split()[0].removeprefix("edgestream-").upper() if command else ""
        password_file = f"EDGESTREAM_{component}_KAFKA_PASSWORD_FILE"
        if command.startswith("edgestream-") and password_file not in env:
            problems.append(f"{cwhere}: no Kafka credentials ({password_file}); the brokers accept SCRAM users only")
        instance = env.get("EDGESTREAM_PROCESSOR_INSTANCE_ID", {})
        if (doc["kind"] != "StatefulSet"
                and instance.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.name"):
            problems.append(f"{cwhere}: the transactional id follows the pod name of a {doc['kind']}: a replacement pod "
                            "is a new producer and cannot fence its predecessor's open transaction (use a StatefulSet)")
    return problems


def coverage_problems(documents: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Every workload needs a PDB and a ServiceMonitor that reach its pods."""
    problems = []
    by_kind: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, doc in documents:
        by_kind.setdefault(doc.get("kind", ""), []).append((name, doc))
    for name, doc in documents:
        if doc.get("kind") not in WORKLOAD_KINDS:
            continue
        where = f"{name} {doc['kind']}/{doc['metadata']['name']}"
        namespace = doc["metadata"].get("namespace")
        pod_labels = doc["spec"]["template"]["metadata"].get("labels", {})
        pdbs = [p for _, p in by_kind.get("PodDisruptionBudget", [])
                if p["metadata"].get("namespace") == namespace
                and labels_match(p["spec"]["selector"].get("matchLabels", {}), pod_labels)]
        if not pdbs:
            problems.append(f"{where}: no PodDisruptionBudget selects its pods")
        services = [s for _, s in by_kind.get("Service", [])
                    if s["metadata"].get("namespace") == namespace
                    and s["spec"].get("selector") and labels_match(s["spec"]["selector"], pod_labels)]
        monitored = any(
            labels_match(m["spec"]["selector"].get("matchLabels", {}), s["metadata"].get("labels", {}))
            for _, m in by_kind.get("ServiceMonitor", []) for s in services
            if namespace in m["spec"].get("namespaceSelector", {}).get("matchNames", [namespace]))
        if not monitored:
            problems.append(f"{where}: no ServiceMonitor selects a Service of its pods")
    return problems


def scaledobject_problems(name: str, doc: dict[str, Any], documents: list[tuple[str, dict[str, Any]]]) -> list[str]:
    where = f"{name} ScaledObject/{doc['metadata']['name']}"
    spec = doc["spec"]
    problems = []
    target = spec["scaleTargetRef"]
    if not any(d.get("kind") == target.get("kind", "Deployment") and d["metadata"]["name"] == target["name"]
               and d["metadata"].get("namespace") == doc["metadata"].get("namespace") for _, d in documents):
        problems.append(f"{where}: scale target {target.get('kind', 'Deployment')}/{target['name']} is not in the release")
    kafka = [t for t in spec["triggers"] if t["type"] == "kafka"]
    prometheus = [t for t in spec["triggers"] if t["type"] == "prometheus"]
    if not kafka:
        problems.append(f"{where}: no Kafka consumer-lag trigger")
    for trigger in kafka:
        topic = trigger["metadata"].get("topic")
        partitions = TOPIC_PARTITIONS.get(topic)
        if partitions is None:
            problems.append(f"{where}: Kafka trigger watches unknown topic {topic!r}")
        elif spec.get("maxReplicaCount", 100) > partitions:
            problems.append(f"{where}: maxReplicaCount {spec.get('maxReplicaCount', 100)} exceeds the {partitions} partitions of {topic}")
        if not trigger["metadata"].get("consumerGroup"):
            problems.append(f"{where}: Kafka trigger without consumerGroup")
        if trigger["metadata"].get("sasl") != "scram_sha512" or trigger["metadata"].get("tls") != "enable":
            problems.append(f"{where}: Kafka trigger does not use SASL SCRAM-SHA-512 over TLS (the brokers' only listener)")
        auth = trigger.get("authenticationRef", {}).get("name")
        if not auth:
            problems.append(f"{where}: Kafka trigger without authenticationRef")
        elif not any(d.get("kind") == "TriggerAuthentication" and d["metadata"]["name"] == auth
                     and d["metadata"].get("namespace") == doc["metadata"].get("namespace") for _, d in documents):
            problems.append(f"{where}: TriggerAuthentication {auth} is not in the release")
    if not prometheus:
        problems.append(f"{where}: no Prometheus raw-data rate trigger")
    for trigger in prometheus:
        if 'topic="raw-data"' not in trigger["metadata"].get("query", ""):
            problems.append(f"{where}: Prometheus trigger does not measure the raw-data rate")
        if float(trigger["metadata"].get("threshold", "nan")) != RAW_RATE_THRESHOLD:
            problems.append(f"{where}: Prometheus trigger threshold is not {RAW_RATE_THRESHOLD} msg/s")
    return problems


def kafka_user_problems(name: str, doc: dict[str, Any]) -> list[str]:
    """Least privilege: SCRAM users with explicit ACLs, no wildcard names and
    no "All" operations."""
    where = f"{name} KafkaUser/{doc['metadata']['name']}"
    spec = doc.get("spec", {})
    problems = []
    if spec.get("authentication", {}).get("type") != "scram-sha-512":
        problems.append(f"{where}: authentication is not scram-sha-512")
    authorization = spec.get("authorization", {})
    if authorization.get("type") != "simple" or not authorization.get("acls"):
        problems.append(f"{where}: no simple-authorization ACLs")
    for acl in authorization.get("acls", []):
        resource = acl.get("resource", {})
        operations = acl.get("operations", [acl.get("operation")] if acl.get("operation") else [])
        if resource.get("name") == "*" or (resource.get("type") != "cluster" and not resource.get("name")):
            problems.append(f"{where}: ACL on every {resource.get('type')} (wildcard name)")
        if "All" in operations:
            problems.append(f"{where}: ACL grants All on {resource.get('type')} {resource.get('name', '')}".rstrip())
    return problems


def kafka_platform_problems(documents: list[tuple[str, dict[str, Any]]]) -> list[str]:
    kinds = {doc.get("kind") for _, doc in documents}
    if not kinds & {"Kafka", "KafkaNodePool", "KafkaTopic"}:
        return []
    problems = []
    topics = {}
    for name, doc in documents:
        kind = doc.get("kind")
        where = f"{name} {kind}/{doc['metadata']['name']}"
        spec = doc.get("spec", {})
        if kind == "KafkaTopic":
            topic = spec.get("topicName", doc["metadata"]["name"])
            topics[topic] = spec
            if spec.get("replicas") != 3:
                problems.append(f"{where}: replicas {spec.get('replicas')} (want 3)")
            if int(spec.get("config", {}).get("min.insync.replicas", 1)) != 2:
                problems.append(f"{where}: min.insync.replicas is not 2")
        elif kind == "KafkaNodePool":
            if spec.get("replicas", 0) < 3:
                problems.append(f"{where}: fewer than 3 nodes")
            if not {"controller", "broker"} <= set(spec.get("roles", [])):
                problems.append(f"{where}: nodes are not both KRaft controllers and brokers")
        elif kind == "Kafka":
            if doc["metadata"].get("annotations", {}).get("strimzi.io/kraft") != "enabled":
                problems.append(f"{where}: KRaft is not enabled")
            if spec.get("kafka", {}).get("metricsConfig", {}).get("type") != "jmxPrometheusExporter":
                problems.append(f"{where}: the JMX Prometheus exporter is not on")
            if "kafkaExporter" not in spec:
                problems.append(f"{where}: kafka_exporter is not deployed")
            for listener in spec.get("kafka", {}).get("listeners", []):
                if listener.get("tls") is not True or listener.get("authentication", {}).get("type") != "scram-sha-512":
                    problems.append(f"{where}: listener {listener.get('name')} is not TLS with SCRAM-SHA-512 authentication")
            if spec.get("kafka", {}).get("authorization", {}).get("type") != "simple":
                problems.append(f"{where}: no ACL authorization (kafka.authorization.type simple)")
    for topic, partitions in TOPIC_PARTITIONS.items():
        if topic not in topics:
            problems.append(f"KafkaTopic {topic}: missing")
        elif topics[topic].get("partitions") != partitions:
            problems.append(f"KafkaTopic {topic}: {topics[topic].get('partitions')} partitions (want {partitions})")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kube-version", required=True, help="Kubernetes version of the OpenAPI schemas, e.g. 1.34.0")
    parser.add_argument("--crds", required=True, type=pathlib.Path, help="directory of CRD manifests")
    parser.add_argument("--no-schema-kinds", default="", help="comma-separated kinds accepted without a schema")
    parser.add_argument("--no-coverage", action="store_true",
                        help="skip the PodDisruptionBudget/ServiceMonitor coverage of workloads (plain test manifests)")
    parser.add_argument("manifests", nargs="+", type=pathlib.Path)
    args = parser.parse_args()

    crds = load_crd_schemas(args.crds)
    no_schema_kinds = {k for k in args.no_schema_kinds.split(",") if k}
    problems: list[str] = []
    checked = 0
    for manifest in args.manifests:
        documents = load_documents([manifest])
        for name, doc in documents:
            checked += 1
            problems += schema_problems(name, doc, args.kube_version, crds, no_schema_kinds)
            if doc.get("kind") in WORKLOAD_KINDS:
                problems += workload_problems(name, doc)
            if doc.get("kind") == "ScaledObject":
                problems += scaledobject_problems(name, doc, documents)
            if doc.get("kind") == "KafkaUser":
                problems += kafka_user_problems(name, doc)
        if not args.no_coverage:
            problems += coverage_problems(documents)
        problems += kafka_platform_problems(documents)

    for problem in problems:
        print(problem)
    print(f"validate_manifests: {checked} documents, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
