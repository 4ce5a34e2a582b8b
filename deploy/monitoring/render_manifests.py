#!/usr/bin/env python3
"""Prints edgestream's alert rules and dashboards as Kubernetes manifests.

    render_manifests.py --namespace monitoring | kubectl apply -f -

Each rule file in rules/ becomes a PrometheusRule (the operator loads rule
groups from any namespace; see kube-prometheus-stack-values.yaml), each
dashboard in dashboards/ a ConfigMap labelled grafana_dashboard=1, which
Grafana's sidecar provisions. The rule files stay plain Prometheus rule files
so that promtool checks and tests them, and the local stack loads them as is.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
PART_OF = {"app.kubernetes.io/part-of": "edgestream"}


def manifests(namespace: str) -> list[dict]:
    out = []
    for path in sorted((HERE / "rules").glob("*.yaml")):
        rules = yaml.safe_load(path.read_text(encoding="utf-8"))
        out.append({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": f"edgestream-{path.stem}", "namespace": namespace, "labels": dict(PART_OF)},
            "spec": {"groups": rules["groups"]},
        })
    for path in sorted((HERE / "dashboards").glob("*.json")):
        out.append({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"edgestream-dashboard-{path.stem}", "namespace": namespace,
                         "labels": {**PART_OF, "grafana_dashboard": "1"}},
            "data": {f"edgestream-{path.name}": path.read_text(encoding="utf-8")},
        })
    return out


class _Dumper(yaml.SafeDumper):
    """Writes multi-line strings (rule expressions, dashboard JSON) as blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespace", default="monitoring",
                        help="namespace of the PrometheusRules and ConfigMaps (default: monitoring)")
    args = parser.parse_args()
    yaml.dump_all(manifests(args.namespace), sys.stdout, Dumper=_Dumper, sort_keys=False, width=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
