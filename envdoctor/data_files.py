"""Reading a TOML or JSON file as data: an unreadable or invalid file is a UsageError naming it.

Shared by the config, the knowledge base's rule files, baselines and snapshots; it
imports nothing of envdoctor's but the error tree, so any of them may use it.
"""

from __future__ import annotations

import sys
from typing import Any, Dict, List, Tuple

from envdoctor.errors import UsageError


def read_toml(path: str, what: str = "config") -> Dict[str, Any]:
    """A TOML file's data; unreadable or invalid is a usage error naming `what` and the path."""
    return read_toml_lines(path, what)[0]


def read_toml_lines(path: str, what: str) -> Tuple[Dict[str, Any], List[str]]:
    """The data and the lines of a TOML file, from one read."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8")
        return tomllib.loads(text), text.splitlines()
    except OSError as exc:
        raise UsageError(f"{what} {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:  # tomllib.TOMLDecodeError, or not UTF-8 (TOML must be)
        raise UsageError(f"{what} {path}: not valid TOML ({exc})") from exc


def read_json(path: str, what: str) -> Any:
    """A JSON file's data; unreadable or invalid is a usage error naming `what` and the path."""
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise UsageError(f"{what} {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise UsageError(f"{what} {path}: not JSON ({exc})") from exc
