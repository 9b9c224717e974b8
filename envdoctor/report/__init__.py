"""Reporters only render.  The format enum is mapped to its reporter here, in one place."""

from __future__ import annotations

import enum


class Format(str, enum.Enum):
    text = "text"
    json = "json"


def render(fmt: Format, context) -> str:
    if fmt is Format.json:
        from envdoctor.report.json_report import render_json

        return render_json(context)
    from envdoctor.report.text import render_text

    return render_text(context)
