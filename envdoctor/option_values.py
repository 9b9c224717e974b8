"""What the values of the CLI's options mean, without typer: list options split into tokens,
format names checked against the registered reporters.

Both ways a command is dispatched use them: the typer commands of cli.py and check_command.py
(which launch.py's direct dispatch of `check` runs without importing typer).
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from envdoctor.errors import UsageError


def one_target(facts_file: Optional[str], python: Optional[str]) -> None:
    """--facts names a snapshot, --python a live target: both at once would silently ignore one."""
    if facts_file and python is not None:
        raise UsageError("--facts and --python both name the environment: a snapshot is one environment's facts "
                         "already (drop --python, or drop --facts to check the live target)")


def tokens(values: Optional[List[str]]) -> Tuple[str, ...]:
    """--select A,B --select C -> (A, B, C)."""
    return tuple(part.strip() for value in values or () for part in value.split(",") if part.strip())


def report_format(name: str, option: str = "--format") -> str:
    """A format name that a registered reporter renders (the six built-in ones, or a plugin's)."""
    from envdoctor.report import reporter_names

    known = reporter_names()
    chosen = name.strip().lower()
    if chosen not in known:
        raise UsageError(f"{option} {name!r}: unknown format (one of {', '.join(known)})")
    return chosen


def report_outputs(values: Optional[List[str]]) -> List[Tuple[str, str]]:
    """--output FORMAT=PATH items, checked before any probing."""
    outputs = []
    for value in values or ():
        name, eq, path = value.partition("=")
        if not eq or not path:
            raise UsageError(f"--output {value!r}: expected FORMAT=PATH, e.g. sarif=envdoctor.sarif")
        outputs.append((report_format(name, f"--output {value!r}:"), path))
    return outputs
