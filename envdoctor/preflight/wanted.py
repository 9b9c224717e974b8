"""What `check --with` is asked to install, as the arguments of the target's installer.

A requirements file goes to the installer as `-r FILE`, so its own options (`--index-url`,
nested `-r`/`-c`, hashes) mean what they mean to pip.  A `pyproject.toml` gives its
`[project] dependencies`; a PEP 751 lock file (`pylock.toml`, `pylock.NAME.toml`) gives each
package at its locked version (with its marker).  Files are read before the target is probed,
so a typo costs no probe.
"""

from __future__ import annotations

import os
from typing import List, Optional, Sequence, Tuple

from envdoctor.data_files import read_toml
from envdoctor.errors import UsageError
from envdoctor.model.record import Record, record


@record
class Wanted(Record):
    """The install `check --with` previews: requirements, files, and the index options for them."""

    requirements: Tuple[str, ...] = ()  # --with
    files: Tuple[str, ...] = ()  # -r
    index_url: Optional[str] = None
    extra_index_urls: Tuple[str, ...] = ()
    find_links: Tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.requirements or self.files)

    def described(self) -> Tuple[str, ...]:
        """As the user gave it, for the report: the requirements, then `-r FILE` per file."""
        return self.requirements + tuple(f"-r {path}" for path in self.files)

    def installer_arguments(self) -> List[str]:
        """Requirements and options for `pip install` / `uv pip install` (both spell them alike)."""
        arguments = list(self.requirements)
        for path in self.files:
            arguments += _file_arguments(path)
        if self.index_url:
            arguments += ["--index-url", self.index_url]
        for url in self.extra_index_urls:
            arguments += ["--extra-index-url", url]
        for place in self.find_links:
            arguments += ["--find-links", place]
        return arguments


def _file_arguments(path: str) -> List[str]:
    if not os.path.isfile(path):
        raise UsageError(f"-r {path}: no such file")
    name = os.path.basename(path)
    if name == "pyproject.toml":
        return pyproject_dependencies(path)
    if name.startswith("pylock.") and name.endswith(".toml"):
        return locked_packages(path)
    return ["-r", path]


def pyproject_dependencies(path: str) -> List[str]:
    """`[project] dependencies`; dynamic ones are only known to the build backend."""
    project = read_toml(path, "-r").get("project") or {}
    if "dependencies" in (project.get("dynamic") or ()):
        raise UsageError(f"-r {path}: its dependencies are dynamic (decided by the build backend); "
                         "name a requirements file or a lock file instead")
    dependencies = project.get("dependencies") or []
    if not isinstance(dependencies, list) or not all(isinstance(item, str) for item in dependencies):
        raise UsageError(f"-r {path}: [project] dependencies is not a list of requirement strings")
    return list(dependencies)


def locked_packages(path: str) -> List[str]:
    """PEP 751: every `[[packages]]` entry as `name==version`, with its marker when it has one."""
    packages = read_toml(path, "-r").get("packages")
    if not isinstance(packages, list):
        raise UsageError(f"-r {path}: not a PEP 751 lock file (no [[packages]])")
    requirements = []
    for entry in packages:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise UsageError(f"-r {path}: a [[packages]] entry without a name")
        text = entry["name"] + (f"=={entry['version']}" if isinstance(entry.get("version"), str) else "")
        if isinstance(entry.get("marker"), str):
            text += f"; {entry['marker']}"
        requirements.append(text)
    return requirements


def wanted_from(requirements: Sequence[str], files: Sequence[str], index_url: Optional[str],
                extra_index_urls: Sequence[str], find_links: Sequence[str]) -> Wanted:
    """The CLI's values as a Wanted; index options without anything to install are a usage error."""
    wanted = Wanted(tuple(requirements), tuple(files), index_url, tuple(extra_index_urls), tuple(find_links))
    if not wanted and (index_url or extra_index_urls or find_links):
        raise UsageError("--index-url, --extra-index-url and --find-links need --with REQ or -r FILE")
    for path in files:
        _file_arguments(path)  # read now: a missing or malformed file is a usage error before the probe
    return wanted
