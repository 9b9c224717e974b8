"""Reporters only render.  The format enum is mapped to its reporter here, in one place,
and every format's text goes through redaction on its way out.

Imported at start-up by the CLI (for Format): nothing heavy at module level.
"""

from __future__ import annotations

import enum
import importlib


class Format(str, enum.Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    github = "github"
    markdown = "markdown"


RENDERERS = {
    Format.text: ("envdoctor.report.text", "render_text"),
    Format.json: ("envdoctor.report.json_report", "render_json"),
    Format.sarif: ("envdoctor.report.sarif", "render_sarif"),
    Format.junit: ("envdoctor.report.junit", "render_junit"),
    Format.github: ("envdoctor.report.github", "render_github"),
    Format.markdown: ("envdoctor.report.markdown", "render_markdown"),
}


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render(fmt: Format, context) -> str:
    module, function = RENDERERS[fmt]
    return redacted(getattr(importlib.import_module(module), function)(context), context)


def redacted(text: str, context, home: bool = False) -> str:
    """`text` with the secrets of envdoctor's and the target's environment masked (report/redact.py)."""
    import os

    from envdoctor.report.redact import redact, secret_values

    interpreter = context.facts.interpreter
    secrets = secret_values(os.environ, interpreter.environment if interpreter else None)
    return redact(text, secrets, home=home)
