"""Resolve an install for the target with its own installer, without installing anything.

pip (the target's, run by the target's interpreter, so its markers, tags, pip.conf and PIP_*
variables are the ones a real install would use): `pip install --dry-run --report FILE ARGS`
writes its installation report, whose `install` entries carry each picked distribution's core
metadata (pip 22.2 and later; https://pip.pypa.io/en/stable/reference/installation-report/).
Not `--quiet`: pip says why a resolution is impossible ("The conflict is caused by: ...") at
its normal level, and that explanation is PRE001's evidence.  The dry run downloads into pip's
cache only; the target is not written.

uv (a target without pip, as uv makes them): `uv pip install --python TARGET --dry-run ARGS`.
uv has no installation report yet (astral-sh/uv#1442), so the versions come from its
"+ name==version" lines and those distributions' requirements are unknown.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from typing import List, Sequence, Tuple

from envdoctor.errors import TargetError
from envdoctor.model.facts import Facts
from envdoctor.model.install_resolution import InstallResolution, PlannedDistribution
from envdoctor.preflight.wanted import Wanted
from envdoctor.processes import ProcessTree
from envdoctor.vocabulary.installer import PIP, UV, installer_for

# Seconds a resolution may take at least: a resolver that backtracks through a large stack
# (vLLM, SGLang) downloads metadata for a while; --timeout raises it, never lowers it.
MINIMUM_SECONDS = 300.0
UV_ADDED = re.compile(r"^\s*\+\s+([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)\s*$")
TOO_OLD = ("no such option: --dry-run", "no such option: --report")


def resolve_install(facts: Facts, wanted: Wanted, timeout: float) -> InstallResolution:
    """The install `wanted` describes, as the target's installer would carry it out."""
    installer = installer_for(facts)
    if installer.name == UV and shutil.which(UV) is None:
        raise TargetError(f"{facts.target.python} has no pip, and uv is not on PATH: nothing can resolve "
                          "--with for it (install pip into it, or put uv on PATH)")
    with tempfile.TemporaryDirectory(prefix="envdoctor-preflight-") as folder:
        report = os.path.join(folder, "report.json")
        argv = [*installer.program, "install", *installer.target, "--dry-run"]
        if installer.name == PIP:
            argv += ["--report", report, "--no-input", "--disable-pip-version-check"]
        argv += wanted.installer_arguments()
        returncode, said = _run(argv, max(timeout, MINIMUM_SECONDS))
        command = shlex.join(argv)
        if returncode != 0:
            if any(text in said for text in TOO_OLD):
                raise TargetError(f"the pip in {facts.target.python} cannot resolve without installing (pip 22.2 "
                                  "and later can): upgrade pip there to use --with")
            return InstallResolution(wanted.described(), installer.name, command, False, resolver_words(said))
        installs = _pip_installs(report, command) if installer.name == PIP else _uv_installs(said)
    return InstallResolution(wanted.described(), installer.name, command, True, installs=installs)


def _run(argv: Sequence[str], seconds: float) -> Tuple[int, str]:
    """Run to the end with stdout and stderr in one file, in the order they were written (pip
    logs a conflict's explanation on stdout between two errors on stderr).  A file, not a pipe:
    a helper forked by the target's .pth may keep a pipe open for ever; the run is over when
    the installer exits, and everything it started ends with it (envdoctor/processes.py)."""
    with tempfile.TemporaryFile() as out:
        try:
            tree = ProcessTree.start(list(argv), dict(os.environ), stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        except OSError as exc:
            raise TargetError(f"cannot run {argv[0]} to resolve --with: {exc}") from exc
        try:
            returncode = tree.child.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            raise TargetError(f"the installer's dry run did not finish within {seconds:.0f} s") from None
        finally:
            tree.end()
        out.seek(0)
        return returncode, out.read().decode("utf-8", "replace")


def _pip_installs(report: str, command: str) -> Tuple[PlannedDistribution, ...]:
    try:
        with open(report, encoding="utf-8") as handle:
            entries = json.load(handle)["install"]
        return tuple(_planned(entry["metadata"]) for entry in entries)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TargetError(f"{command}: its installation report is not one envdoctor reads ({exc})") from None


def _planned(metadata: dict) -> PlannedDistribution:
    return PlannedDistribution(
        name=metadata["name"], version=metadata["version"],
        requires_dist=tuple(metadata.get("requires_dist") or ()), requires_python=metadata.get("requires_python"),
        provides_extra=tuple(metadata.get("provides_extra") or ()), metadata_version=metadata.get("metadata_version"),
    )


def _uv_installs(text: str) -> Tuple[PlannedDistribution, ...]:
    found = (UV_ADDED.match(line) for line in text.splitlines())
    return tuple(PlannedDistribution(name=m.group(1), version=m.group(2)) for m in found if m)


def resolver_words(text: str, limit: int = 25) -> str:
    """The resolver's explanation: from its first error to the end, without blank lines and
    without pip's generic advice ("To fix this you could try to: ..."); else the last lines."""
    lines: List[str] = [line.rstrip() for line in text.splitlines() if line.strip()]
    first_error = next((i for i, line in enumerate(lines) if line.startswith(("ERROR:", "error:", "  × "))), None)
    if first_error is None:
        return "\n".join(lines[-limit:])
    kept, advice = [], False
    for line in lines[first_error:]:
        advice = line.startswith("To fix this you could try to") or (advice and not line.startswith("ERROR:"))
        if not advice:
            kept.append(line)
    return "\n".join(kept[:limit])
