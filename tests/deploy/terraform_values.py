#!/usr/bin/env python3
"""Writes the values documents of the local-chart releases in the JSON of
`hclcheck helm-values` to files, one per document, and prints one line per
release: chart|release|namespace|values-file[,values-file...]. The files are
exactly what Terraform would pass (evaluated from its source), so rendering
the chart with them validates what `terraform apply` would install."""

import json
import pathlib
import sys


def main() -> int:
    releases_path, out_dir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    for release in json.loads(releases_path.read_text()):
        if not release["local"]:
            continue
        files = []
        for index, text in enumerate(release["values"]):
            path = out_dir / f"{release['resource'].replace('.', '-')}-{index}.yaml"
            path.write_text(text)
            files.append(str(path))
        print(f"{release['chart']}|{release['name']}|{release.get('namespace') or 'default'}|{','.join(files)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
