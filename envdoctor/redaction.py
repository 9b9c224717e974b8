"""Redaction: what must never leave the machine, applied to every output envdoctor writes.

One policy (its word lists and token shapes are envdoctor/vocabulary/secrets.py):
- the values of environment variables whose names look secret, from envdoctor's own
  environment and any other given (the target's), in the forms a format may escape them to
  (JSON, XML, GitHub workflow commands, a SARIF URI, a Markdown cell), wherever they appear;
- `NAME=value` with a secret-looking NAME, and the quoted forms code and data give it:
  `NAME = "value"` and `update(NAME="value")` (code, the quotes kept, JSON-escaped ones too),
  `"NAME": "value"` (JSON, Python dicts), `os.environ["NAME"] = "value"`,
  `setdefault("NAME", "value")` (a `.pth` line or sitecustomize that sets a token);
- the userinfo of any URL (`https://user:pass@host`, `https://TOKEN@host`);
- the value of a URL query parameter with a secret-looking name (`?private_token=...`, a presigned
  download's `X-Amz-Signature=...`, an Azure SAS `sig=...`), XML-escaped `&amp;` included;
- tokens of known shapes (Hugging Face, GitHub, GitLab, OpenAI-style, AWS, Slack, Bearer),
  paths included;
- with `home=True` (`envdoctor report`, meant for pasting into a bug report), the user's
  home directory, replaced by `~`.

redact_text() is for rendered text, redact_document() for JSON-like data (snapshot facts,
journal entries, baselines), redacted_json() for the CLI's writers of such data.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Iterable, Mapping, Optional

from envdoctor.model.record import Record, record
from envdoctor.vocabulary.secrets import MASK, NOT_SECRET_NAMES, SECRET_NAME_PARTS, SECRET_NAME_WORDS, TEXT_MASK, TOKEN_SHAPES

MIN_SECRET_LENGTH = 4  # shorter values ("1", "yes") would mask unrelated text
_NOT_SECRET = frozenset(NOT_SECRET_NAMES)
# Upper-case names only: environment variables are spelled so, while lower-case words such as a
# finding's "key" field or "--key=" options are not variables.  The code form too: spaces round
# "=" (not "=="), a quoted value, and its quote JSON-escaped once or more (NAME=\"v\", JSON text inside JSON): the
# value stops before any quote or backslash, so the escaping backslashes stay and the JSON string stays whole.
_ASSIGNMENT = re.compile(r"""(\b(?P<name>[A-Z][A-Z0-9_]*)[ \t]*=(?!=)[ \t]*\\*["']?)(?P<value>[^\s"'\\]+)""")
# A quoted secret-looking NAME and its quoted value, as data and code spell them (a .pth line or a
# sitecustomize that sets a token): "NAME": "v" (JSON, dicts), os.environ["NAME"] = "v", and a
# call's two arguments, setdefault("NAME", "v"); \" inside JSON text too.  Two patterns, each
# starting with a literal character: re skips ahead to it (a choice at the start would make it try
# every position, 8x slower over a snapshot's JSON).
_QUOTED_ASSIGNMENT = re.compile(r"""(["'](?P<name>[A-Z][A-Z0-9_]*)\\?["']\]?\s*[:=]\s*\\?["'])(?P<value>[^"'\\]+)(?=\\?["'])""")
_QUOTED_ARGUMENTS = re.compile(r"""(\(\s*\\?["'](?P<name>[A-Z][A-Z0-9_]*)\\?["']\s*,\s*\\?["'])(?P<value>[^"'\\]+)(?=\\?["'])""")
_URL_USERINFO = re.compile(r"(?<=://)[^/\s@\"'<>]+(?=@)")
# NAME=value after "?" or "&" ("&amp;" once a format escaped it for XML).
_QUERY_PARAMETER = re.compile(r"(?:(?<=[?&])|(?<=&amp;))([A-Za-z][A-Za-z0-9_.-]*)=[^&\s\"'<>#]+")
_TOKENS = re.compile("|".join(source for _, source in TOKEN_SHAPES))
# One search for the literals: 3x faster than `any(literal in text ...)` over a snapshot's strings.
_TOKEN_HINT = re.compile("|".join(re.escape(literal) for literal in dict.fromkeys(literal for literal, _ in TOKEN_SHAPES)))


def is_secret_name(name: str) -> bool:
    """Whether a variable of this name holds a secret (vocabulary/secrets.py says how)."""
    upper = name.upper()
    if upper in _NOT_SECRET:
        return False
    return any(word in upper for word in SECRET_NAME_WORDS) or any(part in SECRET_NAME_PARTS for part in upper.split("_"))


def secret_values(*environments: Optional[Mapping[str, str]]) -> frozenset:
    """The values of the secret-named variables of `environments` worth searching for."""
    values = set()
    for environment in environments:
        for name, value in (environment or {}).items():
            if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH and is_secret_name(name):
                values.add(value)
    return frozenset(values)


def _forms(value: str) -> Iterable[str]:
    """The value as each output format may spell it."""
    from urllib.parse import quote

    yield value
    yield json.dumps(value)[1:-1]
    # XML, as ElementTree writes text and attributes (not xml.sax.saxutils: it imports urllib.request)
    yield value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    yield value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # GitHub workflow commands (report/github.py): an annotation's message, then a property of it
    message = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    yield message
    yield message.replace(":", "%3A").replace(",", "%2C")
    yield quote(value)  # a SARIF artifact's URI (report/sarif.py)
    yield value.replace("|", "\\|").replace("\n", " ")  # a Markdown table's cell (report/markdown.py)


def _home_pattern() -> Optional["re.Pattern"]:
    directory = os.path.expanduser("~").rstrip("/")
    if not directory or directory == "~":
        return None
    return re.compile(re.escape(directory) + r"(?=/|\b|$)")


def _mask_query_parameter(match: "re.Match") -> str:
    name = match.group(1)
    return f"{name}={TEXT_MASK}" if is_secret_name(name) else match.group(0)


def _mask_value(match: "re.Match") -> str:
    """An assignment's value masked, what comes before it (name, "=", quotes) kept as written."""
    if match["value"] == MASK or not is_secret_name(match["name"]):
        return match.group(0)
    return match.group(1) + TEXT_MASK


@record
class Redactor(Record):
    """One output's redaction: the secret values and the home directory are looked up once."""

    forms: tuple  # every spelling of every secret value, longest first: no partial leftovers
    home: Optional[Any] = None  # the compiled home-directory pattern, when home is masked

    def text(self, text: str) -> str:
        for form in self.forms:
            if form in text:
                text = text.replace(form, TEXT_MASK)
        if "=" in text:
            text = _ASSIGNMENT.sub(_mask_value, text)
        if '"' in text or "'" in text:
            text = _QUOTED_ARGUMENTS.sub(_mask_value, _QUOTED_ASSIGNMENT.sub(_mask_value, text))
        if "@" in text:
            text = _URL_USERINFO.sub(TEXT_MASK, text)
        if "?" in text:  # a query string's parameters follow its "?"
            text = _QUERY_PARAMETER.sub(_mask_query_parameter, text)
        if _TOKEN_HINT.search(text):
            text = _TOKENS.sub(TEXT_MASK, text)
        if self.home is not None:
            text = self.home.sub("~", text)
        return text

    def document(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self._key(key): self._item(key, item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.document(item) for item in value]
        return value

    def _key(self, key: Any) -> Any:
        return self.text(key) if isinstance(key, str) else key

    def _item(self, key: Any, item: Any) -> Any:
        # An environment mapping inside the document: a secret-named variable's value goes whole.
        if isinstance(key, str) and isinstance(item, str) and key.isupper() and is_secret_name(key) and item:
            return item if item in (MASK, TEXT_MASK) else TEXT_MASK  # the probe's own mask stays as it is
        return self.document(item)


def redactor(*environments: Optional[Mapping[str, str]], home: bool = False) -> Redactor:
    """A Redactor for envdoctor's own environment plus `environments` (the target's)."""
    values = secret_values(os.environ, *environments)
    forms = {form for value in values for form in _forms(value)}
    return Redactor(forms=tuple(sorted(forms, key=len, reverse=True)), home=_home_pattern() if home else None)


def redact_text(text: str, *environments: Optional[Mapping[str, str]], home: bool = False) -> str:
    """Rendered text with every secret masked."""
    return redactor(*environments, home=home).text(text)


def redact_document(document: Any, *environments: Optional[Mapping[str, str]], home: bool = False) -> Any:
    """A copy of JSON-like data (dicts, lists, strings, numbers) with every secret masked, keys included."""
    return redactor(*environments, home=home).document(document)


def redacted_json(document: Any, *environments: Optional[Mapping[str, str]], indent: Optional[int] = 1) -> str:
    """`document` redacted and dumped as JSON with a final newline: what a writer of facts puts on disk or stdout."""
    return json.dumps(redact_document(document, *environments), indent=indent) + "\n"
