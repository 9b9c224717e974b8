"""The facts probe from start to Facts: wait for it, read its framed document, or find out why none came.

    python -B -c <bootstrap: the in_target/ modules of command.FACTS_PROGRAM> facts <nonce> <options>

runs from the target's working directory, so sys.path[0] is that directory, exactly
as for the user's `python -c` / `python -m`.  When no frame comes back,
probe.diagnosis finds out why.
"""

from __future__ import annotations

from typing import Optional

from envdoctor.model.facts import Facts, Startup
from envdoctor.model.target import Target
from envdoctor.probe.facts_document import facts_from_document, parse_pth_errors
from envdoctor.probe.frame import extract_document
from envdoctor.probe.process import Completed
from envdoctor.probe.start import DEFAULT_TIMEOUT, StartedProbe, start_probe


def run_probe(target: Target, timeout: float = DEFAULT_TIMEOUT, started: Optional[StartedProbe] = None) -> Facts:
    if started is None or not started.matches(target, timeout):
        if started is not None:
            started.running.cancel()
        started = start_probe(target.python, target.cwd, timeout)
    nonce = started.nonce
    result: Completed = started.running.wait()
    document = None if result.timed_out else extract_document(result.stdout, nonce)
    if document is not None:
        startup = Startup(ok=True, pth_errors=tuple(parse_pth_errors(result.stderr)))
        return facts_from_document(document, target, startup)
    # Imported only when no document came back: every ordinary run would pay for it.
    from envdoctor.probe.diagnosis import diagnose

    return diagnose(target, timeout, result)
