"""The facts probe's document, and site's report of failing .pth lines on stderr, made into Facts."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, List, Sequence

from envdoctor import __version__
from envdoctor.model.facts import FACTS_SCHEMA_VERSION, Facts, PthError, Startup
from envdoctor.errors import TargetError
from envdoctor.model.target import Target

# The oldest Python envdoctor inspects (the probe is written in 3.8 syntax; 3.6 and 3.7
# happen to run it, but the checks' facts assume 3.8's importlib.metadata and site).
MIN_TARGET_PYTHON = (3, 8)

_PTH_ERROR = re.compile(r"^Error processing line (\d+) of (.+?):\s*$")


def parse_pth_errors(stderr: str) -> List[PthError]:
    """site's own report of .pth import lines that raised: it prints and carries on."""
    errors = []
    seen = set()  # a venv's lib64 -> lib symlink makes site process one folder twice
    lines = stderr.splitlines()
    for index, line in enumerate(lines):
        match = _PTH_ERROR.match(line)
        if not match or (match.group(1), match.group(2)) in seen:
            continue
        seen.add((match.group(1), match.group(2)))
        body = []
        for following in lines[index + 1 :]:
            if following.startswith("Remainder of file ignored") or _PTH_ERROR.match(following):
                break
            body.append(following)
        text = "\n".join(body).strip()
        last = [b.strip() for b in body if b.strip()]
        errors.append(PthError(path=match.group(2), line=int(match.group(1)), error=last[-1] if last else "", traceback=text))
    return errors


def require_supported_python(target: Target, version: Sequence[int]) -> None:
    """TargetError (exit 2) for a Python older than MIN_TARGET_PYTHON."""
    if tuple(version[:2]) < MIN_TARGET_PYTHON:
        raise TargetError(
            f"{target.python} is Python {version[0]}.{version[1]}; envdoctor inspects Python "
            f"{MIN_TARGET_PYTHON[0]}.{MIN_TARGET_PYTHON[1]} and newer"
        )


def facts_from_document(document: Dict[str, Any], target: Target, startup: Startup) -> Facts:
    version = (document.get("interpreter") or {}).get("version_info")
    if version:  # absent only from the empty document of a start-up failure without a replay
        require_supported_python(target, version)
    data = dict(document)
    data.update(
        schema_version=FACTS_SCHEMA_VERSION,
        envdoctor_version=__version__,
        target={"python": target.python, "cwd": target.cwd, "source": target.source},
    )
    # The startup section is built here, on the host, from stderr and the diagnosis.
    return dataclasses.replace(Facts.from_dict(data), startup=startup)
