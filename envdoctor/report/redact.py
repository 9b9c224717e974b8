"""Redaction: what must never leave the machine in a report.

Applied to every format's final text, so no reporter can forget it:
- the values of environment variables whose names look secret (TOKEN, KEY,
  SECRET, PASSWORD, CREDENTIAL, AUTH, ...), from the target's environment and
  envdoctor's own, in the forms a format may escape them to (JSON, XML);
- tokens of known shapes anywhere in the text (Hugging Face, GitHub, AWS,
  Slack, OpenAI-style keys, `Bearer ...`, `user:password@` in URLs);
- with `home=True` (`envdoctor report`, meant for pasting into a bug report),
  the user's home directory, replaced by `~`.
"""

from __future__ import annotations

import json
import os
import re
from typing import Iterable, Mapping, Optional

SECRET_NAME = re.compile(r"TOKEN|KEY|SECRET|PASSW(OR)?D|PASSPHRASE|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|SIGNATURE|(^|_)PAT($|_)", re.I)
# Names that match SECRET_NAME but hold nothing secret, and that a bug report needs.
NOT_SECRET = {"KEYTIMEOUT", "PYTHONHASHSEED", "SSH_AUTH_SOCK", "GPG_AGENT_INFO", "XAUTHORITY"}
TOKEN_SHAPES = re.compile(
    r"\bhf_[A-Za-z0-9]{20,}"                          # Hugging Face
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}"                  # GitHub tokens
    r"|\bgithub_pat_[A-Za-z0-9_]{30,}"
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"                 # AWS access key ids
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"                # Slack
    r"|\bsk-[A-Za-z0-9_-]{20,}"                       # OpenAI-style keys
    r"|\bglpat-[A-Za-z0-9_-]{20,}"                    # GitLab
    r"|(?<=Bearer )[A-Za-z0-9._~+/=-]{16,}"
    r"|(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"               # user:password@host in URLs
)
MASK = "[redacted]"
MIN_SECRET_LENGTH = 4  # shorter values ("1", "yes") would mask unrelated text


def secret_values(*environments: Optional[Mapping[str, str]]) -> set:
    values = set()
    for environment in environments:
        for name, value in (environment or {}).items():
            if name.upper() in NOT_SECRET or not SECRET_NAME.search(name) or not isinstance(value, str):
                continue
            if len(value) >= MIN_SECRET_LENGTH:
                values.add(value)
    return values


def _forms(value: str) -> Iterable[str]:
    """The value as each format may spell it."""
    yield value
    yield json.dumps(value)[1:-1]
    # XML, as ElementTree writes text and attributes (not xml.sax.saxutils: it imports urllib.request)
    yield value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    yield value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def redact(text: str, secrets: Iterable[str] = (), home: bool = False) -> str:
    for value in sorted(set(secrets), key=len, reverse=True):  # longest first: no partial leftovers
        for form in set(_forms(value)):
            text = text.replace(form, MASK)
    text = TOKEN_SHAPES.sub(MASK, text)
    if home:
        directory = os.path.expanduser("~")
        if directory and directory not in ("/", "~"):
            text = re.sub(re.escape(directory.rstrip("/")) + r"(?=/|\b|$)", "~", text)
    return text
