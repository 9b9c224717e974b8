"""The facts probe from start to Facts: wait for it, read its framed document, or find out why none came.

    python -B -c <bootstrap: the in_target/ modules of command.FACTS_PROGRAM> facts <nonce> <options>

runs from the target's working directory, so sys.path[0] is that directory, exactly
as for the user's `python -c` / `python -m`.  The document is read as soon as its end
frame arrives.  When no frame comes back, probe.diagnosis finds out why, within the
rest of --timeout (it says how the time is shared).
"""

from __future__ import annotations

from typing import Callable, Iterator, Optional

from envdoctor.model.facts import Facts, Startup
from envdoctor.model.target import Target
from envdoctor.probe.facts_document import facts_from_document, parse_pth_errors
from envdoctor.probe.frame import document_text, parse_document, split_last_section
from envdoctor.probe.start import DEFAULT_TIMEOUT, StartedProbe, answer, start_probe



def probe_for(target: Target, timeout: float, started: Optional[StartedProbe] = None) -> StartedProbe:
    """The probe launch.py started early when it probes this target with this timeout; else a new one."""
    if started is not None and started.matches(target, timeout):
        return started
    if started is not None:
        started.running.cancel()
    return start_probe(target.python, target.cwd, timeout)


def run_probe(target: Target, timeout: float = DEFAULT_TIMEOUT, started: Optional[StartedProbe] = None,
              notice: Optional[Callable[[str], None]] = None, idle: Optional[Iterator[None]] = None,
              on_document: Optional[Callable[..., None]] = None) -> Facts:
    """The target's facts.  `notice` gets one line when the target keeps envdoctor waiting;
    `idle` is work to do while it does (idle_work.py); `on_document` gets the document's text
    (without its dist_cache section), the probe's stderr and the stamps it held true
    (dist_cache_file.ProbeStamps) before any fact is made of them (a stored report may hold: replay/)."""
    started = probe_for(target, timeout, started)
    nonce = started.nonce
    result = answer(started, notice, idle)
    text = None if result.timed_out else document_text(result.stdout, nonce)
    if text is not None:
        from envdoctor.probe.dist_cache_file import ProbeStamps, has_news, store
        from envdoctor.probe.command import IN_TARGET
        from envdoctor.probe.probe_code_file import store_probe_code

        facts_text, cache_news = split_last_section(text, "dist_cache")
        if on_document is not None and not has_news(cache_news):
            # Nothing for the probe's cache: on_document may end the run before the document is parsed.
            on_document(facts_text, result.stderr, ProbeStamps(started.python, cache_news))
            on_document = None
        document = parse_document(text)
        cache_section = document.pop("dist_cache", None)
        store(started.python, cache_section, document.get("distributions") or [])
        store_probe_code(started.python, cache_section, IN_TARGET)
        if on_document is not None:  # after the probe's cache is brought up to date
            on_document(facts_text, result.stderr, ProbeStamps(started.python, cache_news))
        startup = Startup(ok=True, pth_errors=tuple(parse_pth_errors(result.stderr)))
        return facts_from_document(document, target, startup)
    # Imported only when no document came back: every ordinary run would pay for it.
    from envdoctor.probe.diagnosis import diagnose

    return diagnose(target, started, result)
