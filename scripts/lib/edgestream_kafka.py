"""How a Python client reaches the local stack's Kafka broker.

The broker accepts only TLS + SASL/SCRAM-SHA-512 clients, and each principal
may touch only its own topics and groups (docs/stack.md). This module is the
one place that turns the stack's environment (var/edgestream.env) into a
librdkafka / confluent-kafka configuration; the integration tests (through
tests/integration/conftest.py's `kafka_config`), the benchmarks and the
stack's own set-up (stack/kafka/provision.py) all use it.

Roles are the principals the stack creates: "admin" (super user: tests'
own producers and readers, topic and ACL management), "simulator",
"processor", "archiver", "audit". Their credentials come from
EDGESTREAM_<ROLE>_KAFKA_USERNAME and EDGESTREAM_<ROLE>_KAFKA_PASSWORD_FILE,
the same variables the C++ components read.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any, Mapping

ROLES = ("admin", "simulator", "processor", "archiver", "audit")


def read_env_file(path: Path | str) -> dict[str, str]:
    """The `export KEY=value` lines of a shell-sourceable file, as a dict."""
    values: dict[str, str] = {}
    for line in Path(path).read_text().splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0] == "export":
            words = words[1:]
        for word in words:
            key, _, value = word.partition("=")
            values[key] = value
    return values


def read_stack_env(repo: Path | str) -> dict[str, str]:
    """The local stack's settings (var/edgestream.env of the checkout at
    `repo`, written by scripts/stack.sh start), as a dict."""
    path = Path(repo) / "var" / "edgestream.env"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: start the local stack with `scripts/stack.sh start`")
    return read_env_file(path)


def read_password(path: Path | str) -> str:
    """A password file's content without its trailing newline, read the
    same way the C++ components read --kafka-password-file."""
    text = Path(path).read_text()
    if text.endswith("\n"):
        text = text[:-1]
    if text.endswith("\r"):
        text = text[:-1]
    if not text:
        raise ValueError(f"the Kafka password file {path} is empty")
    return text


def security_config(protocol: str, ca_file: str = "", username: str = "", password_file: str = "",
                    mechanism: str = "") -> dict[str, str]:
    """librdkafka properties for one identity; mirrors the C++
    kafka::security_properties (TLS host name check always on)."""
    config: dict[str, str] = {}
    protocol = protocol.lower()
    if not protocol:
        return config
    config["security.protocol"] = protocol
    if protocol in ("ssl", "sasl_ssl"):
        config["ssl.endpoint.identification.algorithm"] = "https"
        if ca_file:
            config["ssl.ca.location"] = ca_file
    if protocol.startswith("sasl_"):
        if not username or not password_file:
            raise ValueError(f"security protocol {protocol} needs a user name and a password file")
        config["sasl.mechanisms"] = mechanism or "SCRAM-SHA-512"
        config["sasl.username"] = username
        config["sasl.password"] = read_password(password_file)
    return config


def client_config(env: Mapping[str, str], role: str = "admin", extra: Mapping[str, Any] | None = None,
                  bootstrap: str | None = None) -> dict[str, Any]:
    """A complete client configuration for `role` on the stack that `env`
    (var/edgestream.env as a dict) describes, with `extra` settings
    (group.id, enable.idempotence, ...) applied last."""
    if role not in ROLES:
        raise ValueError(f"unknown Kafka role {role!r}; one of {', '.join(ROLES)}")
    prefix = f"EDGESTREAM_{role.upper()}_KAFKA_"
    config: dict[str, Any] = {"bootstrap.servers": bootstrap or env["KAFKA_BOOTSTRAP_SERVERS"]}
    config.update(security_config(env.get("EDGESTREAM_KAFKA_SECURITY_PROTOCOL", ""),
                                  env.get("EDGESTREAM_KAFKA_CA_FILE", ""),
                                  env.get(prefix + "USERNAME", ""), env.get(prefix + "PASSWORD_FILE", ""),
                                  env.get("EDGESTREAM_KAFKA_SASL_MECHANISM", "")))
    config.update(extra or {})
    return config
