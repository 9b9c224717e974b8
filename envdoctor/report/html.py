"""The text report as an HTML fragment, for a notebook cell (envdoctor.check()'s `_repr_html_`).

The same lines as the terminal's (report/text.py builds them once), in a <pre> so that the
indentation holds, each styled span a <span> with an inline style (a notebook strips <style>
blocks in some front ends, never inline styles).  Every piece is masked, then escaped: the
target's text (paths, metadata) may hold a token, `<` or `&`.
"""

from __future__ import annotations

import html

from envdoctor.report.escape import escape_controls
from envdoctor.report.text import report_lines

STYLES = {
    "bold": "font-weight:bold",
    "dim": "opacity:0.7",
    "red": "color:#c62828",
    "yellow": "color:#a66a00",
    "green": "color:#2e7d32",
    "blue": "color:#1565c0",
}


def _css(style: str) -> str:
    return ";".join(STYLES[word] for word in style.split() if word in STYLES)


def render_html(context) -> str:
    from envdoctor.report import redactor_for

    mask = redactor_for(context).text
    rows = []
    for line in report_lines(context):
        cells = []
        for text, style in line:
            shown = html.escape(mask(escape_controls(text, one_line=True)), quote=True)
            css = _css(style)
            cells.append(f'<span style="{css}">{shown}</span>' if css else shown)
        rows.append("".join(cells))
    body = "\n".join(rows)
    return ('<div class="envdoctor-report"><pre style="white-space:pre-wrap;font-family:monospace;'
            f'line-height:1.35">{body}</pre></div>')
