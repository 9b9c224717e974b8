"""The facts probe's document, and site's report of failing .pth lines on stderr, made into Facts."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, List

from envdoctor import __version__
from envdoctor.model.facts import FACTS_SCHEMA_VERSION, Facts, PthError, Startup
from envdoctor.model.target import Target

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


def facts_from_document(document: Dict[str, Any], target: Target, startup: Startup) -> Facts:
    data = dict(document)
    data.update(
        schema_version=FACTS_SCHEMA_VERSION,
        envdoctor_version=__version__,
        target={"python": target.python, "cwd": target.cwd, "source": target.source},
    )
    # The startup section is built here, on the host, from stderr and the diagnosis.
    return dataclasses.replace(Facts.from_dict(data), startup=startup)
