"""Thin typer commands: parse -> call -> render -> exit code.

Collecting facts and running checks is collect.py's; rendering is report/'s; the one
error boundary is boundary.guarded.  A command here turns its flags into a
collect.Request, calls collect, renders and returns the exit code.
"""

from __future__ import annotations

import sys
from typing import Annotated, List, Optional

import typer

from envdoctor import __version__, collect
from envdoctor.boundary import guarded
from envdoctor.check_command import run_check
from envdoctor.cli_options import (
    AgainstOption, BaselineOption, ConfigOption, CwdOption, DeepOption, DiffFormat, DryRunOption, FactsOption,
    FixIgnoreOption, FixSelectOption, FormatOption, IgnoreOption, NoScanOption, OutputOption, PythonOption, QuietOption, ScanOption,
    SelectOption, StrictOption, TimeoutOption, UnsafeOption, VerboseOption, WriteBaselineOption, YesOption,
    literal,
)
from envdoctor.cli_options import (
    ExtraIndexUrlOption, FindLinksOption, IndexUrlOption, RequirementFileOption, WithMoreArgument, WithOption,
)
from envdoctor.errors import EXIT_INTERRUPTED
from envdoctor.fleet.fleet_formats import FleetFormat as FleetFormatOption
from envdoctor.option_values import one_target, tokens
from envdoctor.outputs import emit, redacting
from envdoctor.probe.start import DEFAULT_TIMEOUT
from envdoctor.terminal import progress_shown, terminal_confirm, terminal_scope
from envdoctor.redaction import redacted_json
from envdoctor.report import Format

app = typer.Typer(
    name="envdoctor",
    help=literal("Find, explain and repair what is broken in a Python ML/GPU environment."),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command()
def check(
    python: PythonOption = None,
    cwd: CwdOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    facts_file: FactsOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    fmt: FormatOption = Format.text.value,
    output: OutputOption = None,
    strict: StrictOption = False,
    verbose: VerboseOption = False,
    scan: ScanOption = None,
    no_scan: NoScanOption = False,
    deep: DeepOption = False,
    config: ConfigOption = None,
    baseline: BaselineOption = None,
    write_baseline: WriteBaselineOption = None,
    against: AgainstOption = None,
    quiet: QuietOption = False,
    with_requirements: WithOption = None,
    more_requirements: WithMoreArgument = None,
    requirement_files: RequirementFileOption = None,
    index_url: IndexUrlOption = None,
    extra_index_url: ExtraIndexUrlOption = None,
    find_links: FindLinksOption = None,
) -> None:
    """Inspect a Python environment and report what is broken.

    Exit 0 clean, 1 findings (errors; warnings too with --strict), 2 usage or target error,
    3 envdoctor itself failed (a crash log is written), 130 interrupted.

    With --with/-r: what installing the requirements would break, each finding marked [new] or
    [already present]; exit 1 only on a new error (--strict: on any warning or error).
    """

    guarded(lambda: run_check(
        python=python, cwd=cwd, timeout=timeout, facts_file=facts_file, select=select, ignore=ignore, fmt=fmt,
        output=output, strict=strict, verbose=verbose, scan=scan, no_scan=no_scan, deep=deep, config=config,
        baseline=baseline, write_baseline=write_baseline, against=against, quiet=quiet,
        with_requirements=with_requirements, more_requirements=more_requirements,
        requirement_files=requirement_files, index_url=index_url, extra_index_url=extra_index_url,
        find_links=find_links))


@app.command()
def report(
    python: PythonOption = None,
    cwd: CwdOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    facts_file: Annotated[Optional[str], typer.Option("--facts", help=literal("Report on a snapshot file instead of a live target."))] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help=literal("Write the report here instead of stdout."))] = None,
    scan: ScanOption = None,
    no_scan: NoScanOption = False,
    deep: DeepOption = False,
    config: ConfigOption = None,
    quiet: QuietOption = False,
) -> None:
    """A redacted Markdown report to paste into a bug report: the ML-stack facts and every finding.

    Secret-looking environment variables, known token shapes and your home directory are masked.
    """

    def body() -> int:
        one_target(facts_file, python)
        request = collect.Request(python=python, cwd=cwd, timeout=timeout, facts_file=facts_file,
                                  scan=tokens(scan), no_scan=no_scan, deep=deep, config=config)
        with progress_shown(quiet):
            outcome = collect.checked(request, terminal_scope)
        from envdoctor.report import redacted
        from envdoctor.report.context import ReportContext
        from envdoctor.report.markdown import render_markdown

        context = ReportContext(facts=outcome.facts, run=outcome.run, strict=outcome.strict, verbose=True,
                                elapsed=outcome.elapsed, checks=tuple(outcome.checks))
        text = redacted(render_markdown(context, with_environment=True), context, home=True)
        emit(text, output, "report")
        return 0

    guarded(body)


@app.command()
def snapshot(
    python: PythonOption = None,
    cwd: CwdOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help=literal("Write the facts here instead of stdout."))] = None,
    scan: ScanOption = None,
    no_scan: NoScanOption = False,
    deep: DeepOption = False,
    config: ConfigOption = None,
    quiet: QuietOption = False,
) -> None:
    """Write the target's facts as JSON (check it later with `check --facts FILE`)."""

    def body() -> int:
        request = collect.Request(python=python, cwd=cwd, timeout=timeout, scan=tokens(scan), no_scan=no_scan,
                                  deep=deep, config=config)
        with progress_shown(quiet):
            facts = collect.snapshot_facts(request, terminal_scope)
        emit(redacted_json(facts.to_dict()), output, "facts")
        return 0

    guarded(body)


@app.command()
def diff(
    before: Annotated[str, typer.Argument(help=literal("Snapshot file (envdoctor snapshot -o), interpreter or environment prefix."))],
    after: Annotated[str, typer.Argument(help=literal("The same, for the other environment."))],
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help=literal("Output format on stdout."))] = DiffFormat.text,
    cwd: CwdOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Show what differs between two environments that matters, grouped and ordered by impact.

    Exit 0 when nothing that matters differs, 1 when something does (as diff(1)), 2 on bad input.
    """

    def body() -> int:
        from envdoctor.vocabulary.facts_diff import diff_facts
        from envdoctor.report.differences import render_diff_json, render_diff_text

        from envdoctor.report.differences import Side

        old, new = (collect.operand_facts(item, cwd, timeout) for item in (before, after))
        old_side, new_side = Side.of(before, old), Side.of(after, new)
        differences = diff_facts(old, new, mask=collect.snapshot_mask())
        render = render_diff_json if fmt is DiffFormat.json else render_diff_text
        sys.stdout.write(render(old_side, new_side, differences))
        return 1 if differences else 0

    guarded(body)


@app.command()
def fleet(
    ray: Annotated[bool, typer.Option("--ray", help=literal("Collect from every alive node of a Ray cluster (needs envdoctor[ray])."))] = False,
    address: Annotated[str, typer.Option("--address", help=literal("The Ray cluster to join with --ray."))] = "auto",
    slurm: Annotated[bool, typer.Option("--slurm", help=literal("Collect with srun --ntasks-per-node=1 (inside an allocation, or with --slurm-args)."))] = False,
    slurm_args: Annotated[str, typer.Option("--slurm-args", help=literal("More srun arguments, e.g. \"-N 8 -p gpu\"."))] = "",
    sources: Annotated[Optional[List[str]], typer.Option("--from", help=literal("Snapshot files or folders of them, one per node (repeatable)."))] = None,
    python: Annotated[Optional[str], typer.Option("--python", "-p", help=literal("The interpreter to inspect on every node [default: the one Ray's workers use / envdoctor's]."))] = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    fmt: Annotated[FleetFormatOption, typer.Option("--format", "-f", help=literal("Output format on stdout."))] = FleetFormatOption.text,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help=literal("Write the report here instead of stdout."))] = None,
    strict: StrictOption = False,
    config: ConfigOption = None,
    deep: Annotated[bool, typer.Option("--deep", help=literal("Also run a real all-reduce across the nodes (nccl on GPUs, gloo on CPUs), and on failure one per pair of nodes (--ray)."))] = False,
) -> None:
    """Check every node of a cluster and what differs between them (body: envdoctor/fleet_command.py).

    Exit 0 clean, 1 findings on a node or across nodes, 2 usage error.  --timeout is per node.
    """

    def body() -> int:
        from envdoctor.fleet_command import run_fleet

        text, code = run_fleet(ray, address, slurm, slurm_args, sources or [], python, timeout, config, strict, fmt, deep)
        emit(text, output, "fleet report")
        return code

    guarded(body)


@app.command()
def fix(
    python: PythonOption = None,
    cwd: CwdOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    select: FixSelectOption = None,
    ignore: FixIgnoreOption = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    unsafe: UnsafeOption = False,
    scan: ScanOption = None,
    no_scan: NoScanOption = False,
    deep: DeepOption = False,
    config: ConfigOption = None,
    against: AgainstOption = None,
    quiet: QuietOption = False,
) -> None:
    """Plan repairs for the findings, show them, apply them through a journal, verify, and roll back on failure.

    Without --yes it asks on a terminal (default no); elsewhere it prints the plan, changes nothing and exits 1.
    """

    def body() -> int:
        from envdoctor.fixes.flow import FixOptions, fix as run_fix

        request = collect.Request(python=python, cwd=cwd, timeout=timeout, select=tokens(select),
                                  ignore=tokens(ignore), scan=tokens(scan), no_scan=no_scan, deep=deep,
                                  config=config, against=against)
        checks, collect_facts = collect.fix_inputs(request, terminal_scope)
        options = FixOptions(yes=yes, dry_run=dry_run, unsafe=unsafe)
        with progress_shown(quiet):
            return run_fix(options, collect_facts, checks, redacting(sys.stdout.write), confirm=terminal_confirm())

    guarded(body)


@app.command()
def undo(
    entry: Annotated[Optional[str], typer.Argument(help=literal("The journal entry to revert [default: the last one applied]."))] = None,
    python: PythonOption = None,
    list_entries: Annotated[bool, typer.Option("--list", help=literal("List the journal's entries."))] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=literal("Show what undo would put back, and warn when the environment changed after the fix; change nothing."))] = False,
    force: Annotated[bool, typer.Option("--force", help=literal("Undo even though the environment changed after the fix (that change is reverted too)."))] = False,
) -> None:
    """Revert a fix: put back every file it changed, from the journal's snapshot (works after a crash too)."""

    def body() -> int:
        from envdoctor.fixes.flow import undo as run_undo
        return run_undo(collect.resolve(python, None).python, entry, list_entries, redacting(sys.stdout.write),
                        dry_run=dry_run, force=force)

    guarded(body)


@app.command("list")
def list_checks() -> None:
    """List every registered check: code, name, fix kind, summary, provider."""

    def body() -> int:
        for spec in collect.registry_for(collect.settings_for()).checks:
            fix = spec.fix or "-"
            sys.stdout.write(f"{spec.code:<8} {spec.name:<28} fix: {fix:<10} {spec.summary}  [{spec.provider}]\n")
        return 0

    guarded(body)


@app.command()
def explain(code: Annotated[str, typer.Argument(help=literal("A check code or name, e.g. NSP001 or namespace-masquerade."))]) -> None:
    """Print a check's documentation: what it detects, why it breaks, example, fix, references."""

    def body() -> int:
        spec = collect.check_named(code)
        sys.stdout.write(f"{spec.code} {spec.name} — {spec.summary}\nprovided by {spec.provider}; fix: {spec.fix or 'none'}\n\n{spec.doc}\n")
        return 0

    guarded(body)


def _version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"envdoctor {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version_callback, is_eager=True, help=literal("Print the version."))] = None,
) -> None:
    """Find, explain and repair what is broken in a Python ML/GPU environment."""


def main(early_probe=None) -> None:
    collect.hand_over_early_probe(early_probe)
    try:
        app()
    except KeyboardInterrupt:  # during argument parsing
        sys.stderr.write("envdoctor: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
