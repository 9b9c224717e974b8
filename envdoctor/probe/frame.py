"""The probe's document, cut out of the target's stdout by its nonce frame.

The target writes its JSON between two lines that carry a random nonce the host chose
(in_target/emit.py); whatever else a noisy sitecustomize or .pth prints is ignored.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Tuple

from envdoctor.errors import ProbeError


def end_marker(nonce: str) -> bytes:
    """The bytes that close the framed document: once they are on stdout, the answer is complete."""
    return f"\n@@ENVDOCTOR-END-{nonce}@@".encode()


def document_text(stdout: str, nonce: str) -> Optional[str]:
    """The JSON text between the frame's two lines; None when the frame is not whole."""
    begin = f"@@ENVDOCTOR-BEGIN-{nonce}@@\n"
    end = end_marker(nonce).decode()
    start = stdout.rfind(begin)
    if start < 0:
        return None
    stop = stdout.find(end, start)
    if stop < 0:
        return None
    return stdout[start + len(begin) : stop]


def extract_document(stdout: str, nonce: str) -> Optional[Dict[str, Any]]:
    text = document_text(stdout, nonce)
    return None if text is None else parse_document(text)


def split_last_section(text: str, key: str) -> Tuple[str, Optional[Any]]:
    """(the document's text before its last key `key`, that key's value parsed alone: the rest of a
    large document is not); (text, None) when the text does not end with it."""
    cut = text.rfind(f',"{key}":')
    if cut < 0:
        return text, None
    try:
        return text[:cut], json.loads("{" + text[cut + 1 :]).get(key)
    except (ValueError, AttributeError):
        return text, None


def parse_document(text: str) -> Dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ProbeError(f"the probe's output is not valid JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise ProbeError("the probe's output is not a JSON object")
    return document
