"""The target's text made safe to show: control characters, escape sequences and undecodable
bytes become visible escapes (`\\x1b`, `\\xff`).

Metadata, file names and tracebacks come from the inspected environment.  Printed raw, an
`ESC[2J` clears the user's terminal, an OSC sequence retitles it, a carriage return
overwrites the line before it, and a file name's raw bytes (held as lone surrogates by
os.fsdecode's surrogateescape) make the write to a UTF-8 stdout fail and XML ill-formed.
Every reporter that writes text passes its output, or the target's strings in it, through
`escape_controls`.  The JSON encoder escapes control characters validly (`\\u001b`) but
writes a lone surrogate as `\\udcff`: not UTF-8 once decoded, and strict parsers (serde_json)
reject it.  The JSON reports pass their data through `without_surrogates`.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls but tab (and newline, unless asked), DEL, C1 controls (0x9b is a one-byte CSI
# on some terminals), lone surrogates, and the two noncharacters that XML 1.0 forbids.
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
_UNSAFE_KEEPING_NEWLINES = re.compile(f"[{_UNSAFE}]")
_UNSAFE_IN_ONE_LINE = re.compile(f"[\n{_UNSAFE}]")
_SURROGATE = re.compile("[\ud800-\udfff]")  # in a str, always lone: not encodable as UTF-8


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_controls(text: str, one_line: bool = False) -> str:
    """`text` with every unsafe character written as a visible escape; newlines kept unless
    `one_line` (a line of a report that a newline in metadata must not split or forge)."""
    pattern = _UNSAFE_IN_ONE_LINE if one_line else _UNSAFE_KEEPING_NEWLINES
    return pattern.sub(_visible, text)


def without_surrogates(data: Any) -> Any:
    """JSON-like data (keys included) with every lone surrogate written as a visible escape,
    `\\xff` for a file name's raw byte as in the text reports: what json.dumps then writes is
    strict UTF-8 that any parser reads.  The raw bytes are lost; the reports need no round trip."""
    if isinstance(data, str):
        return _SURROGATE.sub(_visible, data)
    if isinstance(data, dict):
        return {without_surrogates(key): without_surrogates(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [without_surrogates(item) for item in data]
    return data
