"""Thin typer commands: parse -> call -> render -> exit code.

The one error boundary is `guarded`: EnvdoctorError -> its message and exit
code; Ctrl-C -> 130; anything else -> a crash log and exit 3, never a
traceback on the terminal.
"""

from __future__ import annotations

import enum
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Annotated, Callable, List, Optional

import typer


from envdoctor import __version__
from envdoctor.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EnvdoctorError, UsageError
from envdoctor.probe.start import DEFAULT_TIMEOUT
from envdoctor.report import Format

app = typer.Typer(
    name="envdoctor",
    help="Find, explain and repair what is broken in a Python ML/GPU environment.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

PythonOption = Annotated[
    Optional[str],
    typer.Option("--python", "-p", help="Interpreter or venv/conda prefix to inspect [default: $VIRTUAL_ENV, $CONDA_PREFIX, this Python]."),
]
CwdOption = Annotated[Optional[str], typer.Option("--cwd", help="Working directory the target runs from (it is sys.path[0]) [default: .].")]
TimeoutOption = Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds the probe may take before it is killed.")]
ScanOption = Annotated[
    Optional[List[str]],
    typer.Option("--scan", help="Also scan the imports of this distribution or source folder (repeatable); installed stack packages (sglang, vllm, flashinfer, ...) are scanned by default."),
]
NoScanOption = Annotated[bool, typer.Option("--no-scan", help="Skip the static import scan.")]
DeepOption = Annotated[
    bool,
    typer.Option("--deep", help="Also import the installed stack (torch, triton, flashinfer, sglang, vllm, ...), each in its own subprocess with --timeout: CUDA use, arch list, a kernel launch, a Triton kernel."),
]
ConfigOption = Annotated[
    Optional[str],
    typer.Option("--config", help="Settings file [default: [tool.envdoctor] of the nearest pyproject.toml at or above --cwd]."),
]



def _crash_log(exc: BaseException) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "envdoctor"
    base.mkdir(parents=True, exist_ok=True)
    path = base / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    path.write_text(
        f"envdoctor {__version__} on Python {sys.version}\nargv: {sys.argv}\n\n"
        + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        encoding="utf-8",
    )
    return path


def guarded(body: Callable[[], int]) -> None:
    try:
        code = body()
    except EnvdoctorError as exc:
        sys.stderr.write(f"envdoctor: error: {exc}\n")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        sys.stderr.write("envdoctor: interrupted\n")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except typer.Exit:
        raise
    except BrokenPipeError:  # `envdoctor list | head`: the reader left; not a failure of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(0) from None
    except Exception as exc:  # the boundary: a bug in envdoctor, reported without a traceback
        try:
            where = f"; crash log: {_crash_log(exc)}"
        except OSError:
            where = ""
        sys.stderr.write(f"envdoctor: internal error: {type(exc).__name__}: {exc}{where}\n")
        raise typer.Exit(EXIT_INTERNAL) from None
    raise typer.Exit(code)


def _color_wanted() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _tokens(values: Optional[List[str]]) -> List[str]:
    """--select A,B --select C -> [A, B, C]."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def _load_facts_file(path: str, option: str = "--facts"):
    from envdoctor.model.facts import FACTS_SCHEMA_VERSION, Facts

    from envdoctor.config import read_json

    data = read_json(path, option)
    if not isinstance(data, dict) or "schema_version" not in data or "target" not in data:
        raise UsageError(f"{option} {path}: not an envdoctor snapshot (no schema_version/target)")
    if not isinstance(data["schema_version"], int) or data["schema_version"] > FACTS_SCHEMA_VERSION:
        raise UsageError(
            f"{option} {path}: snapshot schema {data['schema_version']!r} is not one this envdoctor reads (up to {FACTS_SCHEMA_VERSION}); upgrade envdoctor"
        )
    try:
        return Facts.from_dict(data)
    except (TypeError, ValueError, KeyError) as exc:
        raise UsageError(f"{option} {path}: malformed snapshot ({exc})") from exc


# A probe launch.py started before typer was imported, if any.
_EARLY_PROBE = None


def _probe(python: Optional[str], cwd: Optional[str], timeout: float, scan=None, deep: bool = False):
    """The target's facts; with a scan request the import scan's section, with deep the deep probes'."""
    global _EARLY_PROBE
    from envdoctor.probe.facts_probe import run_probe
    from envdoctor.target_choice import resolve_target

    started, _EARLY_PROBE = _EARLY_PROBE, None
    target = resolve_target(python, cwd)
    facts = _scanned(run_probe(target, timeout=timeout, started=started), scan)
    return _deepened(facts, target, timeout) if deep else facts


def _deepened(facts, target, timeout: float):
    """Facts with the deep section: a spinner on stderr while the stack imports, where stderr is a terminal."""
    import dataclasses
    from contextlib import nullcontext

    from envdoctor.probe.deep_probes import run_deep

    status = nullcontext()
    if sys.stderr.isatty():
        from rich.console import Console

        status = Console(stderr=True).status("deep probes: starting")
    with status as spinner:
        progress = (lambda text: spinner.update(f"deep probes: {text}")) if spinner else None
        return dataclasses.replace(facts, deep=run_deep(facts, target, timeout, progress=progress))


def _settings(cwd: Optional[str] = None, config: Optional[str] = None):
    """[tool.envdoctor], read once per command."""
    from envdoctor.config import load_settings

    return load_settings(cwd or os.getcwd(), config)


def _registry(settings):
    """Every check: the plugins', and one per rule of the settings' own rule files."""
    from envdoctor.registry import load_registry

    return load_registry(rule_files=settings.rules)


def _scan_request(items: Optional[List[str]], no_scan: bool, settings):
    """--scan items after the settings' `scan` list."""
    from envdoctor.scan import ScanRequest

    if no_scan and items:
        raise UsageError("--scan and --no-scan contradict each other")
    return ScanRequest(items=settings.scan + tuple(_tokens(items)), include_stack=True, enabled=not no_scan)


def _scanned(facts, scan):
    from envdoctor.scan import with_import_scan

    return facts if scan is None else with_import_scan(facts, scan)


OutputOption = Annotated[
    Optional[List[str]],
    typer.Option("--output", "-o", help="Also write a report: FORMAT=PATH, e.g. sarif=envdoctor.sarif (repeatable; one run, several formats)."),
]
BaselineOption = Annotated[Optional[str], typer.Option("--baseline", help="Report only findings not recorded in this baseline file (expired entries no longer count).")]
AgainstOption = Annotated[
    Optional[str],
    typer.Option("--against", help="Also report every difference from this known-good snapshot that changes behaviour (check EXP002)."),
]
WriteBaselineOption = Annotated[
    Optional[str], typer.Option("--write-baseline", help="Record the current findings in this file as accepted, and exit 0.")
]


def _outputs(values: Optional[List[str]]):
    """--output FORMAT=PATH items, checked before any probing."""
    outputs = []
    for value in values or ():
        name, eq, path = value.partition("=")
        if not eq or not path:
            raise UsageError(f"--output {value!r}: expected FORMAT=PATH, e.g. sarif=envdoctor.sarif")
        try:
            outputs.append((Format(name.strip().lower()), path))
        except ValueError:
            raise UsageError(f"--output {value!r}: unknown format {name!r} (one of {', '.join(f.value for f in Format)})") from None
    return outputs


def _selection(registry, settings, select, ignore, known_good=None, against=None):
    """CLI --select replaces the config's select; --ignore adds to the config's ignore.

    EXP001 gets the config's `require` entries and EXP002 the --against snapshot; each is
    left out without them, and naming it in --select without them is a usage error."""
    from envdoctor.checks.expectations import with_expectations
    from envdoctor.checks.known_good import with_known_good

    for code in settings.severity:
        if not registry.lookup(code):
            raise UsageError(f"config {settings.path}: severity.{code}: unknown check code or prefix (see `envdoctor list`)")
    chosen = _tokens(select) or list(settings.select)
    checks = registry.select(chosen, list(settings.ignore) + _tokens(ignore))
    bound = with_known_good(with_expectations(checks, settings.require), known_good, against or "")
    named = {token.strip().upper() for token in chosen} | {token.strip().lower() for token in chosen}
    needs = {"EXP001": "a `require` list in [tool.envdoctor]", "EXP002": "--against KNOWN_GOOD.json"}
    kept = {spec.code for spec in bound}
    for spec in checks:
        if spec.code not in kept and (spec.code in named or spec.name in named):
            raise UsageError(f"{spec.code} ({spec.name}) needs {needs[spec.code]}")
    return bound


def _write(path: str, text: str, option: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{option} {path}: {exc.strerror or exc}") from exc


def _step_summary(context) -> None:
    """Inside GitHub Actions: the Markdown report appended to the job summary."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary:
        return
    from envdoctor.report import redacted
    from envdoctor.report.markdown import render_markdown

    try:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(redacted(render_markdown(context), context) + "\n")
    except OSError as exc:
        sys.stderr.write(f"envdoctor: cannot append to GITHUB_STEP_SUMMARY {summary}: {exc.strerror or exc}\n")


def _checked(python, cwd, timeout, facts_file, select, ignore, strict, scan, no_scan, deep, config, baseline, against=None):
    """Settings, selection, facts, the run, severity overrides and the baseline: what check and report share."""
    started = time.perf_counter()
    settings = _settings(cwd, config)
    known_good = _load_facts_file(against, "--against") if against else None
    checks = _selection(_registry(settings), settings, select, ignore, known_good, against)  # usage errors before any probing
    request = _scan_request(scan, no_scan, settings)
    if not any("imports" in spec.needs for spec in checks):
        request = request._replace(enabled=False)  # no selected check reads the scan
    baseline_entries = None
    if baseline:
        from envdoctor.policy import load_baseline

        baseline_entries = load_baseline(baseline)
    if facts_file and deep:
        raise UsageError("--deep needs a live target, not --facts (take the snapshot with `snapshot --deep`)")
    facts = _load_facts_file(facts_file) if facts_file else _probe(python, cwd, timeout, request, deep)
    from envdoctor.engine import run_checks
    from envdoctor.policy import apply_baseline, override_severities

    run = override_severities(run_checks(checks, facts), settings.severity)
    if baseline_entries is not None:
        run, suppressed, expired = apply_baseline(run, baseline_entries)
        note = f"envdoctor: {suppressed} finding{'s' if suppressed != 1 else ''} in the baseline {baseline} not shown"
        sys.stderr.write(note + (f"; {expired} shown again because their baseline entry expired" if expired else "") + "\n")
    return facts, run, checks, strict or settings.strict, time.perf_counter() - started


@app.command()
def check(
    python: PythonOption = None,
    cwd: CwdOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    facts_file: Annotated[Optional[str], typer.Option("--facts", help="Check a snapshot file instead of a live target.")] = None,
    select: Annotated[Optional[List[str]], typer.Option("--select", "-s", help="Only these checks: code, code prefix or name (repeatable, comma-separated).")] = None,
    ignore: Annotated[Optional[List[str]], typer.Option("--ignore", "-i", help="Skip these checks: code, code prefix or name.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format on stdout.")] = Format.text,
    output: OutputOption = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail (exit 1) on warnings too.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the facts behind the findings.")] = False,
    scan: ScanOption = None,
    no_scan: NoScanOption = False,
    deep: DeepOption = False,
    config: ConfigOption = None,
    baseline: BaselineOption = None,
    write_baseline: WriteBaselineOption = None,
    against: AgainstOption = None,
) -> None:
    """Inspect a Python environment and report what is broken.  Exit 0 clean, 1 findings, 2 usage/target error."""

    def body() -> int:
        outputs = _outputs(output)
        if fmt is Format.text:
            import envdoctor.report.text  # noqa: F401  (imported while an early probe still runs)
            if _color_wanted():
                import rich.console  # noqa: F401  (likewise; only a terminal gets colour)
        facts, run, checks, is_strict, elapsed = _checked(
            python, cwd, timeout, facts_file, select, ignore, strict, scan, no_scan, deep, config, baseline, against)
        from envdoctor.report import render
        from envdoctor.report.context import ReportContext

        if write_baseline:
            from envdoctor.policy import write_baseline as record

            text, count = record(run, keep_from=write_baseline if os.path.exists(write_baseline) else None)
            _write(write_baseline, text, "--write-baseline")
            sys.stderr.write(f"envdoctor: {count} finding{'s' if count != 1 else ''} recorded in the baseline {write_baseline}\n")
            return 0
        context = ReportContext(
            facts=facts, run=run, strict=is_strict, verbose=verbose, elapsed=elapsed,
            color=fmt is Format.text and _color_wanted(), checks=tuple(checks),
        )
        sys.stdout.write(render(fmt, context))
        for out_format, path in outputs:
            _write(path, render(out_format, _plain(context)), "--output")
        if fmt is Format.github or any(f is Format.github for f, _ in outputs):
            _step_summary(context)
        return 1 if run.failed(is_strict) else 0

    guarded(body)


def _plain(context):
    """The context for a file: never coloured."""
    import dataclasses

    return dataclasses.replace(context, color=False)


@app.command()
def report(
    python: PythonOption = None,
    cwd: CwdOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    facts_file: Annotated[Optional[str], typer.Option("--facts", help="Report on a snapshot file instead of a live target.")] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Write the report here instead of stdout.")] = None,
    scan: ScanOption = None,
    no_scan: NoScanOption = False,
    deep: DeepOption = False,
    config: ConfigOption = None,
) -> None:
    """A redacted Markdown report to paste into a bug report: the ML-stack facts and every finding.

    Secret-looking environment variables, known token shapes and your home directory are masked.
    """

    def body() -> int:
        facts, run, checks, is_strict, elapsed = _checked(
            python, cwd, timeout, facts_file, None, None, False, scan, no_scan, deep, config, None)
        from envdoctor.report import redacted
        from envdoctor.report.context import ReportContext
        from envdoctor.report.markdown import render_markdown

        context = ReportContext(facts=facts, run=run, strict=is_strict, verbose=True, elapsed=elapsed, checks=tuple(checks))
        text = redacted(render_markdown(context, with_environment=True), context, home=True)
        if output:
            _write(output, text, "--output")
            sys.stderr.write(f"envdoctor: report written to {output}\n")
        else:
            sys.stdout.write(text)
        return 0

    guarded(body)


@app.command()
def snapshot(
    python: PythonOption = None,
    cwd: CwdOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Write the facts here instead of stdout.")] = None,
    scan: ScanOption = None,
    no_scan: NoScanOption = False,
    deep: DeepOption = False,
    config: ConfigOption = None,
) -> None:
    """Write the target's facts as JSON (check it later with `check --facts FILE`)."""

    def body() -> int:
        facts = _probe(python, cwd, timeout, _scan_request(scan, no_scan, _settings(cwd, config)), deep)
        text = json.dumps(facts.to_dict(), indent=1) + "\n"
        if output:
            try:
                Path(output).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"--output {output}: {exc.strerror or exc}") from exc
            sys.stderr.write(f"envdoctor: facts written to {output}\n")
        else:
            sys.stdout.write(text)
        return 0

    guarded(body)


class DiffFormat(str, enum.Enum):
    text = "text"
    json = "json"


def _looks_like_json(path: str) -> bool:
    """A snapshot starts with '{'; an interpreter (ELF, Mach-O, a script) never does."""
    try:
        with open(path, "rb") as handle:
            return handle.read(64).lstrip()[:1] == b"{"
    except OSError:
        return False


def _side(item: str, cwd: Optional[str], timeout: float):
    """A diff operand: a snapshot file, else an interpreter or environment prefix probed now."""
    from envdoctor.report.differences import Side

    if os.path.isfile(item) and _looks_like_json(item):
        facts = _load_facts_file(item, "diff")
    elif os.path.exists(item):
        facts = _probe(item, cwd, timeout)
    else:
        raise UsageError(f"diff: {item}: no such snapshot file, interpreter or environment")
    return facts, Side.of(item, facts)


@app.command()
def diff(
    before: Annotated[str, typer.Argument(help="Snapshot file (envdoctor snapshot -o), interpreter or environment prefix.")],
    after: Annotated[str, typer.Argument(help="The same, for the other environment.")],
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format on stdout.")] = DiffFormat.text,
    cwd: CwdOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Show what differs between two environments that matters, grouped and ordered by impact.

    Exit 0 when nothing that matters differs, 1 when something does (as diff(1)), 2 on bad input.
    """

    def body() -> int:
        from envdoctor.diff import diff_facts
        from envdoctor.report.differences import render_diff_json, render_diff_text

        old, old_side = _side(before, cwd, timeout)
        new, new_side = _side(after, cwd, timeout)
        differences = diff_facts(old, new)
        render = render_diff_json if fmt is DiffFormat.json else render_diff_text
        sys.stdout.write(render(old_side, new_side, differences))
        return 1 if differences else 0

    guarded(body)


@app.command()
def fix(
    python: PythonOption = None,
    cwd: CwdOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    select: Annotated[Optional[List[str]], typer.Option("--select", "-s", help="Only findings of these checks: code, prefix or name.")] = None,
    ignore: Annotated[Optional[List[str]], typer.Option("--ignore", "-i", help="Leave findings of these checks alone.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply the plan without asking.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")] = False,
    unsafe: Annotated[bool, typer.Option("--unsafe", help="With --yes, also apply plans that add or edit code in the target (shims, stubs, patches, metadata removal).")] = False,
    scan: ScanOption = None,
    no_scan: NoScanOption = False,
    deep: DeepOption = False,
    config: ConfigOption = None,
    against: AgainstOption = None,
) -> None:
    """Plan repairs for the findings, show them, apply them through a journal, verify, and roll back on failure.

    Without --yes it asks on a terminal (default no); elsewhere it prints the plan, changes nothing and exits 1.
    """

    def body() -> int:
        from envdoctor.fixes.flow import FixOptions, fix as run_fix
        settings = _settings(cwd, config)
        known_good = _load_facts_file(against, "--against") if against else None
        checks = _selection(_registry(settings), settings, select, ignore, known_good, against)
        request = _scan_request(scan, no_scan, settings)
        from envdoctor.probe.facts_probe import run_probe
        from envdoctor.target_choice import resolve_target

        target = resolve_target(python, cwd)

        def probe():
            # The scan is part of the facts: a patched import must be seen gone when verifying.
            facts = _scanned(run_probe(target, timeout=timeout), request)
            return _deepened(facts, target, timeout) if deep else facts

        interactive = sys.stdin.isatty() and sys.stderr.isatty()
        options = FixOptions(yes=yes, dry_run=dry_run, unsafe=unsafe, interactive=interactive)
        return run_fix(options, probe, checks, sys.stdout.write)

    guarded(body)


@app.command()
def undo(
    entry: Annotated[Optional[str], typer.Argument(help="The journal entry to revert [default: the last one applied].")] = None,
    python: PythonOption = None,
    list_entries: Annotated[bool, typer.Option("--list", help="List the journal's entries.")] = False,
) -> None:
    """Revert a fix: put back every file it changed, from the journal's snapshot (works after a crash too)."""

    def body() -> int:
        from envdoctor.fixes.flow import undo as run_undo
        from envdoctor.target_choice import resolve_target

        return run_undo(resolve_target(python, None).python, entry, list_entries, sys.stdout.write)

    guarded(body)


@app.command("list")
def list_checks() -> None:
    """List every registered check: code, name, fix kind, summary, provider."""

    def body() -> int:
        for spec in _registry(_settings()).checks:
            fix = spec.fix or "-"
            sys.stdout.write(f"{spec.code:<8} {spec.name:<28} fix: {fix:<10} {spec.summary}  [{spec.provider}]\n")
        return 0

    guarded(body)


@app.command()
def explain(code: Annotated[str, typer.Argument(help="A check code or name, e.g. NSP001 or namespace-masquerade.")]) -> None:
    """Print a check's documentation: what it detects, why it breaks, example, fix, references."""

    def body() -> int:
        registry = _registry(_settings())
        matches = [spec for spec in registry.checks if spec.code == code.upper() or spec.name == code.lower()]
        if not matches:
            matches = registry.lookup(code)
        if len(matches) != 1:
            listed = ", ".join(s.code for s in matches)
            raise UsageError(f"{code!r} names {'no check' if not matches else 'several checks: ' + listed} (see `envdoctor list`)")
        spec = matches[0]
        sys.stdout.write(f"{spec.code} {spec.name} — {spec.summary}\nprovided by {spec.provider}; fix: {spec.fix or 'none'}\n\n{spec.doc}\n")
        return 0

    guarded(body)


def _version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"envdoctor {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version.")] = None,
) -> None:
    """Find, explain and repair what is broken in a Python ML/GPU environment."""


def main(early_probe=None) -> None:
    global _EARLY_PROBE
    _EARLY_PROBE = early_probe
    try:
        app()
    except KeyboardInterrupt:  # during argument parsing
        sys.stderr.write("envdoctor: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
