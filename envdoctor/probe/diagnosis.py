"""Why did the target give no facts?  Name the .pth line that kills start-up.

1. Is it a Python at all, and new enough?  (`-S`, a py2-compatible one-liner)
2. Replay site processing under `-S` with a progress marker before every .pth
   line and before sitecustomize/usercustomize; the last marker before the
   interpreter died or hung names the culprit.
3. Collect the facts anyway by replaying site and skipping that one line, so
   the rest of the environment is still checked.

Time (the probe had the first half of --timeout, probe.start):
- step 1 runs only when the probe ended by itself (a probe killed at its deadline showed
  that something runs; a Python's `-S` answer takes milliseconds), by the collection's deadline;
- step 2 gets as long as the probe had, from its own start.  A hang is claimed only when
  its time ran out in one .pth line (or sitecustomize) that had by then run for at least
  HANG_SHARE of it: a step positively caught hanging.  A trace that finishes, runs out
  of time before any line, or runs out while start-up moves on from line to line (each
  slow, none stuck) after a probe that was killed says only that the start-up is slow:
  "could not check within --timeout" (OutOfTime, exit 2), never a finding;
- step 3 gets what is left of --timeout, if anything: after a hang, usually nothing, and
  the start-up failure is reported alone.
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
from envdoctor.probe.process import Completed, OutOfTime, describe_exit, run_target, stderr_tail

TYPE_CHECKING = False
if TYPE_CHECKING:
    from envdoctor.probe.start import StartedProbe

# The share of the trace's time that the line it was stuck in must have held it, to be a hang.
HANG_SHARE = 0.5
SANITY_SOURCE = "import sys; sys.stdout.write('@@ENVDOCTOR-PY %d.%d@@' % tuple(sys.version_info[:2]))"


def out_of_time(target: Target, timeout: float, what: str) -> OutOfTime:
    return OutOfTime(
        f"could not check {target.python} within --timeout {timeout:g} s: {what}; nothing was found wrong,"
        " and a larger --timeout gives a slow start-up the time it needs"
    )


def check_is_python(target: Target, deadline: float, timeout: float) -> None:
    result = run_target([target.python, "-S", "-c", SANITY_SOURCE], target.cwd, deadline)
    marker = result.stdout.rfind("@@ENVDOCTOR-PY ")
    if marker < 0 and result.timed_out:  # no answer in time is not an answer
        raise out_of_time(target, timeout, f"`{target.python} -S` gave no answer in the {result.allowed:.3g} s left")
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


def diagnose(target: Target, started: StartedProbe, first: Completed) -> Facts:
    if not first.timed_out:
        check_is_python(target, started.deadline, started.timeout)
    culprit, traced = trace_startup(target, time.monotonic() + first.allowed)
    caught_hanging = culprit is not None and traced.silent >= traced.allowed * HANG_SHARE
    if traced.timed_out and not caught_hanging:
        raise out_of_time(target, started.timeout, f"start-up was still running after {traced.allowed:.3g} s (as"
                          " long as the probe had), with no one .pth line or sitecustomize holding it for half of that")
    if culprit is None and first.timed_out:
        raise out_of_time(target, started.timeout, f"the probe gave no answer in its {first.allowed:.3g} s;"
                          " start-up alone finished in as long again: it is slow, not stuck")
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
    document = None
    if time.monotonic() < started.deadline:
        replay = run_target(payload_argv(target.python, "facts", nonce, options, no_site=True), target.cwd,
                            started.deadline)
        document = None if replay.timed_out else extract_document(replay.stdout, nonce)
    startup = Startup(ok=False, failure=failure, replayed=document is not None)
    # Without a replayed document (even the replay failed), the start-up failure is reported alone.
    return facts_from_document(document or {}, target, startup)

