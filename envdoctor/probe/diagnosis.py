"""Why did the target give no facts?  Name the .pth line that kills start-up.

1. Is it a Python at all, and new enough?  (`-S`, a py2-compatible one-liner)
2. Replay site processing under `-S` with a progress marker before every .pth
   line and before sitecustomize/usercustomize; the last marker before the
   interpreter died or hung names the culprit.
3. Collect the facts anyway by replaying site and skipping that one line, so
   the rest of the environment is still checked.

All of it ends by the collection's deadline: steps 1 and 2 get the first half of the
time left, step 3 the rest.
"""

from __future__ import annotations

import json
import time

from envdoctor.errors import ProbeError, TargetError
from envdoctor.model.facts import Facts, Startup, StartupFailure
from envdoctor.model.target import Target
from envdoctor.probe.command import new_nonce, payload_argv
from envdoctor.probe.facts_document import facts_from_document, require_supported_python
from envdoctor.probe.frame import extract_document
from envdoctor.probe.process import Completed, describe_exit, run_target, stderr_tail

SANITY_SOURCE = "import sys; sys.stdout.write('@@ENVDOCTOR-PY %d.%d@@' % tuple(sys.version_info[:2]))"


def check_is_python(target: Target, deadline: float) -> None:
    result = run_target([target.python, "-S", "-c", SANITY_SOURCE], target.cwd, deadline)
    marker = result.stdout.rfind("@@ENVDOCTOR-PY ")
    if marker < 0:
        tail = stderr_tail(result.stderr, 2)
        raise TargetError(
            f"{target.python} is not a working Python interpreter ({describe_exit(result)}"
            + (f": {tail}" if tail else "")
            + ")"
        )
    version = tuple(int(part) for part in result.stdout[marker + 15 :].split("@@")[0].split("."))
    require_supported_python(target, version)


def trace_startup(target: Target, deadline: float):
    """(culprit event or None, completed process) from a traced site replay."""
    nonce = new_nonce()
    result = run_target(payload_argv(target.python, "trace-startup", nonce, no_site=True), target.cwd, deadline)
    marker = f"@@ENVDOCTOR-TRACE-{nonce}@@ "
    events = []
    for line in result.stdout.splitlines():
        if line.startswith(marker):
            try:
                events.append(json.loads(line[len(marker) :]))
            except ValueError:
                continue
    if events and events[-1].get("event") == "done":
        return None, result
    last_line = next((e for e in reversed(events) if e.get("event") == "line"), None)
    return last_line, result


def probe_failure(target: Target, result: Completed) -> ProbeError:
    tail = stderr_tail(result.stderr)
    detail = f"\n{tail}" if tail else ""
    return ProbeError(f"the probe failed in {target.python}: {describe_exit(result)}{detail}")


def diagnose(target: Target, deadline: float, first: Completed) -> Facts:
    now = time.monotonic()
    tracing_deadline = now + max(0.0, deadline - now) / 2
    check_is_python(target, tracing_deadline)
    culprit, traced = trace_startup(target, tracing_deadline)
    if culprit is None:
        # Start-up is fine without us; the probe itself failed.
        raise probe_failure(target, first)
    file = culprit.get("file")
    is_module = file in ("sitecustomize", "usercustomize")
    line = culprit.get("line")
    failure = StartupFailure(
        kind="hang" if traced.timed_out else "crash",
        file=file,
        # Line 0 is the whole .pth file (site_replay.WHOLE_FILE): one that cannot be decoded.
        line=None if is_module or line == 0 else line,
        text=culprit.get("text"),
        returncode=traced.returncode,
        stderr_tail=stderr_tail(first.stderr or traced.stderr),
    )
    skip = file if is_module else [file, line]
    nonce = new_nonce()
    options = {"replay_site_skip": skip}
    replay = run_target(payload_argv(target.python, "facts", nonce, options, no_site=True), target.cwd, deadline)
    document = None if replay.timed_out else extract_document(replay.stdout, nonce)
    startup = Startup(ok=False, failure=failure, replayed=document is not None)
    # Without a replayed document (even the replay failed), the start-up failure is reported alone.
    return facts_from_document(document or {}, target, startup)
