"""Reporters only render.  They are plugins of the `envdoctor.reporters` entry-point group
(envdoctor's six formats are its own entry points, registered like a third party's), found
through the one plugin path (envdoctor/plugins.py), and every format's text goes through
redaction (envdoctor/redaction.py) on its way out.

Imported at start-up by the CLI (for Format): nothing heavy at module level, and a run
imports only the reporter it renders with.
"""

from __future__ import annotations

import enum
from typing import List, Union


class Format(str, enum.Enum):
    """envdoctor's own formats; `--format` also takes any other registered reporter's name."""

    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    github = "github"
    markdown = "markdown"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def reporter_names() -> List[str]:
    """Every registered reporter's name: what `--format` accepts."""
    from envdoctor.plugins import REPORTERS_GROUP, find

    return list(dict.fromkeys(ep.name for ep in find(REPORTERS_GROUP)))


def reporter(name: Union[Format, str]):
    """The render function of the reporter registered as `name` (only that one is imported)."""
    from envdoctor.errors import PluginError, UsageError
    from envdoctor.plugins import REPORTERS_GROUP, find, load_callable, origin

    name = name.value if isinstance(name, Format) else name
    candidates = [ep for ep in find(REPORTERS_GROUP) if ep.name == name]
    if not candidates:
        known = ", ".join(reporter_names())
        raise UsageError(f"unknown format {name!r} (registered reporters: {known})")
    if len(candidates) > 1:
        raise PluginError(f"format {name!r} is registered twice: " + " and ".join(origin(ep) for ep in candidates))
    return load_callable(candidates[0], "reporter (a function render(context) -> str)")


def render(fmt: Union[Format, str], context) -> str:
    """The run rendered by the reporter registered as `fmt`, redacted."""
    text = reporter(fmt)(context)
    if not isinstance(text, str):
        from envdoctor.errors import PluginError

        raise PluginError(f"the reporter of format {getattr(fmt, 'value', fmt)!r} returned {type(text).__name__}, not text")
    return redacted(text, context)


# A report kept for replay (envdoctor/replay/) is rendered with this stand-in for the run's
# time, which each replay then replaces with its own.  The formats whose text depends on
# nothing but the context: junit stamps the hour and the host name, github appends to the
# job summary, and a third party's reporter may do anything.
ELAPSED_STAND_IN = 987654.321
REPLAYABLE_FORMATS = ("text", "json", "sarif", "markdown")
# How each format writes the run's time (text: the summary line; json: summary.elapsed_s).
_ELAPSED_WRITTEN = {
    "text": lambda seconds: f"{seconds:.2f}",
    "json": lambda seconds: repr(round(seconds, 3)),
}


def with_elapsed(fmt: str, template: str, seconds: float) -> str:
    """A report rendered with ELAPSED_STAND_IN, given the run time `seconds` instead."""
    written = _ELAPSED_WRITTEN.get(fmt)
    if written is None:
        return template
    return template.replace(written(ELAPSED_STAND_IN), written(seconds))


def redacted(text: str, context, home: bool = False) -> str:
    """`text` with the secrets of envdoctor's and the target's environment masked (envdoctor/redaction.py)."""
    return redactor_for(context, home=home).text(text)


def redactor_for(context, home: bool = False):
    """The Redactor for envdoctor's and the target's environment, for a reporter that must mask
    before its layout (the text reporter folds long words: a token cut in two no longer matches)."""
    from envdoctor.redaction import redactor

    interpreter = context.facts.interpreter
    return redactor(interpreter.environment if interpreter else None, home=home)
