"""An S3 server behind a link that can be cut: a network namespace joined to
the host by a veth pair, and a private versitygw inside it.

This is how the edge-to-AWS VPN going down is played on one machine, both
by the archiver's integration tests (tests/integration/test_archiver.py)
and by the resilience drills (scripts/drill.py). The archiver runs on the
host and reaches the server at the namespace's address; `cut()` takes the
far end of the veth down, so packets are dropped and connections stall (as
on a real cut link) instead of being refused; `restore()` brings it back.

Needs root (ip netns, ip link) and iproute2. Addresses are 10.200.N.0/30,
with an `unreachable` route over 10.200.N.0/24 while the namespace exists,
so traffic for it never leaves the host even when the veth route is gone.
"""
from __future__ import annotations

import os
import random
import secrets
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]


class NetnsError(RuntimeError):
    """Setting up or using the namespace failed; the message says what to do."""


def _ip(*args: str, netns: str | None = None) -> None:
    command = (["ip", "netns", "exec", netns] if netns else []) + ["ip", *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise NetnsError(f"{' '.join(command)}: {result.stderr.strip()} (needs root and iproute2)")


class LinkNamespace:
    """A network namespace with a veth pair to the host: 10.200.N.1 on the
    host side (`host_if`), 10.200.N.2 (`address`) inside `name`. Use it as a
    context manager; everything it made is removed on exit, even after a
    failure half-way through the set-up. `prefix` names the namespace and the
    interfaces, so that each user's leftovers are recognisable."""

    def __init__(self, prefix: str = "esarch"):
        if shutil.which("ip") is None:
            raise NetnsError("iproute2 (ip) is required to cut a link in a network namespace")
        tag = uuid.uuid4().hex[:6]
        # Interface names are limited to 15 characters (IFNAMSIZ - 1).
        self.name, self.host_if, self.ns_if = f"{prefix}-{tag}", f"esa{tag}", f"esb{tag}"
        self.address = ""
        self.host_address = ""
        self._cleanup: list[Callable[[], None]] = []

    def __enter__(self) -> "LinkNamespace":
        try:
            self._create()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _create(self) -> None:
        used = subprocess.run(["ip", "route"], capture_output=True, text=True, check=True).stdout
        subnet = next(n for n in random.sample(range(1, 255), 254) if f"10.200.{n}." not in used)
        self.host_address, self.address = f"10.200.{subnet}.1", f"10.200.{subnet}.2"
        _ip("netns", "add", self.name)
        self._cleanup.append(lambda: _ip("netns", "del", self.name))
        _ip("route", "add", "unreachable", f"10.200.{subnet}.0/24")
        self._cleanup.append(lambda: _ip("route", "del", "unreachable", f"10.200.{subnet}.0/24"))
        _ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
        self._cleanup.append(lambda: _ip("link", "del", self.host_if))
        _ip("link", "set", self.ns_if, "netns", self.name)
        _ip("addr", "add", f"{self.host_address}/30", "dev", self.host_if)
        _ip("link", "set", self.host_if, "up")
        _ip("addr", "add", f"{self.address}/30", "dev", self.ns_if, netns=self.name)
        _ip("link", "set", self.ns_if, "up", netns=self.name)
        _ip("link", "set", "lo", "up", netns=self.name)

    def cut(self) -> None:
        """The far end goes dark: packets to it are dropped, connections stall."""
        _ip("link", "set", self.ns_if, "down", netns=self.name)

    def restore(self) -> None:
        _ip("link", "set", self.ns_if, "up", netns=self.name)

    def close(self) -> None:
        while self._cleanup:
            action = self._cleanup.pop()
            try:
                action()
            except NetnsError as error:
                print(f"netns cleanup: {error}")


def _wait_until(predicate: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception as error:  # noqa: BLE001 - "not yet" while the server starts
            last = error
        time.sleep(0.2)
    raise NetnsError(f"{what} not ready after {timeout:g}s" + (f"; last error: {last!r}" if last else ""))


def s3_client_for(endpoint: str, access_key: str, secret_key: str, region: str):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access_key,
                        aws_secret_access_key=secret_key, region_name=region,
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                      retries={"max_attempts": 2, "mode": "standard"},
                                      # Short: behind a cut link a request must fail fast, not hang.
                                      connect_timeout=2, read_timeout=10))


class VersityGw:
    """A private S3 server (the stack's versitygw binary) with its own root
    directory and credentials, so its user may stop it or cut its link
    without disturbing others. `netns` runs it inside a network namespace."""

    def __init__(self, root: Path, address: str, port: int, netns: str | None = None):
        binaries = sorted((REPO / "var" / "cache" / "bin").glob("versitygw-v*"))
        if not binaries:
            raise NetnsError("no versitygw binary under var/cache/bin: run scripts/stack.sh start once")
        self.binary = binaries[-1]
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.address, self.port, self.netns = address, port, netns
        self.endpoint = f"http://{address}:{port}"
        self.access_key = "TEST" + secrets.token_hex(8).upper()
        self.secret_key = secrets.token_hex(20)
        self.region = "us-east-1"
        self.process: subprocess.Popen | None = None
        self.log = self.root.parent / f"versitygw-{port}.log"

    def start(self) -> "VersityGw":
        command = [str(self.binary), "--port", f"{self.address}:{self.port}", "--region", self.region,
                   "--quiet", "posix", str(self.root)]
        if self.netns:
            command = ["ip", "netns", "exec", self.netns] + command
        env = {**os.environ, "ROOT_ACCESS_KEY_ID": self.access_key, "ROOT_SECRET_ACCESS_KEY": self.secret_key}
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        client = self.client()
        _wait_until(lambda: client.list_buckets() is not None, 30, f"versitygw on {self.endpoint}")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def client(self):
        return s3_client_for(self.endpoint, self.access_key, self.secret_key, self.region)

    def env(self) -> dict[str, str]:
        """The S3 settings a component reads from its environment."""
        return {"S3_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": self.access_key,
                "AWS_SECRET_ACCESS_KEY": self.secret_key, "AWS_REGION": self.region}
