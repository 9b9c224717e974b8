"""A real local package index for pip: a PEP 503 "simple" tree of wheels, served as file://.

pip reads `--index-url file:///.../simple` as it reads PyPI: one page per project (its
normalised name), listing the project's files as links.  The wheels are copied in, so the
index holds exactly what the test put there.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path
from typing import Dict, Iterable, List

from envdoctor.model.facts import canonicalize


def _project(wheel: Path) -> str:
    """The PEP 503 name of a wheel's project (the file name's first part, normalised)."""
    return canonicalize(wheel.name.split("-", 1)[0])


def simple_index(root: Path, wheels: Iterable[Path]) -> str:
    """root/simple/<project>/ with the wheels and an index page each; returns the file:// URL."""
    projects: Dict[str, List[Path]] = {}
    for wheel in wheels:
        projects.setdefault(_project(wheel), []).append(wheel)
    simple = root / "simple"
    simple.mkdir(parents=True, exist_ok=True)
    for name, files in projects.items():
        folder = simple / name
        folder.mkdir(exist_ok=True)
        links = []
        for wheel in files:
            shutil.copy2(wheel, folder / wheel.name)
            links.append(f'<a href="{html.escape(wheel.name)}">{html.escape(wheel.name)}</a><br>')
        (folder / "index.html").write_text("<!DOCTYPE html><html><body>\n" + "\n".join(links) + "\n</body></html>\n")
    root_links = "".join(f'<a href="{name}/">{name}</a><br>\n' for name in sorted(projects))
    (simple / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{root_links}</body></html>\n")
    return simple.resolve().as_uri()
