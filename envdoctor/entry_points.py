"""Entry points of the distributions on envdoctor's own sys.path, read from their files.

This is what importlib.metadata.entry_points() returns for path-installed
distributions (the first distribution of a name wins), without importing
importlib.metadata and email, which cost envdoctor ~25 ms at every start.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Iterable, List, Optional

from envdoctor.model.record import Record, record


@record
class EntryPoint(Record):
    name: str
    value: str  # "package.module" or "package.module:attribute"
    group: str
    provider: str  # "distribution version"

    def load(self):
        module, _, attribute = self.value.partition(":")
        loaded = importlib.import_module(module.strip())
        for part in filter(None, attribute.strip().split(".")):
            loaded = getattr(loaded, part)
        return loaded


def _sections(text: str) -> dict:
    sections: dict = {}
    current: Optional[list] = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), [])
        elif current is not None and "=" in line:
            name, _, value = line.partition("=")
            current.append((name.strip(), value.strip()))
    return sections


def _provider(meta_dir: str, folder: str) -> str:
    """'Name version' from the METADATA/PKG-INFO headers, else from the folder name."""
    for header_file in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(meta_dir, header_file), encoding="utf-8", errors="replace") as handle:
                name = version = None
                for line in handle:
                    if not line.strip():
                        break
                    key, _, value = line.partition(":")
                    if key.lower() == "name":
                        name = value.strip()
                    elif key.lower() == "version":
                        version = value.strip()
                if name:
                    return f"{name} {version or '?'}"
        except OSError:
            continue
    return folder.rsplit(".", 1)[0].replace("-", " ", 1)


def entry_points(group: str, path: Optional[Iterable[str]] = None) -> List[EntryPoint]:
    found: List[EntryPoint] = []
    seen_distributions = set()
    for entry in list(sys.path if path is None else path):
        directory = entry or os.getcwd()
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for folder in names:
            if not folder.endswith((".dist-info", ".egg-info")):
                continue
            distribution = folder.split("-", 1)[0].lower().replace("_", "-").replace(".", "-")
            if distribution in seen_distributions:
                continue  # an earlier sys.path entry has this distribution
            seen_distributions.add(distribution)
            meta_dir = os.path.join(directory, folder)
            try:
                with open(os.path.join(meta_dir, "entry_points.txt"), encoding="utf-8") as handle:
                    sections = _sections(handle.read())
            except (OSError, UnicodeDecodeError):
                continue
            if group in sections:
                provider = _provider(meta_dir, folder)
                found.extend(EntryPoint(name, value, group, provider) for name, value in sections[group])
    return found
