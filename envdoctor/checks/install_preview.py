"""PRE: what `check --with` found about the install itself, before judging what it would leave."""

from __future__ import annotations

from typing import Iterator, Optional

from envdoctor.api import check, report
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Severity
from envdoctor.model.install_resolution import InstallResolution


@check(
    code="PRE001",
    name="install-does-not-resolve",
    summary="check --with: the target's installer cannot resolve the requested install (a conflict, no matching distribution).",
    needs=("interpreter",),
    fix="manual",
    inputs=("preflight",),
)
def install_does_not_resolve(facts: Facts, preflight: Optional[InstallResolution] = None) -> Iterator:
    """Report an install that `check --with` asked for and the target's installer cannot resolve.

    What it detects
        The requirements given to `check --with REQ` or `-r FILE`, resolved for the target by
        its own installer without installing (`pip install --dry-run --report -`, or uv's
        `uv pip install --dry-run` for a target without pip), and the resolver refused: two
        requirements that exclude each other (an engine's `flashinfer-python==0.6.11` pin and
        a `flashinfer-python==0.6.8` beside it), a version no index offers for this Python
        and platform, or an index that cannot be reached. The resolver's own words are the
        finding's evidence.

    Why it breaks
        The install step of the job fails the same way, after the preflight said nothing: pip
        exits with `ResolutionImpossible` or "No matching distribution found", and nothing is
        installed. What the other checks would say about the install is unknown, since there
        is no resolved set to judge.

        Severity: an error, because the install that the preflight stands for fails.

    Example
        pip cannot resolve sglang==0.5.23, flashinfer-python==0.6.8 for /venv/bin/python

    Fix
        Read the resolver's explanation in the evidence, and change the requirements so that
        they can hold together (the engine's own pin, a version published for the target's
        Python and platform), or pass the index that serves them (`--index-url`,
        `--extra-index-url`, `--find-links`).

    References
        https://pip.pypa.io/en/stable/topics/dependency-resolution/
        https://pip.pypa.io/en/stable/reference/installation-report/
        docs/preflight.md
    """
    if preflight is None or preflight.resolved:
        return
    requested = ", ".join(preflight.requested)
    yield report(
        Severity.ERROR,
        f"{preflight.installer} cannot resolve {requested} for {facts.target.python}",
        subject=requested,
        key="install",
        message="The install this preflight stands for fails the same way, and nothing would be installed.",
        evidence=(f"ran: {preflight.command}", *preflight.message.splitlines()),
        references=("https://pip.pypa.io/en/stable/topics/dependency-resolution/",),
        fix=FixProposal("manual", "change the requirements so the resolver can satisfy them together, or name the index that serves them"),
    )
