"""JSON read as strict parsers read it (serde_json, RFC 7493 I-JSON), not as Python's json does.

Python's json.loads accepts an escaped lone surrogate (`"\\udcff"`) and returns a str that
cannot be encoded as UTF-8; serde_json rejects the document (serde-rs/json#495).  A report
that passes json.loads may still be unreadable to a tool written in Rust.
"""

from __future__ import annotations

import json
from typing import Any, Iterator


def strict_json_loads(text: str) -> Any:
    """The document in `text`, asserting that the text is UTF-8 and every string in it,
    keys included, is valid Unicode once unescaped (no lone surrogate)."""
    text.encode("utf-8")  # strict: raises UnicodeEncodeError on a raw lone surrogate
    data = json.loads(text)
    bad = [string for string in _strings(data) if not _is_unicode(string)]
    assert not bad, f"strings a strict JSON parser rejects (lone surrogates): {bad!r}"
    return data


def _is_unicode(string: str) -> bool:
    try:
        string.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)
