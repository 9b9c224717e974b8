"""Build a metadata-only package index (PEP 503 pages + PEP 658 .metadata files) from pip
installation reports, for `check --with` on a machine with no package index.

python metadata_index.py OUT REPORT.json [REPORT.json ...]

Each distribution in the reports gets OUT/simple/<name>/index.html naming its real wheel file and
OUT/files/<wheel>.metadata with the core metadata pip reported (name, version, Requires-Dist,
Requires-Python, Provides-Extra). The wheels themselves are not there: pip's dry run reads only
the metadata.
"""
import hashlib
import html
import json
import os
import re
import sys
import urllib.parse

FIELDS = (("metadata_version", "Metadata-Version"), ("name", "Name"), ("version", "Version"),
          ("summary", "Summary"), ("requires_python", "Requires-Python"),
          ("provides_extra", "Provides-Extra"), ("requires_dist", "Requires-Dist"))


def metadata_text(metadata: dict) -> str:
    lines = []
    for key, header in FIELDS:
        value = metadata.get(key)
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"{header}: {str(item).splitlines()[0] if item else ''}")
    return "\n".join(lines) + "\n\n"


def main(out: str, reports) -> None:
    files = os.path.join(out, "files")
    os.makedirs(files, exist_ok=True)
    links = {}
    for report in reports:
        for item in json.load(open(report))["install"]:
            metadata = item["metadata"]
            url = item["download_info"]["url"]
            wheel = urllib.parse.unquote(url.rsplit("/", 1)[1])
            text = metadata_text(metadata).encode()
            with open(os.path.join(files, wheel + ".metadata"), "wb") as handle:
                handle.write(text)
            digest = hashlib.sha256(text).hexdigest()
            name = re.sub(r"[-_.]+", "-", metadata["name"]).lower()
            requires_python = html.escape(metadata.get("requires_python") or "", quote=True)
            links.setdefault(name, {})[wheel] = (
                f'<a href="../../files/{urllib.parse.quote(wheel)}" data-requires-python="{requires_python}" '
                f'data-core-metadata="sha256={digest}" data-dist-info-metadata="sha256={digest}">{html.escape(wheel)}</a><br>')
    for name, anchors in links.items():
        folder = os.path.join(out, "simple", name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "index.html"), "w") as handle:
            handle.write("<!DOCTYPE html><html><body>\n" + "\n".join(anchors.values()) + "\n</body></html>\n")
    print(f"{len(links)} projects, {sum(len(a) for a in links.values())} files under {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
