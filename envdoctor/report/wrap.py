"""Fold report lines to a terminal's width, keeping their indentation.

A line is a list of (text, style) spans.  A continuation line starts under the text after the
line's label (the "    why: " of an explanation, the "✖ REQ001 " of a title), so a wrapped
explanation still reads as one block; a word longer than the room left (a path) is cut.
Rich only styles the result: it never wraps, so what is shown is what was measured here.
"""

from __future__ import annotations

import re
from typing import List, Tuple

Span = Tuple[str, str]
Line = List[Span]

_PIECES = re.compile(r"\S+\s*|\s+")


def _hang(line: Line, width: int) -> int:
    """Where continuation lines start: after a styled label (the first span, when text follows
    it), else two columns in from the line's own indentation."""
    first = line[0][0] if line else ""
    if len(line) > 1 and line[0][1]:  # a styled label, then text (the next span starts with its blank)
        hang = len(first) + (0 if first.endswith(" ") else 1)
    else:
        hang = len(first) - len(first.lstrip(" ")) + 2
    return min(hang, width // 2)


def wrap_line(line: Line, width: int) -> List[Line]:
    length = sum(len(text) for text, _ in line)
    if width <= 0 or length <= width:
        return [line]
    hang = _hang(line, width)
    lines: List[Line] = [[]]
    column = 0
    for text, style in line:
        for piece in _PIECES.findall(text):
            while piece:
                room = width - column
                word = piece.rstrip(" ")
                if len(word) <= room:
                    lines[-1].append((piece[:room], style))
                    column += min(len(piece), room)
                    piece = ""
                elif column > hang and len(word) <= width - hang:
                    lines.append([(" " * hang, "")])  # the word fits on the next line
                    column = hang
                else:
                    lines[-1].append((piece[:room], style))  # longer than any line: cut it
                    piece = piece[room:]
                    lines.append([(" " * hang, "")])
                    column = hang
    return [_trimmed(wrapped) for wrapped in lines]


def _trimmed(line: Line) -> Line:
    """Without the trailing blanks a fold leaves."""
    while line and not line[-1][0].strip():
        line = line[:-1]
    if line:
        text, style = line[-1]
        line = line[:-1] + [(text.rstrip(" "), style)]
    return line


def wrap_lines(lines: List[Line], width: int) -> List[Line]:
    return [wrapped for line in lines for wrapped in wrap_line(line, width)]
