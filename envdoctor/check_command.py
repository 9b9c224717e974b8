"""`envdoctor check`'s body: options -> collect -> render -> exit code, without typer.

Two paths reach it with the same values: the typer command in cli.py, and launch.py's
direct dispatch, which parses a plain `check` command line itself and never imports typer
(importing and building the typer CLI is about a third of `check`'s start-up; anything
it does not recognise goes to typer, whose messages and help stay the authority).
"""

from __future__ import annotations

import sys
import time
from typing import List, Optional

from envdoctor.errors import EXIT_FINDINGS
from envdoctor.option_values import one_target, report_format, report_outputs, tokens
from envdoctor.report import Format
from envdoctor.terminal import color_wanted, progress_shown, terminal_scope, terminal_width

# collect (and the facts model, dataclasses, the settings behind it) and outputs are imported
# where used: a plain check whose stored report holds (replay/) needs neither.

# What a stored report's key takes from run_check's keyword arguments (the format, the
# terminal's width and colour are added).
REPLAY_KEYED = ("python", "cwd", "timeout", "facts_file", "select", "ignore", "strict", "verbose", "scan", "no_scan",
                "deep", "config", "baseline", "write_baseline", "against", "quiet")
# check --with/-r and its index options: a preview is never replayed.
PREVIEW_OPTIONS = ("with_requirements", "more_requirements", "requirement_files", "index_url", "extra_index_url",
                   "find_links")
_looked_up = None  # the Replay launch.py's dispatch looked up before run_check (replayed_directly)


def run_check(*, python: Optional[str], cwd: Optional[str], timeout: float, facts_file: Optional[str],
              select: Optional[List[str]], ignore: Optional[List[str]], fmt: str, output: Optional[List[str]],
              strict: bool, verbose: bool, scan: Optional[List[str]], no_scan: bool, deep: bool,
              config: Optional[str], baseline: Optional[str], write_baseline: Optional[str],
              against: Optional[str], quiet: bool = False, with_requirements: Optional[List[str]] = None,
              more_requirements: Optional[List[str]] = None, requirement_files: Optional[List[str]] = None,
              index_url: Optional[str] = None, extra_index_url: Optional[List[str]] = None,
              find_links: Optional[List[str]] = None) -> int:
    """One check run; the exit code (0 clean, 1 findings, 2 usage or target error)."""
    global _looked_up
    values = dict(locals())  # every keyword argument, by name: what a stored report's key is made of
    replay, _looked_up = _looked_up or _replay_for(values, (fmt or "").strip().lower(), output), None
    if replay is not None:
        return _check_with_replay(values, replay)
    from envdoctor import collect

    chosen, outputs, request = _request(values)
    wanted = _preflight_wanted(with_requirements, more_requirements, requirement_files, index_url,
                               extra_index_url, find_links, write_baseline)
    with progress_shown(quiet):
        if wanted:
            outcome = collect.preflight_checked(request, wanted, terminal_scope)
        else:
            outcome = collect.checked(request, terminal_scope)
    if wanted:
        _preflight_note(outcome.preflight)
    _baseline_note(outcome, baseline)
    if write_baseline:
        from envdoctor.outputs import record_baseline

        return record_baseline(outcome.run, write_baseline)
    return _render_check(outcome, chosen, outputs, verbose)


def _request(values: dict):
    """(format, outputs, collect.Request) from run_check's keyword arguments; usage errors raised here."""
    from envdoctor import collect

    one_target(values["facts_file"], values["python"])
    chosen = report_format(values["fmt"])
    outputs = report_outputs(values["output"])
    if chosen == Format.text:
        import envdoctor.report.text  # noqa: F401  (imported while an early probe still runs)
        if color_wanted():
            import rich.console  # noqa: F401  (likewise; only a terminal gets colour)
    request = collect.Request(
        python=values["python"], cwd=values["cwd"], timeout=values["timeout"], facts_file=values["facts_file"],
        select=tokens(values["select"]), ignore=tokens(values["ignore"]), strict=values["strict"],
        scan=tokens(values["scan"]), no_scan=values["no_scan"], deep=values["deep"], config=values["config"],
        baseline=values["baseline"], against=values["against"])
    return chosen, outputs, request


def _replay_for(values: dict, fmt: str, outputs):
    """A Replay for a plain check whose report can be stored and printed again (replay/); else None.
    `values`: run_check's keyword arguments."""
    from envdoctor.report import REPLAYABLE_FORMATS

    if (outputs or values.get("deep") or values.get("facts_file") or values.get("baseline") or values.get("write_baseline")
            or any(values.get(name) for name in PREVIEW_OPTIONS) or fmt not in REPLAYABLE_FORMATS):
        return None
    from envdoctor import replay

    if not replay.enabled() or sys.stdout is None:  # no stdout (closed): nothing to replay to
        return None
    keyed = {name: tuple(value) if isinstance(value, list) else value for name, value in
             ((name, values.get(name)) for name in REPLAY_KEYED)}
    terminal = {"width": terminal_width() if fmt == Format.text else 0, "color": fmt == Format.text and color_wanted()}
    try:
        return replay.Replay({**keyed, "fmt": fmt, **terminal})
    except OSError:  # the working directory is gone (the key names it)
        return None


def _check_with_replay(values: dict, replay) -> int:
    """A plain check whose report may be stored: the stored one when it holds for what the probe
    sees; else the run's own, recorded from the first option it reads (a format's reporter is
    looked up among the plugins' entry points) and stored for the next run (rendered once more,
    with the run-time stand-in)."""
    import dataclasses

    from envdoctor import collect, entry_points
    from envdoctor.replay import Replayed
    from envdoctor.report import ELAPSED_STAND_IN, render, with_elapsed

    started = time.perf_counter()
    found = None
    if replay.digest is None:  # not looked up before run_check (typer's path)
        with progress_shown(values["quiet"]):
            found = _stored_report(replay, collect.early_probe())
    if found is not None:
        sys.stdout.write(with_elapsed(replay.fmt, found[0], time.perf_counter() - started))
        return found[1]
    with replay.recording() as reads:
        entry_points.forget()  # read again, inside the recording: the plugins' metadata is part of the proof
        fmt, _outputs, request = _request(values)
        with progress_shown(values["quiet"]):
            try:
                outcome, replayed = collect.checked(request, terminal_scope, on_document=replay.document_arrived), None
            except Replayed as stored:
                outcome, replayed = None, stored
        if replayed is not None:
            sys.stdout.write(with_elapsed(fmt, replayed.report, time.perf_counter() - started))
            return replayed.exit_code
        context = _report_context(outcome, fmt, values["verbose"])
        report = render(fmt, context)
        template = None if reads.spoiled else render(fmt, dataclasses.replace(context, elapsed=ELAPSED_STAND_IN))
    code = outcome.run.exit_code(outcome.strict)
    if template is not None and with_elapsed(fmt, template, outcome.elapsed) != report:
        template = None  # the stand-in changed more than the run time (a folded line): nothing to store
    replay.store(template, code)
    sys.stdout.write(report)
    return code


def _stored_report(replay, early):
    """The report stored for this command line, when launch.py's probe (`early`) answers with the
    document it was made from and its proof holds: looked up before anything else is done (no
    settings, no check modules); else None, and the run goes on with that probe's answer."""
    from envdoctor.probe.dist_cache_file import ProbeStamps, has_news
    from envdoctor.probe.frame import document_text, split_last_section
    from envdoctor.probe.start import answer

    if early is None or not replay.stored():
        return None
    from envdoctor import progress

    if not replay.proof_holds():
        return None  # something the stored report was made from changed: the run makes it anew
    progress.say("probe", f"waiting for {early.python} to report its facts")
    result = answer(early, progress.notice)
    text = None if result.timed_out else document_text(result.stdout, early.nonce)
    if text is None:
        return None  # no answer: the run diagnoses it
    facts_text, cache_news = split_last_section(text, "dist_cache")
    if has_news(cache_news):
        return None  # the probe's cache must be brought up to date first: the run does it
    return replay.lookup(facts_text, result.stderr, ProbeStamps(early.python, cache_news))


def replayed_directly(values: dict, early) -> Optional[int]:
    """launch.py's plain check answered by its stored report, before collect, the facts model or
    any check module is imported: the exit code, with the report written; None when there is none
    that holds (the run then goes on, reusing this lookup and the probe's answer).  Any problem
    here is the normal run's to meet and report."""
    global _looked_up
    started = time.perf_counter()
    try:
        fmt = (values.get("fmt") or "text").strip().lower()
        replay = _replay_for(values, fmt, values.get("output"))
        if replay is None or early is None or not replay.stored():
            return None
        with progress_shown(values.get("quiet")):  # the probe's wait shows on a terminal, as in a full run
            found = _stored_report(replay, early)
        _looked_up = replay
        if found is None:
            return None
        from envdoctor.report import with_elapsed

        report = with_elapsed(fmt, found[0], time.perf_counter() - started)
    except Exception:  # noqa: BLE001 - the normal run meets the same problem and reports it properly
        return None
    sys.stdout.write(report)
    return found[1]


def _preflight_wanted(with_requirements, more, files, index_url, extra_index_urls, find_links, write_baseline):
    """check --with/-r's values, checked before anything is probed (preflight/wanted.py)."""
    from envdoctor.errors import UsageError

    if not (with_requirements or more or files or index_url or extra_index_urls or find_links):
        return None  # a plain check: preflight/ is not even imported
    from envdoctor.preflight.wanted import wanted_from

    if more and not with_requirements:
        raise UsageError(f"unexpected argument {more[0]!r}: requirements to preview follow --with")
    wanted = wanted_from([*(with_requirements or ()), *(more or ())], files or (), index_url, extra_index_urls or (),
                         find_links or ())
    if wanted and write_baseline:
        raise UsageError("--write-baseline records the environment as it is: not with --with or -r")
    return wanted


def _preflight_note(comparison) -> None:
    """What the install would change among the findings, on stderr (the report is on stdout)."""
    from envdoctor.outputs import note

    text = "check --with: the install would put in place " + (", ".join(comparison.installs) or "nothing")
    text += f"; findings afterwards: {len(comparison.new)} new, {len(comparison.present)} already present"
    if comparison.resolved:
        text += "; the install would resolve " + ", ".join(f.identity for f in comparison.resolved)
    note(text)


def _baseline_note(outcome, baseline: Optional[str]) -> None:
    if not baseline:
        return
    from envdoctor.outputs import note

    count = outcome.suppressed
    text = f"{count} finding{'s' if count != 1 else ''} in the baseline {baseline} not shown"
    if outcome.expired:
        text += f"; {outcome.expired} shown again because their baseline entry expired"
    note(text)


def _report_context(outcome, fmt: str, verbose: bool):
    from envdoctor.report.context import ReportContext

    return ReportContext(
        facts=outcome.facts, run=outcome.run, strict=outcome.strict, verbose=verbose, elapsed=outcome.elapsed,
        color=fmt == Format.text and color_wanted(), checks=tuple(outcome.checks),
        width=terminal_width() if fmt == Format.text else 0,
        failed=None if outcome.preflight is None else outcome.preflight.exit_code(outcome.strict) == EXIT_FINDINGS,
    )


def _render_check(outcome, fmt: str, outputs, verbose: bool) -> int:
    import dataclasses

    from envdoctor.outputs import append_step_summary, write_file
    from envdoctor.report import render

    context = _report_context(outcome, fmt, verbose)
    sys.stdout.write(render(fmt, context))
    plain = dataclasses.replace(context, color=False, width=0)  # files are never coloured nor folded
    for out_format, path in outputs:
        write_file(path, render(out_format, plain), "--output")
    if fmt == Format.github or any(f == Format.github for f, _ in outputs):
        append_step_summary(context)
    if outcome.preflight is not None:  # check --with: what the install would break (preflight/compare.py)
        return outcome.preflight.exit_code(outcome.strict)
    return outcome.run.exit_code(outcome.strict)


def run_directly(values: dict, early_probe) -> None:
    """launch.py's dispatch of a plain `check` command line (values as typer would pass them):
    the typer command's work without typer; ends in SystemExit with the exit code."""
    code = replayed_directly(values, early_probe)
    if code is not None:
        raise SystemExit(code)
    from envdoctor import collect
    from envdoctor.boundary import guarded

    collect.hand_over_early_probe(early_probe)
    guarded(lambda: run_check(**values))
