"""`.pth` hygiene: lines that point nowhere, import lines that raise, lines that kill start-up."""

from __future__ import annotations

from typing import Iterator

from envdoctor.api import check, report
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Location, Severity


# What StartupFailure.file holds when a customize module, not a .pth file, is the culprit.
CUSTOMIZE_MODULES = ("sitecustomize", "usercustomize")


def _owner(facts: Facts, pth_path: str):
    for dist in facts.distributions or ():
        if pth_path in dist.pth_files:
            return dist
    return None


@check(
    code="PTH001",
    name="pth-missing-path",
    summary="A .pth file adds a folder that does not exist.",
    needs=("pth_files", "distributions"),
    fix="manual",
)
def pth_missing_path(facts: Facts) -> Iterator:
    """Find `.pth` path lines whose folder is gone.

    What it detects
        A path line in a `.pth` file of a site directory naming a folder that does not exist.
        `site` skips such lines silently.

    Why it breaks
        The line is almost always left behind by an editable install whose source checkout
        moved or was deleted (or a `setup.py develop` never undone): the package still appears
        installed to pip and importlib.metadata, but `import` fails, or silently picks up
        another copy.

        Severity: a warning: `site` skips the line, so nothing fails at start-up, and the
        finding cannot tell whether anything still imports from the missing folder; when
        something does (the usual case for an editable install), that import fails or picks
        up another copy.

    Example
        /venv/lib/python3.11/site-packages/__editable__.mypkg-0.1.pth line 1 adds /src/mypkg, which does not exist

    Fix
        Reinstall the project from its new location, or uninstall it (which removes the `.pth`);
        a `.pth` that no distribution owns can be deleted.

    References
        https://docs.python.org/3/library/site.html
    """
    for pth in facts.pth_files or ():
        owner = _owner(facts, pth.path)
        for line in pth.lines:
            if line.kind != "path" or line.exists:
                continue
            evidence = [f"{pth.path}:{line.line}: {line.text}"]
            if owner is not None:
                evidence.append(f"the .pth belongs to {owner.display} ({owner.metadata_path})")
            yield report(
                Severity.WARNING,
                f"{pth.path} line {line.line} adds {line.target}, which does not exist",
                subject=pth.path,
                message=(
                    "site skips the line without a word; whatever it should put on sys.path is not importable. "
                    + (f"{owner.name} still looks installed to pip." if owner else "No installed distribution owns this .pth.")
                ),
                evidence=evidence,
                location=Location(path=pth.path, line=line.line, distribution=owner.name if owner else None),
                fix=FixProposal(
                    "manual",
                    f"reinstall or uninstall {owner.name}" if owner else f"delete line {line.line} of {pth.path}",
                ),
            )


@check(
    code="PTH002",
    name="pth-import-error",
    summary="An import line of a .pth file raises at every interpreter start.",
    needs=("startup",),
    fix="manual",
)
def pth_import_error(facts: Facts) -> Iterator:
    """Find `.pth` import lines that raise during start-up.

    What it detects
        A line starting with `import` in a `.pth` file that raised an exception while the
        interpreter started; `site` prints "Error processing line N of ..." with a traceback on
        stderr and ignores the rest of that file.

    Why it breaks
        Whatever the line was meant to set up (an editable finder, a coverage or profiler hook,
        a compatibility patch) is missing, along with every later line of the file, and the
        traceback scrolls past at each start of Python.

        Severity: always an error: the traceback appears at every start of this interpreter,
        and whatever the line and the rest of its file set up is missing.

    Example
        line 1 of /venv/lib/python3.11/site-packages/broken.pth raises ModuleNotFoundError: No module named 'gone_hook'

    Fix
        Reinstall the distribution the `.pth` belongs to, or delete the line if nothing owns it.

    References
        https://docs.python.org/3/library/site.html
    """
    for error in facts.startup.pth_errors:
        owner = _owner(facts, error.path)
        frames = [line for line in error.traceback.splitlines() if line.strip() and not line.startswith("Traceback (")]
        evidence = [f"{error.path}:{error.line}"] + frames[-4:]
        if owner is not None:
            evidence.append(f"the .pth belongs to {owner.display}")
        yield report(
            Severity.ERROR,
            f"line {error.line} of {error.path} raises {error.error or 'an exception'}",
            subject=error.path,
            message="site prints the traceback and ignores the rest of this .pth file at every interpreter start.",
            evidence=evidence,
            location=Location(path=error.path, line=error.line, distribution=owner.name if owner else None),
            fix=FixProposal("manual", f"reinstall {owner.name}" if owner else f"delete line {error.line} of {error.path}"),
        )


@check(
    code="PTH003",
    name="startup-failure",
    summary="The interpreter dies or hangs at start-up because of a .pth line or a customize module.",
    needs=("startup",),
    fix="manual",
)
def startup_failure(facts: Facts) -> Iterator:
    """Find the `.pth` line or customize module that makes the interpreter die or hang at start-up.

    What it detects
        When the target interpreter does not start, envdoctor re-runs it without site
        processing and replays every `.pth` line, then `sitecustomize` and `usercustomize`,
        one at a time with a progress marker; the step during which it exited, crashed or hung
        is the culprit. A `.pth` file that site cannot decode (bytes that are not UTF-8, nor the
        locale's encoding) kills start-up before any of its lines runs: the whole file is named.
        The other checks then run on facts collected with that step skipped.

    Why it breaks
        Every `python` of the environment fails before running a line of your code: an import
        line calling `sys.exit()`/`os._exit()`, segfaulting in an extension, or blocking on a
        lock or the network. Nothing names the `.pth` file in the error.

        Severity: always an error: every `python` of the environment (and so every script,
        console script and `pip` run through it) dies or hangs before it runs anything.

    Example
        Python exits at start-up in line 1 of /venv/lib/python3.11/site-packages/evil.pth (exit status 3)

    Fix
        Remove or repair that line (or the customize module); reinstall the distribution that
        owns the file.

    References
        https://docs.python.org/3/library/site.html
    """
    failure = facts.startup.failure
    if failure is None:
        return
    if failure.line is not None:
        place = f"line {failure.line} of {failure.file}"
    else:
        place = f"{failure.file}"
    if failure.kind == "hang":
        what, status = "hangs", "no progress before the timeout"
    else:
        what = "dies"
        status = f"exit status {failure.returncode}" if failure.returncode is not None else "killed"
    owner = _owner(facts, failure.file or "")
    evidence = [f"{place}: {failure.text}"] if failure.text else [place]
    if failure.stderr_tail:
        evidence.append("stderr: " + failure.stderr_tail.replace("\n", " | "))
    if owner is not None:
        evidence.append(f"the .pth belongs to {owner.display}")
    if facts.startup.replayed:
        skipped = "line" if failure.line is not None else "module" if failure.file in CUSTOMIZE_MODULES else "file"
        evidence.append(f"the other checks ran on facts collected with this {skipped} skipped")
    yield report(
        Severity.ERROR,
        f"Python {what} at start-up in {place} ({status})",
        subject=failure.file or "start-up",
        message="Every interpreter start of this environment runs that line before any of your code, so nothing works.",
        evidence=evidence,
        # A customize module is named, not located; a .pth file is located even when the
        # whole file is the culprit (one that cannot be decoded, line None).
        location=Location(path=None if failure.file in CUSTOMIZE_MODULES else failure.file, line=failure.line,
                          distribution=owner.name if owner else None),
        fix=FixProposal("manual", f"remove or repair {place}"),
    )
