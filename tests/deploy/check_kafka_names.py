#!/usr/bin/env python3
"""Cross-checks the Kafka topic, consumer-group and ACL names of the binaries,
the local stack, the charts and the rendered manifests.

A component that needs a topic the deployment does not create exits on the
cluster (topic auto-creation is off), and a KafkaUser whose ACLs name another
topic or group than the component uses fails with an authorization error
only at run time. The names live in several places because each consumer
reads its own format; this check makes them one list in effect:

  binaries     the defaults in the components' public headers
               (`std::string input_topic = "raw-data";`, `group_id`, ...)
  local stack  scripts/stack.sh's `topics=(name:partitions ...)`
  chart        deploy/helm/edgestream/values.yaml kafka.topics and the
               consumer groups of the processor and the archiver
  platform     deploy/helm/edgestream-platform/values.yaml kafka.topics
  manifests    (optional) rendered KafkaUser ACLs: every topic and group they
               name must be one of the above

Each problem is one line; exit status 1 when there is any.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys
from typing import Any

import yaml

HEADER_FIELD = re.compile(r'std::string\s+(\w+)\s*=\s*"([^"]+)"\s*;')
STACK_TOPICS = re.compile(r"topics=\(([^)]*)\)")


def header_names(paths: list[pathlib.Path]) -> tuple[dict[str, str], dict[str, str]]:
    """(topics, groups) the binaries default to: 'file:field' -> name."""
    topics: dict[str, str] = {}
    groups: dict[str, str] = {}
    for path in paths:
        for field, value in HEADER_FIELD.findall(path.read_text()):
            key = f"{path.name}:{field}"
            if field == "topic" or field.endswith("_topic"):
                topics[key] = value
            elif field == "group_id":
                groups[key] = value
    return topics, groups


def stack_topics(path: pathlib.Path) -> set[str]:
    match = STACK_TOPICS.search(path.read_text())
    if not match:
        raise SystemExit(f"{path}: no topics=(...) list found")
    return {spec.split(":")[0] for spec in match.group(1).split()}


def acl_names(manifests: list[pathlib.Path]) -> list[tuple[str, str, str, str]]:
    """(user, resource type, name, pattern type) of every rendered KafkaUser ACL."""
    names = []
    for path in manifests:
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") != "KafkaUser":
                continue
            user = doc["metadata"]["name"]
            for acl in doc.get("spec", {}).get("authorization", {}).get("acls", []):
                resource = acl.get("resource", {})
                if resource.get("type") in ("topic", "group", "transactionalId"):
                    names.append((user, resource["type"], resource.get("name", ""),
                                  resource.get("patternType", "literal")))
    return names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--headers", nargs="+", type=pathlib.Path, required=True)
    parser.add_argument("--stack", type=pathlib.Path, required=True)
    parser.add_argument("--chart-values", type=pathlib.Path, required=True)
    parser.add_argument("--platform-values", type=pathlib.Path, required=True)
    parser.add_argument("--manifests", nargs="*", type=pathlib.Path, default=[])
    args = parser.parse_args()

    binary_topics, binary_groups = header_names(args.headers)
    if not binary_topics or not binary_groups:
        print(f"no topic or group defaults found in {', '.join(map(str, args.headers))}", file=sys.stderr)
        return 1
    chart: dict[str, Any] = yaml.safe_load(args.chart_values.read_text())
    platform: dict[str, Any] = yaml.safe_load(args.platform_values.read_text())
    chart_topics = dict(chart["kafka"]["topics"])
    chart_groups = {c: chart[c]["consumerGroup"] for c in ("processor", "archiver")}
    platform_topics = {t["name"] for t in platform["kafka"]["topics"]}
    local_topics = stack_topics(args.stack)

    problems = []
    for where, topic in sorted(binary_topics.items()):
        if topic not in platform_topics:
            problems.append(f"topic {topic} ({where}) is not created by the platform chart ({args.platform_values})")
        if topic not in chart_topics.values():
            problems.append(f"topic {topic} ({where}) is not in the edgestream chart's kafka.topics")
        if topic not in local_topics:
            problems.append(f"topic {topic} ({where}) is not created by the local stack ({args.stack})")
    for key, topic in sorted(chart_topics.items()):
        if topic not in platform_topics:
            problems.append(f"topic {topic} (chart kafka.topics.{key}) is not created by the platform chart")
    for topic in sorted(platform_topics - set(binary_topics.values())):
        problems.append(f"topic {topic} is created by the platform chart but no component uses it")
    for where, group in sorted(binary_groups.items()):
        if group not in chart_groups.values():
            problems.append(f"group {group} ({where}) is not a consumerGroup of the edgestream chart")

    # Prefixed ACLs of the processor's groups (the main group and the partials
    # readers derived from it) are allowed when a known name starts with them.
    known = {"topic": platform_topics, "group": set(chart_groups.values())}
    for user, kind, name, pattern in acl_names(args.manifests):
        if kind == "transactionalId":
            continue
        names = known[kind]
        if pattern == "prefix":
            ok = any(n.startswith(name) for n in names)
        else:
            ok = name in names
        if not ok:
            problems.append(f"KafkaUser {user}: ACL on {kind} {name} ({pattern}) names no {kind} of the deployment")
    if args.manifests and not acl_names(args.manifests):
        problems.append("no KafkaUser ACL in the rendered manifests; the cross-check saw nothing")

    for problem in problems:
        print(problem)
    print(f"check_kafka_names: {len(binary_topics)} topic and {len(binary_groups)} group defaults of the binaries, "
          f"{len(platform_topics)} platform topics, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
