"""The target: which interpreter envdoctor inspects, and from which working directory."""

from __future__ import annotations

from envdoctor.model.record import Record, record


@record
class Target(Record):
    """Which interpreter envdoctor inspects, from which working directory, chosen how.

    python: the interpreter path; cwd: its working directory (sys.path[0]);
    source: how it was chosen (--python | VIRTUAL_ENV | CONDA_PREFIX | envdoctor).
    """

    python: str
    cwd: str
    source: str
