"""Read a JSON file a user named (a snapshot, a baseline): one clear error when it cannot be read.

A base module like errors.py: it imports nothing of envdoctor's but the error tree, so the
model (Facts.load) and the config layer (baselines) both use it.
"""

from __future__ import annotations

from typing import Any

from envdoctor.errors import UsageError


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
