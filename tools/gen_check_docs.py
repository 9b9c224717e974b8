"""Write docs/checks/<CODE>.md and docs/checks/README.md from the registered checks' docstrings.

    python tools/gen_check_docs.py          # write
    python tools/gen_check_docs.py --check  # exit 1 if the files are stale (used by the tests)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict

DOCS = Path(__file__).resolve().parent.parent / "docs" / "checks"


def render() -> Dict[str, str]:
    from envdoctor.registry import load_registry

    pages = {}
    rows = ["# Checks", "", "Generated from the checks' docstrings by `tools/gen_check_docs.py`; "
            "`envdoctor explain CODE` prints the same text.", "", "| code | name | fix | summary |", "|---|---|---|---|"]
    for spec in load_registry().checks:
        if not spec.provider.startswith("envdoctor "):
            continue  # third-party plugins document themselves
        body = [f"# {spec.code} {spec.name}", "", f"{spec.summary}", "", f"- needs facts: {', '.join(spec.needs)}",
                f"- fix kind: {spec.fix or 'none'}", ""]
        for line in spec.doc.splitlines():
            stripped = line.strip()
            if stripped in ("What it detects", "Why it breaks", "Example", "Fix", "References"):
                body += ["", f"## {stripped}", ""]
            else:
                body.append(stripped)
        pages[f"{spec.code}.md"] = "\n".join(body).replace("\n\n\n", "\n\n").strip() + "\n"
        rows.append(f"| [{spec.code}]({spec.code}.md) | {spec.name} | {spec.fix or '-'} | {spec.summary} |")
    pages["README.md"] = "\n".join(rows) + "\n"
    return pages


def main(argv) -> int:
    pages = render()
    if "--check" in argv:
        stale = [name for name, text in pages.items() if not (DOCS / name).exists() or (DOCS / name).read_text() != text]
        if stale:
            print("stale check docs, run tools/gen_check_docs.py:", ", ".join(stale))
            return 1
        return 0
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        (DOCS / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
