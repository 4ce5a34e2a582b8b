#!/usr/bin/env python3
"""Checks the values Terraform passes to third-party charts against the
charts' own sources.

Input: the JSON of `hclcheck helm-values` (every helm_release of a part with
the values documents evaluated from the Terraform source) and a folder of
chart sources (tests/deploy/install-tools.sh copies them out of Go modules).
For each release of a third-party chart:

  - every key path of every values document must exist in the chart's
    values.yaml: a key the chart does not read is silently ignored by Helm
    (a chart without values.schema.json never complains), which is how a
    setting such as a node selector gets lost. A map that is empty in the
    defaults is free-form; subchart sections are checked against the
    subchart's values.yaml when its source is there, and listed otherwise;
  - values the chart passes through as a custom resource's spec (Calico's
    Installation and APIServer) are validated against that CRD's schema
    from the chart's crds/ folder;
  - a chart with values.schema.json is validated against it.

Releases of local charts are skipped (helm template validates them against
their schema when tests/deploy/render-charts.sh renders them). Charts whose
source is not available are listed as not checked. Exit 1 on any problem.
"""

from __future__ import annotations

import argparse
import copy
import json
import pathlib
import sys
from typing import Any

import jsonschema
import yaml

# Values a chart hands to a custom resource unchanged (minus "enabled"):
# chart -> values key -> CRD file in the chart's crds/ folder.
PASS_THROUGH = {
    "tigera-operator": {
        "installation": "operator.tigera.io_installations_crd.yaml",
        "apiServer": "operator.tigera.io_apiservers_crd.yaml",
    },
}


# Maps whose keys are data, not settings (label and annotation keys,
# selectors, resource quantities): any key is valid there.
FREE_FORM = {"nodeSelector", "labels", "annotations", "podLabels", "podAnnotations", "commonLabels",
             "matchLabels", "resources", "securityContext", "podSecurityContext", "affinity",
             "extraArgs", "additionalLabels", "serviceAnnotations"}


def key_problems(passed: Any, defaults: Any, path: str, subcharts: dict[str, Any], unchecked: set[str]) -> list[str]:
    if not isinstance(passed, dict) or not isinstance(defaults, dict):
        return []
    if not defaults or path.rsplit(".", 1)[-1] in FREE_FORM:
        return []  # free-form map in the chart
    problems = []
    for key, value in passed.items():
        where = f"{path}.{key}" if path else key
        if not path and key in subcharts:
            sub = subcharts[key]
            if sub is None:
                unchecked.add(f"{where} (subchart source not available)")
                continue
            # A subchart's section may also hold keys the parent defines
            # for it (e.g. enabled); accept both.
            merged = deep_merge(sub, defaults.get(key) or {})
            problems += key_problems(value, merged, where, {}, unchecked)
        elif key in defaults:
            problems += key_problems(value, defaults[key], where, {}, unchecked)
        elif key == "global":
            continue
        else:
            problems.append(f"{where}: not a key of the chart (its values.yaml has {', '.join(sorted(map(str, defaults))[:12])}{' ...' if len(defaults) > 12 else ''}); Helm ignores it")
    return problems


def strict(schema: Any) -> Any:
    """The schema as the API server applies it: unknown fields of a
    structural schema are pruned (silently dropped), so here they are errors."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out and not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def crd_spec_schema(path: pathlib.Path) -> dict[str, Any]:
    for crd in yaml.safe_load_all(path.read_text()):
        if crd and crd.get("kind") == "CustomResourceDefinition":
            version = next(v for v in crd["spec"]["versions"] if v.get("storage", v.get("served")))
            return strict(version["schema"]["openAPIV3Schema"]["properties"]["spec"])
    raise SystemExit(f"{path}: no CRD")


def deep_merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = deep_merge(base.get(key), value)
        return out
    return over


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("releases", type=pathlib.Path, help="JSON of hclcheck helm-values")
    parser.add_argument("--charts", type=pathlib.Path, required=True, help="folder of chart sources")
    args = parser.parse_args()

    problems: list[str] = []
    not_checked: list[str] = []
    for release in json.loads(args.releases.read_text()):
        if release["local"]:
            continue
        name, pinned = release["chart"], release.get("version", "?")
        source = args.charts / name
        if not (source / "values.yaml").is_file():
            not_checked.append(f"{release['resource']}: {name} {pinned}: no chart source available offline")
            continue
        chart = yaml.safe_load((source / "Chart.yaml").read_text())
        origin = (source / ".source").read_text().strip() if (source / ".source").exists() else "?"
        print(f"{release['resource']}: chart {name} pinned {pinned}, checked against {chart.get('version')} ({origin})")
        defaults = yaml.safe_load((source / "values.yaml").read_text()) or {}
        subcharts: dict[str, Any] = {}
        for dep in chart.get("dependencies") or []:
            key = dep.get("alias") or dep["name"]
            sub = args.charts / dep["name"] / "values.yaml"
            if not sub.is_file():
                sub = source / "charts" / dep["name"] / "values.yaml"
            subcharts[key] = (yaml.safe_load(sub.read_text()) or {}) if sub.is_file() else None
        unchecked: set[str] = set()
        merged: dict[str, Any] = copy.deepcopy(defaults)
        for index, text in enumerate(release["values"]):
            doc = yaml.safe_load(text) or {}
            where = f"{release['resource']} values[{index}]"
            checked = {k: v for k, v in doc.items() if k not in PASS_THROUGH.get(name, {})}
            problems += [f"{where}: {p}" for p in key_problems(checked, defaults, "", subcharts, unchecked)]
            merged = deep_merge(merged, doc)
            for key, crd_file in PASS_THROUGH.get(name, {}).items():
                if key not in doc:
                    continue
                spec = {k: v for k, v in doc[key].items() if k != "enabled"}
                schema = crd_spec_schema(source / "crds" / crd_file)
                for error in jsonschema.Draft7Validator(schema).iter_errors(spec):
                    path = ".".join(map(str, error.absolute_path))
                    problems.append(f"{where}: {key}.{path}: {error.message} (CRD {crd_file})")
        schema_file = source / "values.schema.json"
        if schema_file.is_file():
            for error in jsonschema.Draft7Validator(json.loads(schema_file.read_text())).iter_errors(merged):
                problems.append(f"{release['resource']}: {'.'.join(map(str, error.absolute_path))}: {error.message} (values.schema.json)")
        not_checked += [f"{release['resource']}: {u}" for u in sorted(unchecked)]

    for line in not_checked:
        print(f"not checked: {line}")
    for problem in problems:
        print(problem)
    print(f"check_chart_values: {len(problems)} problems, {len(not_checked)} parts not checkable offline")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
