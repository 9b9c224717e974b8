"""Reading a TOML or JSON file as data: an unreadable or invalid file is a UsageError naming it.

Shared by the config, the knowledge base's rule files, baselines and snapshots; it
imports nothing of envdoctor's but the error tree, so any of them may use it.
"""

from __future__ import annotations

import sys
from typing import Any, Dict, List, Tuple

from envdoctor.errors import UsageError


# No config, rule file, baseline or snapshot comes near this (a snapshot of 1,000
# distributions is a few MB); the bound keeps `--config /dev/zero` from reading forever.
MAX_DATA_FILE_BYTES = 64 * 1024 * 1024


def read_bounded(path: str, what: str) -> bytes:
    """A file's bytes, at most MAX_DATA_FILE_BYTES: a larger (or endless) one is a usage error."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_DATA_FILE_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{what} {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_DATA_FILE_BYTES:
        raise UsageError(f"{what} {path}: larger than {MAX_DATA_FILE_BYTES // (1024 * 1024)} MiB; not read")
    return data


def read_toml(path: str, what: str = "config") -> Dict[str, Any]:
    """A TOML file's data; unreadable or invalid is a usage error naming `what` and the path."""
    return read_toml_lines(path, what)[0]


def read_toml_lines(path: str, what: str) -> Tuple[Dict[str, Any], List[str]]:
    """The data and the lines of a TOML file, from one read."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10
        import tomli as tomllib
    data = read_bounded(path, what)
    try:
        text = data.decode("utf-8")
        return tomllib.loads(text), text.splitlines()
    except ValueError as exc:  # tomllib.TOMLDecodeError, or not UTF-8 (TOML must be)
        raise UsageError(f"{what} {path}: not valid TOML ({exc})") from exc


def read_json(path: str, what: str) -> Any:
    """A JSON file's data; unreadable or invalid is a usage error naming `what` and the path."""
    import json

    data = read_bounded(path, what)
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise UsageError(f"{what} {path}: not JSON ({exc})") from exc
