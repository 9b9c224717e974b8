"""Run the stdlib-only payload inside the target interpreter and turn its JSON into Facts.

    python -B -c <bootstrap: run probe/_finders.py, _stack.py, _payload.py> facts <nonce> <options>

from the target's working directory, so sys.path[0] is that directory, exactly
as for the user's `python -c` / `python -m`.  The JSON sits between two frame
lines carrying a random nonce; whatever else the target prints is ignored.
When no frame comes back, probe.startup finds out why.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, Dict, List, Optional

from envdoctor import __version__
from envdoctor.errors import ProbeError
from envdoctor.model.facts import FACTS_SCHEMA_VERSION, Facts, PthError, Startup
from envdoctor.probe.process import Completed, describe_exit, stderr_tail
from envdoctor.probe.start import DEFAULT_TIMEOUT, StartedProbe, start_probe
from envdoctor.target import Target


def extract_document(stdout: str, nonce: str) -> Optional[Dict[str, Any]]:
    begin = f"@@ENVDOCTOR-BEGIN-{nonce}@@\n"
    end = f"\n@@ENVDOCTOR-END-{nonce}@@"
    start = stdout.rfind(begin)
    if start < 0:
        return None
    stop = stdout.find(end, start)
    if stop < 0:
        return None
    try:
        document = json.loads(stdout[start + len(begin) : stop])
    except ValueError as exc:
        raise ProbeError(f"the probe's output is not valid JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise ProbeError("the probe's output is not a JSON object")
    return document


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


def run_probe(target: Target, timeout: float = DEFAULT_TIMEOUT, started: Optional[StartedProbe] = None) -> Facts:
    if started is None or not started.matches(target, timeout):
        if started is not None:
            started.running.cancel()
        started = start_probe(target, timeout)
    nonce = started.nonce
    result: Completed = started.running.wait()
    document = None if result.timed_out else extract_document(result.stdout, nonce)
    if document is not None:
        startup = Startup(ok=True, pth_errors=tuple(parse_pth_errors(result.stderr)))
        return facts_from_document(document, target, startup)
    from envdoctor.probe.startup import diagnose

    return diagnose(target, timeout, result)


def probe_failure(target: Target, result: Completed, timeout: float) -> ProbeError:
    tail = stderr_tail(result.stderr)
    detail = f"\n{tail}" if tail else ""
    return ProbeError(f"the probe failed in {target.python}: {describe_exit(result, timeout)}{detail}")
