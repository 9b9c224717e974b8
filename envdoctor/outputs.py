"""Where rendered text goes: files named on the command line, the GitHub job summary, notes on stderr.

Every text written here has been through the reporters' redaction already, or is
redacted here (notes, fix and undo output), so no secret leaves the process by this door.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, Optional


def note(text: str) -> None:
    """A line for the user on stderr, masked like every output: it may name a path given on the
    command line, and a folder's name can hold a token."""
    from envdoctor.redaction import redact_text

    sys.stderr.write(f"envdoctor: {redact_text(text)}\n")


def write_file(path: str, text: str, option: str) -> None:
    """Write `text` to `path`; a path that cannot be written is a usage error naming `option`."""
    from envdoctor.errors import UsageError

    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{option} {path}: {exc.strerror or exc}") from exc


def append_step_summary(context) -> None:
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
        note(f"cannot append to GITHUB_STEP_SUMMARY {summary}: {exc.strerror or exc}")


def emit(text: str, output: Optional[str], what: str) -> None:
    """`text` to the -o file (with a note on stderr), or to stdout."""
    if output:
        write_file(output, text, "--output")
        note(f"{what} written to {output}")
    else:
        sys.stdout.write(text)


def record_baseline(run, path: str) -> int:
    """`check --write-baseline PATH`: the run's findings recorded as accepted (reasons kept from an
    existing file); exit code 0."""
    from envdoctor.policy import write_baseline

    text, count = write_baseline(run, keep_from=path if os.path.exists(path) else None)
    write_file(path, text, "--write-baseline")
    note(f"{count} finding{'s' if count != 1 else ''} recorded in the baseline {path}")
    return 0


def redacting(write: Callable[[str], object]) -> Callable[[str], None]:
    """`write` with every text masked first (fix and undo print plans, commands and pip's output)."""
    from envdoctor.redaction import redactor

    mask = redactor().text  # the secret values looked up once for the whole command

    def write_redacted(text: str) -> None:
        write(mask(text))

    return write_redacted
