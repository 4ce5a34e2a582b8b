"""Creates the local stack's topics and ACLs, as the admin principal.

Run by scripts/stack.sh at every start (both steps are idempotent: a topic or
an ACL that exists is left as it is), so a topic deleted by hand comes back.

ACLs: each component's principal may touch only its own topics, groups and
transactional ids (the real names, LITERAL), plus the test namespace:
topics whose names start with `test-` and the groups and transactional ids
the test harnesses use (`test-`, and `processor-` / `archiver-` for the
component of that name). docs/stack.md explains the choice.

Usage: provision.py --bootstrap HOST:PORT --ca-file CA --admin-password-file FILE
                    [--topic NAME:PARTITIONS ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "lib"))

from confluent_kafka import KafkaException  # noqa: E402
from confluent_kafka.admin import (  # noqa: E402
    AclBinding, AclOperation, AclPermissionType, AdminClient, NewTopic, ResourcePatternType,
    ResourceType)

from edgestream_kafka import security_config  # noqa: E402

TOPIC, GROUP, TXN, CLUSTER = (ResourceType.TOPIC, ResourceType.GROUP,
                              ResourceType.TRANSACTIONAL_ID, ResourceType.BROKER)
LITERAL, PREFIXED = ResourcePatternType.LITERAL, ResourcePatternType.PREFIXED
READ, WRITE, DESCRIBE, IDEMPOTENT_WRITE, DESCRIBE_CONFIGS = (
    AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.IDEMPOTENT_WRITE,
    AclOperation.DESCRIBE_CONFIGS)
TEST_PREFIX = "test-"

# principal -> (resource type, name, pattern, operations). READ and WRITE
# imply DESCRIBE; the names are the components' defaults
# (src/*/include/edgestream/*/*.h; the processor's transactional id is
# "<group id>-<instance id>").
GRANTS = {
    "simulator": [
        (TOPIC, "raw-data", LITERAL, [WRITE]),
        (CLUSTER, "kafka-cluster", LITERAL, [IDEMPOTENT_WRITE]),
        (TOPIC, TEST_PREFIX, PREFIXED, [WRITE]),
    ],
    "processor": [
        (TOPIC, "raw-data", LITERAL, [READ]),
        # DESCRIBE_CONFIGS on what it writes: it reads their max.message.bytes
        # at start-up to size its producer (docs/processing-semantics.md, section 8).
        (TOPIC, "processor-partials", LITERAL, [READ, WRITE, DESCRIBE_CONFIGS]),
        (TOPIC, "processed-data", LITERAL, [WRITE, DESCRIBE_CONFIGS]),
        (TOPIC, "raw-data-dlq", LITERAL, [WRITE, DESCRIBE_CONFIGS]),
        (GROUP, "edgestream-processor", LITERAL, [READ]),
        (TXN, "edgestream-processor-", PREFIXED, [WRITE, DESCRIBE]),
        (CLUSTER, "kafka-cluster", LITERAL, [IDEMPOTENT_WRITE]),
        (TOPIC, TEST_PREFIX, PREFIXED, [READ, WRITE, DESCRIBE_CONFIGS]),
        (GROUP, TEST_PREFIX, PREFIXED, [READ]),
        (GROUP, "processor-", PREFIXED, [READ]),
        (TXN, TEST_PREFIX, PREFIXED, [WRITE, DESCRIBE]),
        (TXN, "processor-", PREFIXED, [WRITE, DESCRIBE]),
    ],
    "archiver": [
        (TOPIC, "processed-data", LITERAL, [READ]),
        (TOPIC, "processed-data-dlq", LITERAL, [WRITE]),
        (GROUP, "edgestream-archiver", LITERAL, [READ]),
        (CLUSTER, "kafka-cluster", LITERAL, [IDEMPOTENT_WRITE]),
        (TOPIC, TEST_PREFIX, PREFIXED, [READ, WRITE]),
        (GROUP, TEST_PREFIX, PREFIXED, [READ]),
        (GROUP, "archiver-", PREFIXED, [READ]),
    ],
    # edgestream-audit reads processed-data by assignment: no group, no commit.
    "audit": [
        (TOPIC, "processed-data", LITERAL, [READ]),
        (TOPIC, TEST_PREFIX, PREFIXED, [READ]),
    ],
    # Offsets of every topic and every group, nothing else (no READ: it
    # cannot consume a record or join a group).
    "kafka-exporter": [
        (TOPIC, "*", LITERAL, [DESCRIBE]),
        (GROUP, "*", LITERAL, [DESCRIBE]),
    ],
}


def bindings() -> list[AclBinding]:
    out = []
    for user, grants in GRANTS.items():
        for resource, name, pattern, operations in grants:
            for operation in operations:
                out.append(AclBinding(resource, name, pattern, f"User:{user}", "*", operation,
                                      AclPermissionType.ALLOW))
    return out


def ensure_topics(admin: AdminClient, specs: list[str]) -> None:
    existing = set(admin.list_topics(timeout=20).topics)
    wanted = {}
    for spec in specs:
        name, _, partitions = spec.partition(":")
        if name not in existing:
            wanted[name] = int(partitions)
    if not wanted:
        return
    futures = admin.create_topics([NewTopic(n, p, 1) for n, p in wanted.items()], request_timeout=30)
    for name, future in futures.items():
        try:
            future.result(30)
        except KafkaException as error:
            if error.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise SystemExit(f"provision: creating topic {name} failed: {error}") from error
        print(f"stack: created topic {name} ({wanted[name]} partitions)")


def ensure_acls(admin: AdminClient) -> None:
    wanted = bindings()
    # The authorizer may still be loading right after the broker answers its
    # first metadata request; a few retries cover that.
    deadline = time.monotonic() + 30
    while True:
        failures = []
        for binding, future in admin.create_acls(wanted, request_timeout=30).items():
            try:
                future.result(30)
            except KafkaException as error:
                failures.append((binding, error))
        if not failures:
            return
        if time.monotonic() >= deadline:
            detail = "; ".join(f"{b}: {e}" for b, e in failures[:3])
            raise SystemExit(f"provision: {len(failures)} ACLs could not be created: {detail}")
        wanted = [binding for binding, _ in failures]
        time.sleep(0.5)  # the broker asked us to come back; no condition to poll


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--ca-file", required=True)
    parser.add_argument("--admin-password-file", required=True)
    parser.add_argument("--topic", action="append", default=[])
    args = parser.parse_args()
    config = {"bootstrap.servers": args.bootstrap,
              **security_config("SASL_SSL", args.ca_file, "admin", args.admin_password_file)}
    admin = AdminClient(config)
    ensure_topics(admin, args.topic)
    ensure_acls(admin)


if __name__ == "__main__":
    main()
