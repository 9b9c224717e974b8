"""Collect: settings → check selection → facts (probe, import scan, deep probes) → check run.

Every command that needs facts or a check run comes through here: `check`, `report`,
`snapshot`, `diff`, and `fix` (before and after its changes).  The CLI only parses its
flags into a `Request`, calls one of these functions, renders what comes back and maps
it to an exit code.

Order matters for the user: everything that can be a usage error (the config, the
selection, a --against or --baseline file) is settled before the target is probed, so a
typo never costs a probe's wait.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from contextlib import nullcontext
from typing import Callable, ContextManager, Dict, Optional, Sequence, Tuple

from envdoctor.errors import UsageError
from envdoctor.model.facts import Facts
from envdoctor.model.record import Record, record
from envdoctor.progress import notice as progress_notice, say as say_progress

# Progress for a slow step: the caller gets a function taking one line of text.
Progress = Callable[[str], None]
ProgressScope = Callable[[str], ContextManager[Optional[Progress]]]

# Where each check input comes from, for the message when a check that needs it is named
# explicitly without it.  A check declares the inputs it takes (`@check(inputs=...)`).
INPUT_SOURCES = {
    "expectations": "a `require` list in [tool.envdoctor]",
    "known_good": "--against KNOWN_GOOD.json",
    "known_good_source": "--against KNOWN_GOOD.json",
    "known_good_mask": "--against KNOWN_GOOD.json",
    "rule_files": "the config's rule files (an empty list will do)",
    "preflight": "check --with REQ or -r FILE",
}

# A probe launch.py started before typer was imported, if any (taken by the first probe).
_early_probe = None


def hand_over_early_probe(started) -> None:
    """launch.py started the probe before the CLI was imported: the first live probe uses it."""
    global _early_probe
    _early_probe = started


def early_probe():
    """The probe launch.py started, while no probe has taken it (replay/ reads its answer first)."""
    return _early_probe


def quiet_scope(_what: str) -> ContextManager[Optional[Progress]]:
    return nullcontext()


@record
class Request(Record):
    """What a command asks of a target; the CLI fills it from its flags."""

    python: Optional[str] = None
    cwd: Optional[str] = None
    timeout: float = 60.0
    facts_file: Optional[str] = None
    select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    strict: bool = False
    scan: Tuple[str, ...] = ()
    no_scan: bool = False
    deep: bool = False
    config: Optional[str] = None
    baseline: Optional[str] = None
    against: Optional[str] = None


@record
class Outcome(Record):
    """A check run with what it was run on."""

    facts: Facts
    run: object  # engine.CheckRun (after severity overrides and the baseline)
    checks: tuple
    strict: bool
    elapsed: float
    suppressed: int = 0  # findings the baseline hid
    expired: int = 0  # baseline entries past their expiry, whose findings show again
    preflight: object = None  # check --with: preflight.compare.Comparison (run is its marked run)


def settings_for(cwd: Optional[str] = None, config: Optional[str] = None):
    """[tool.envdoctor] of the nearest pyproject.toml at or above `cwd`, or `config`; read once per command."""
    import os

    from envdoctor.config import load_settings

    return load_settings(cwd or os.getcwd(), config)


def registry_for(settings):
    """Every check: the plugins', and one per rule of the settings' own rule files."""
    from envdoctor.registry import load_registry

    return load_registry(rule_files=settings.rules)


def select_checks(registry, settings, select: Sequence[str], ignore: Sequence[str], inputs: Dict[str, object]):
    """--select replaces the config's select; --ignore adds to the config's ignore.

    A check that takes inputs besides the facts gets them from `inputs`; without them it is
    left out (it would check nothing), and naming it in --select then is a usage error."""
    from envdoctor.config import check_names

    check_names(settings, registry.knows)  # a typo in the config names its file, table and key
    for code in settings.severity:
        if not registry.lookup(code):
            raise UsageError(f"config {settings.path}: severity.{code}: unknown check code or prefix (see `envdoctor list`)")
    chosen = list(select) or list(settings.select)
    checks = registry.select(chosen, list(settings.ignore) + list(ignore))
    named = {token.upper() for token in chosen} | {token.lower() for token in chosen}
    bound = []
    for spec in checks:
        missing = [name for name in spec.inputs if inputs.get(name) is None]
        if not missing:
            bound.append(_bind(spec, {name: inputs[name] for name in spec.inputs}))
        elif spec.code in named or spec.name in named:
            raise UsageError(f"{spec.code} ({spec.name}) needs {INPUT_SOURCES.get(missing[0], missing[0])}")
    if not bound:  # "OK" after running nothing would read as a clean environment
        ignored = list(settings.ignore) + list(ignore)
        raise UsageError(
            "the selection leaves no check to run (select: " + (", ".join(chosen) or "all") + "; ignore: "
            + (", ".join(ignored) or "none") + "); see `envdoctor list`"
        )
    return tuple(bound)


def _bind(spec, values: Dict[str, object]):
    """The check with its inputs given; it keeps its docstring (SARIF, explain)."""
    if not values:
        return spec
    import functools

    function = spec.function

    def run(facts: Facts):
        return function(facts, **values)

    return dataclasses.replace(spec, function=functools.update_wrapper(run, function))


def scan_request(items: Sequence[str], no_scan: bool, settings):
    """--scan items after the settings' `scan` list."""
    from envdoctor.scan import ScanRequest

    if no_scan and items:
        raise UsageError("--scan and --no-scan contradict each other")
    return ScanRequest(items=settings.scan + tuple(items), include_stack=True, enabled=not no_scan, legacy_code=not no_scan)


def resolve(python: Optional[str], cwd: Optional[str]):
    """The target interpreter and working directory the user named (or the default one)."""
    from envdoctor.target_choice import resolve_target

    return resolve_target(python, cwd)


def live_facts(target, timeout: float, scan=None, deep: bool = False, scope: ProgressScope = quiet_scope,
               native: bool = False, numpy: bool = True, idle_modules: Sequence[str] = (),
               on_document: Optional[Callable[..., None]] = None) -> Facts:
    """The target's facts: the probe, the NumPy builds of its extension modules (scan/numpy_builds.py,
    with `numpy`: `check` asks for them only when a selected check reads them), then the import
    scan (with a scan request), the native linkage of the stack's extensions (with `native`), then
    the deep probes (with `deep`).  The scan is part of the facts: `fix` re-collects
    them to see a patched import gone.  `idle_modules`: modules the caller will import
    afterwards, imported while the probe runs, with the Requires-Dist lines of the target's
    cached distributions parsed (idle_work.py).  `on_document` gets the probe's document text
    first (replay/: a stored report may hold, and end the run there)."""
    global _early_probe
    from envdoctor.probe.facts_probe import probe_for, run_probe

    started = probe_for(target, timeout, _early_probe)
    _early_probe = None
    say_progress("probe", f"waiting for {target.python} to report its facts")
    idle = None
    if idle_modules:
        from envdoctor.idle_work import work_while_waiting

        idle = work_while_waiting(target.python, list(idle_modules))
    facts = run_probe(target, timeout, started, notice=progress_notice, idle=idle, on_document=on_document)
    if numpy:
        from envdoctor.scan.numpy_builds import numpy_builds

        facts = dataclasses.replace(facts, numpy_builds=numpy_builds(facts))
    if scan is not None:
        from envdoctor.scan import with_import_scan

        facts = with_import_scan(facts, scan)
    if scan is not None and scan.legacy_code:
        from envdoctor.scan.legacy_scan import with_legacy_code

        facts = with_legacy_code(facts)
    else:  # the probe's part alone is no scan: the checks that read it report themselves skipped
        facts = dataclasses.replace(facts, legacy_code=None)
    if native:
        from envdoctor.linkage import with_native_linkage
        from envdoctor.scan.guarded_imports import with_guarded_imports

        facts = with_guarded_imports(with_native_linkage(facts))
    if deep:
        from envdoctor.probe.deep_probes import run_deep

        with scope("deep probes") as progress:
            facts = dataclasses.replace(facts, deep=run_deep(facts, target, timeout, progress=progress))
    return facts


def facts_for(python: Optional[str], cwd: Optional[str], timeout: float, scan=None, deep: bool = False,
              scope: ProgressScope = quiet_scope, native: bool = False, numpy: bool = True,
              idle_modules: Sequence[str] = (), on_document: Optional[Callable[..., None]] = None) -> Facts:
    return live_facts(resolve(python, cwd), timeout, scan, deep, scope, native, numpy, idle_modules, on_document)


def inputs_for(settings, against: Optional[str]) -> Dict[str, object]:
    """The values checks may take besides the facts: the config's `require`, a --against snapshot,
    the config's rule files (their torch builds and indexes, for GPU001-GPU003's fixes)."""
    if settings.rules:
        from envdoctor.vocabulary.torch_catalogue import load_catalogue

        load_catalogue(settings.rules)  # a typo in their torch tables is an error now, not inside a check
    known_good = Facts.load(against, "--against") if against else None
    return {
        "expectations": tuple(settings.require) or None,
        "known_good": known_good,
        "known_good_source": against if known_good is not None else None,
        "known_good_mask": snapshot_mask() if known_good is not None else None,
        # read only by a check that needs them (the torch catalogue's builds and indexes)
        "rule_files": tuple(settings.rules),
    }


def snapshot_mask():
    """What `snapshot` masks in every text it writes: a live environment compared with a snapshot
    (diff, --against) goes through it too, or every masked token would read as a difference."""
    from envdoctor.redaction import redactor

    return redactor().text


def checked(request: Request, scope: ProgressScope = quiet_scope,
            on_document: Optional[Callable[..., None]] = None) -> Outcome:
    """Settings, selection, facts, the run, severity overrides and the baseline: what check and report
    share.  `on_document`: see live_facts."""
    started = time.perf_counter()
    settings, checks, scan = _selection(request)
    baseline = _baseline_entries(request.baseline)
    if request.facts_file and request.deep:
        raise UsageError("--deep needs a live target, not --facts (take the snapshot with `snapshot --deep`)")
    if request.facts_file:
        facts = Facts.load(request.facts_file)
    else:
        from envdoctor.idle_work import check_run_modules

        native, numpy = _reads_native(checks), _reads_numpy_builds(checks)
        facts = facts_for(request.python, request.cwd, request.timeout, scan, request.deep, scope, native, numpy,
                          check_run_modules(checks, scan, native, numpy), on_document)
    return _judged(checks, facts, settings, baseline, request.strict or settings.strict, time.perf_counter() - started)


def preflight_checked(request: Request, wanted, scope: ProgressScope = quiet_scope) -> Outcome:
    """`check --with`: the checks on the target as it is and as the install `wanted` (a
    preflight.wanted.Wanted) would leave it, the second run's findings marked new or already
    present.  Nothing is written into the target: its installer only resolves (a dry run)."""
    from envdoctor.model.install_resolution import InstallResolution
    from envdoctor.preflight.compare import compared
    from envdoctor.preflight.dry_run import resolve_install
    from envdoctor.preflight.overlay import facts_after

    if request.facts_file or request.deep:
        raise UsageError("--with and -r need a live target, without --deep (the install's builds cannot be imported)")
    started = time.perf_counter()
    as_it_is = InstallResolution(wanted.described(), "", "", resolved=True)  # the target before: nothing to resolve
    settings = settings_for(request.cwd, request.config)
    registry, inputs = registry_for(settings), inputs_for(settings, request.against)

    def selected(resolution: InstallResolution):
        return select_checks(registry, settings, request.select, request.ignore, {**inputs, "preflight": resolution})

    checks = selected(as_it_is)
    scan = _scan_for(request, settings, checks)
    baseline = _baseline_entries(request.baseline)
    strict = request.strict or settings.strict
    facts = facts_for(request.python, request.cwd, request.timeout, scan, False, scope, _reads_native(checks),
                      _reads_numpy_builds(checks))
    with scope("resolving the install (dry run)"):
        resolution = resolve_install(facts, wanted, request.timeout)
    before = _judged(checks, facts, settings, baseline, strict, 0.0)
    after = _judged(selected(resolution), facts_after(facts, resolution), settings, baseline, strict,
                    time.perf_counter() - started)
    comparison = compared(before.run, after.run, tuple(f"{item.name} {item.version}" for item in resolution.installs))
    return dataclasses.replace(after, run=comparison.run, preflight=comparison)


def _selection(request: Request):
    """(settings, the selected checks with their inputs, the scan request): what check, report and
    fix decide before anything is probed."""
    settings = settings_for(request.cwd, request.config)
    checks = select_checks(registry_for(settings), settings, request.select, request.ignore,
                           inputs_for(settings, request.against))
    return settings, checks, _scan_for(request, settings, checks)


def _scan_for(request: Request, settings, checks):
    """The scan request, with what no selected check reads turned off (it is not run)."""
    scan = scan_request(request.scan, request.no_scan, settings)
    if not any("imports" in spec.needs for spec in checks):
        scan = scan._replace(enabled=False)
    if not any("legacy_code" in spec.needs for spec in checks):
        scan = scan._replace(legacy_code=False)
    return scan


def _reads_native(checks) -> bool:
    """Whether a selected check reads the native linkage (it is not collected otherwise)."""
    return any("native_linkage" in spec.needs for spec in checks)


def _reads_numpy_builds(checks) -> bool:
    """Whether a selected check reads the NumPy builds (NPY001/NPY002; not collected otherwise)."""
    return any("numpy_builds" in spec.needs for spec in checks)


def _baseline_entries(path: Optional[str]):
    if not path:
        return None
    from envdoctor.policy import load_baseline

    return load_baseline(path)


def _judged(checks, facts: Facts, settings, baseline, strict: bool, elapsed: float) -> Outcome:
    from envdoctor.engine import run_checks
    from envdoctor.policy import apply_baseline, override_severities

    run = override_severities(run_checks(checks, facts), settings.severity)
    suppressed = expired = 0
    if baseline is not None:
        run, suppressed, expired = apply_baseline(run, baseline)
    return Outcome(facts=facts, run=run, checks=checks, strict=strict, elapsed=elapsed,
                   suppressed=suppressed, expired=expired)


def fix_inputs(request: Request, scope: ProgressScope = quiet_scope):
    """For `fix`: the selected checks, and a function that collects the target's facts anew
    (before the plan, and again to verify after the changes)."""
    _, checks, scan = _selection(request)
    target = resolve(request.python, request.cwd)

    def collect_again() -> Facts:
        return live_facts(target, request.timeout, scan, request.deep, scope, _reads_native(checks), _reads_numpy_builds(checks))

    return checks, collect_again


def snapshot_facts(request: Request, scope: ProgressScope = quiet_scope) -> Facts:
    """For `snapshot`: the facts with the scan the settings ask for, and the deep probes with --deep."""
    settings = settings_for(request.cwd, request.config)
    scan = scan_request(request.scan, request.no_scan, settings)
    return facts_for(request.python, request.cwd, request.timeout, scan, request.deep, scope, native=True)


def operand_facts(item: str, cwd: Optional[str], timeout: float) -> Facts:
    """A `diff` operand: a snapshot file, else an interpreter or environment prefix probed now."""
    import os

    if os.path.isfile(item) and _looks_like_json(item):
        return Facts.load(item, "diff")
    if os.path.exists(item):
        return facts_for(item, cwd, timeout)
    raise UsageError(f"diff: {item}: no such snapshot file, interpreter or environment")


def _looks_like_json(path: str) -> bool:
    """A snapshot starts with '{'; an interpreter (ELF, Mach-O, a script) never does."""
    try:
        with open(path, "rb") as handle:
            return handle.read(64).lstrip()[:1] == b"{"
    except OSError:
        return False


def check_named(code: str):
    """The one check `code` names (a code, a name, or a prefix matching one check), for `explain`."""
    registry = registry_for(settings_for())
    matches = [spec for spec in registry.checks if spec.code == code.upper() or spec.name == code.lower()]
    if not matches:
        matches = registry.lookup(code)
    if len(matches) != 1:
        listed = ", ".join(spec.code for spec in matches)
        raise UsageError(f"{code!r} names {'no check' if not matches else 'several checks: ' + listed} (see `envdoctor list`)")
    return matches[0]
