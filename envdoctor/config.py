"""`[tool.envdoctor]` in pyproject.toml (found from the working directory upwards) or `--config FILE`.

Keys (docs/ci.md): `select` and `ignore` (check codes, prefixes or names), `strict`
(fail on warnings), `severity` (a table of code or prefix -> error/warning/info), `scan`
(distributions or folders to scan besides the stack packages; folders are relative to the
file's directory), `rules` (knowledge-base rule files of your own, relative to the
file's directory; docs/knowledge-base.md) and `require` (what the environment must
provide: check EXP001).  Every other key is an error naming it, so a
typo never silently does nothing.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable, Dict, List, Optional, Tuple

from envdoctor.data_files import read_toml_lines
from envdoctor.errors import UsageError
from envdoctor.model.record import Record, record

TABLE = "[tool.envdoctor]"
KNOWN_KEYS = ("select", "ignore", "strict", "severity", "scan", "rules", "require")
SEVERITY_NAMES = ("error", "warning", "info")


@record
class Settings(Record):
    scan: Tuple[str, ...] = ()
    rules: Tuple[str, ...] = ()  # knowledge-base rule files, absolute
    path: Optional[str] = None  # the file they came from, for messages
    table: str = TABLE  # the table of that file they came from, for messages
    select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    strict: bool = False
    severity: Dict[str, str] = dataclasses.field(default_factory=dict)  # code or code prefix -> severity name
    require: Tuple[Any, ...] = ()  # vocabulary.require_entries.Expectation: the `require` entries, parsed


def load_settings(cwd: str, explicit: Optional[str] = None) -> Settings:
    if explicit:
        table, lines, name = _envdoctor_table(explicit, required=True)
        return _settings(table or {}, explicit, lines, name)
    found = find_config(cwd)
    if found is None:
        return Settings()
    path, table, lines = found
    return _settings(table, path, lines)


def find_config(cwd: str) -> Optional[Tuple[str, Dict[str, Any], List[str]]]:
    """The nearest pyproject.toml at or above cwd that has a [tool.envdoctor] table:
    its path, the table, and its lines (where each `require` entry is written)."""
    folder = os.path.abspath(cwd)
    while True:
        candidate = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(candidate):
            table, lines, _ = _envdoctor_table(candidate, required=False)
            if table is not None:
                return candidate, table, lines
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _envdoctor_table(path: str, required: bool) -> Tuple[Optional[Dict[str, Any]], List[str], str]:
    """The settings table of a file, its lines, and how messages name that table."""
    data, lines = read_toml_lines(path, "config")
    tool = data.get("tool")
    nested = tool.get("envdoctor") if isinstance(tool, dict) else None
    if os.path.basename(path) == "pyproject.toml" or (set(data) == {"tool"} and nested is not None):
        # pyproject.toml, or a dedicated file written with the same [tool.envdoctor] header
        table, name = nested, TABLE
    else:
        table, name = data, "top level"  # a dedicated file (--config envdoctor.toml): its top level is the table
    if table is None and required:
        raise UsageError(f"config {path}: no {TABLE} table")
    if table is not None and not isinstance(table, dict):
        raise UsageError(f"config {path}: {TABLE} must be a table")
    return table, lines, name


def _problem(path: str, table: str, key: str, text: str) -> UsageError:
    """An error naming the file, the table and the key, as docs/reference/cli.md promises."""
    return UsageError(f"config {path}, {table}, key {key!r}: {text}")


def check_names(settings: Settings, known: Callable[[str], bool]) -> None:
    """Every check named in `select`, `ignore` and `severity` exists (`known(token)`): a typo in the
    file is an error that names the file, the table and the key, before any probing."""
    named = [("select", token) for token in settings.select] + [("ignore", token) for token in settings.ignore]
    named += [(f"severity.{code}", code) for code in settings.severity]
    for key, token in named:
        if not known(token):
            raise _problem(settings.path, settings.table, key,
                           f"unknown check {token!r}: not a code, code prefix or name (see `envdoctor list`)")


def _settings(table: Dict[str, Any], path: str, lines: List[str], name: str = TABLE) -> Settings:
    def problem(key: str, text: str) -> UsageError:
        return _problem(path, name, key, text)

    for key in table:
        if key not in KNOWN_KEYS:
            raise UsageError(f"config {path}: unknown key {key!r} in {name} (known: {', '.join(KNOWN_KEYS)})")
    scan = table.get("scan", [])
    if not isinstance(scan, list) or not all(isinstance(item, str) and item for item in scan):
        raise problem("scan", "must be a list of distribution names or folders")
    base = os.path.dirname(os.path.abspath(path))
    # A folder is meant relative to the config file, wherever envdoctor runs from.
    resolved = tuple(
        os.path.normpath(os.path.join(base, item)) if (item.startswith(".") or os.sep in item) else item for item in scan
    )
    rules = table.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(item, str) and item for item in rules):
        raise problem("rules", "must be a list of rule file paths")
    rule_files = tuple(os.path.normpath(os.path.join(base, item)) for item in rules)
    for rule_file in rule_files:
        if not os.path.isfile(rule_file):
            raise problem("rules", f"rule file {rule_file} does not exist")
    lists = {}
    for key in ("select", "ignore"):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            raise problem(key, "must be a list of check codes, prefixes or names")
        lists[key] = tuple(value)
    strict = table.get("strict", False)
    if not isinstance(strict, bool):
        raise problem("strict", "must be true or false")
    severity = table.get("severity", {})
    if not isinstance(severity, dict):
        raise problem("severity", "must be a table of check code = \"error\" | \"warning\" | \"info\"")
    for code, level in severity.items():
        if level not in SEVERITY_NAMES:
            raise problem(f"severity.{code}", f"must be one of {', '.join(SEVERITY_NAMES)}, not {level!r}")
    return Settings(scan=resolved, rules=rule_files, path=path, table=name, select=lists["select"], ignore=lists["ignore"],
                    strict=strict, severity={str(k).upper(): v for k, v in severity.items()},
                    require=_require(table.get("require", []), path, lines, problem))


def _require(entries: Any, path: str, lines: List[str], problem: Callable[[str, str], UsageError]) -> Tuple[Any, ...]:
    """`require` entries with the line each is written on (for SARIF and the GitHub annotations),
    each parsed now so that a bad one is a usage error before any probing."""
    from envdoctor.vocabulary.require_entries import Declared, parse_expectation

    if not isinstance(entries, list) or not all(isinstance(item, str) and item.strip() for item in entries):
        raise problem("require", "must be a list of requirements, e.g. [\"torch>=2.9\", \"cuda>=12.4\", \"gpu\"]")
    parsed = []
    for index, text in enumerate(entries):
        line = next((n for n, content in enumerate(lines, 1) if f'"{text}"' in content or f"'{text}'" in content), None)
        try:
            parsed.append(parse_expectation(Declared(text.strip(), path, line)))
        except ValueError as exc:
            raise problem(f"require[{index}]", f"{text!r}: {exc}") from None
    return tuple(parsed)
