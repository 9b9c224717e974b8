"""Reporters only render.  The format enum is mapped to its reporter here, in one place,
and every format's text goes through redaction on its way out."""

from __future__ import annotations

import enum
import importlib

from envdoctor.report.redact import redact, secret_values


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


def render(fmt: Format, context) -> str:
    module, function = RENDERERS[fmt]
    text = getattr(importlib.import_module(module), function)(context)
    return redacted(text, context)


def redacted(text: str, context, home: bool = False) -> str:
    import os

    interpreter = context.facts.interpreter
    secrets = secret_values(os.environ, interpreter.environment if interpreter else None)
    return redact(text, secrets, home=home)
