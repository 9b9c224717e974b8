"""GitHub Actions workflow commands: one annotation per finding, and the job summary.

`::error file=F,line=N,title=T::message` shows on the pull request's diff where
the finding has a file in the repository; the rest show on the run.  When
GITHUB_STEP_SUMMARY is set (inside Actions), the Markdown report is appended to
that file too (the CLI does it, after redaction).
"""

from __future__ import annotations

import os

from envdoctor.model.finding import Severity
from envdoctor.report import plural
from envdoctor.report.escape import escape_controls

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    # Newlines are the runner's to decode (%0A); every other control character from the
    # target is shown as an escape, never passed to the log (or the terminal) raw.
    return escape_controls(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding, root: str) -> str:
    properties = [f"title={_property(f'{finding.code} {finding.name}')}"]
    location = finding.location
    if location and location.path:
        path = os.path.abspath(location.path)
        relative = os.path.relpath(path, root) if root else path
        properties.insert(0, f"file={_property(relative if not relative.startswith('..') else path)}")
        if location.line:
            properties.insert(1, f"line={int(location.line)}")
    body = finding.title
    if finding.message:
        body += "\n" + finding.message
    if finding.fix:
        body += f"\nFix ({finding.fix.kind}): {finding.fix.summary}"
    return f"::{COMMANDS[finding.severity]} {','.join(properties)}::{_data(body)}"


def render_github(context) -> str:
    root = os.environ.get("GITHUB_WORKSPACE") or context.facts.target.cwd or os.getcwd()
    lines = [annotation(f, root) for f in context.run.findings]
    counts = context.run.counts()
    lines.append(f"envdoctor: {plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}, {counts['info']} info")
    return "\n".join(lines) + "\n"
