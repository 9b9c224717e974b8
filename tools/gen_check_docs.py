"""Write docs/checks/<CODE>.md and docs/checks/README.md from the registered checks' docstrings.

    python tools/gen_check_docs.py          # write
    python tools/gen_check_docs.py --check  # exit 1 if the files are stale (used by the tests)

Either way it exits 1 when a check's page has no "Severity:" paragraph: every check says when
it reports an error, a warning and info, and why (an error when something the user runs
breaks, a warning when it breaks under a foreseeable change, info otherwise).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict, List

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


def lacking_severity(pages: Dict[str, str]) -> List[str]:
    """The check pages without a paragraph that starts "Severity:"."""
    return sorted(
        name for name, text in pages.items()
        if name != "README.md"
        and not any(line.startswith("Severity: ") for line in text.splitlines())
    )


def main(argv) -> int:
    pages = render()
    lacking = lacking_severity(pages)
    if lacking:
        print("check docs without a 'Severity:' paragraph (say when the check reports an error, a warning and "
              "info, and why, in its docstring or rule's severity_reason):", ", ".join(lacking))
        return 1
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
