"""Find, load and validate checks from the `envdoctor.checks` entry-point group.

Three stages, as flake8 does it: find entry points (no import), load each
(an import error becomes one PluginError naming the plugin and the
distribution that provides it), validate every check it defines (code and
name patterns, known fact sections, documented sections, no duplicates).
envdoctor's built-in checks come through its own entry points, exactly like a
third party's.  Nothing happens at import time of this module.
"""

from __future__ import annotations

import dataclasses
import types
from typing import Dict, Iterable, Iterator, List, Sequence, Tuple

from envdoctor.api import CHECK_ATTRIBUTE, CODE_PATTERN, DOC_SECTIONS, FIX_KINDS, NAME_PATTERN, CheckSpec
from envdoctor.entry_points import EntryPoint, entry_points
from envdoctor.errors import PluginError, UsageError
from envdoctor.model.facts import SECTIONS
from envdoctor.model.record import Record, record

ENTRY_POINT_GROUP = "envdoctor.checks"

# Codes the engine itself uses; plugins may not claim them.
ENGINE_CODES = {"EDR001": "check-crashed"}


def specs_in(obj, attribute: str = CHECK_ATTRIBUTE) -> list:
    """What a loaded entry point offers: a module's decorated functions, or one function.

    `attribute` is where the decorator left its spec (checks here, fixers in fixes/registry.py).
    """
    if isinstance(obj, types.ModuleType):
        return [getattr(value, attribute) for value in vars(obj).values() if hasattr(value, attribute)]
    if hasattr(obj, attribute):
        return [getattr(obj, attribute)]
    return []


def load_plugins(group: str, attribute: str, what: str, decorator: str) -> Iterator[Tuple[EntryPoint, str, list]]:
    """(entry point, its description for messages, the specs it defines) for each plugin of `group`,
    in entry-point name order.  A plugin that fails to import or defines nothing is a PluginError."""
    for ep in sorted(entry_points(group), key=lambda e: e.name):
        origin = f"plugin {ep.name!r} ({ep.value}) of {ep.provider}"
        try:
            loaded = ep.load()
        except Exception as exc:  # any import-time failure of a plugin is the plugin's
            raise PluginError(f"{origin} failed to load: {type(exc).__name__}: {exc}") from exc
        specs = specs_in(loaded, attribute)
        if not specs:
            raise PluginError(f"{origin} defines no {what} (decorate functions with {decorator})")
        yield ep, origin, specs


def validate(spec: CheckSpec, origin: str) -> None:
    problems = []
    if not CODE_PATTERN.match(spec.code):
        problems.append(f"code {spec.code!r} does not match {CODE_PATTERN.pattern}")
    if not NAME_PATTERN.match(spec.name):
        problems.append(f"name {spec.name!r} is not kebab-case")
    unknown = [n for n in spec.needs if n not in SECTIONS]
    if unknown:
        problems.append(f"needs unknown fact sections {unknown} (known: {', '.join(SECTIONS)})")
    if spec.fix is not None and spec.fix not in FIX_KINDS:
        problems.append(f"fix kind {spec.fix!r} is not one of {', '.join(FIX_KINDS)}")
    doc = spec.doc + "\n"  # cleaned once: inspect.cleandoc per section cost ~5 ms per run over 56 checks
    missing_sections = [s for s in DOC_SECTIONS if f"{s}\n" not in doc]
    if missing_sections:
        problems.append(f"docstring lacks the sections {missing_sections}")
    if not spec.summary.strip():
        problems.append("summary is empty")
    if problems:
        raise PluginError(f"check {spec.code} ({spec.name}) from {origin} is invalid: " + "; ".join(problems))


@record
class Registry(Record):
    checks: Tuple[CheckSpec, ...]

    def by_code(self) -> Dict[str, CheckSpec]:
        return {spec.code: spec for spec in self.checks}

    def lookup(self, token: str) -> List[CheckSpec]:
        """Checks a --select/--ignore/explain token means: a code, a code prefix or a name."""
        upper = token.strip().upper()
        lower = token.strip().lower()
        return [spec for spec in self.checks if spec.code.startswith(upper) or spec.name == lower] if upper else []

    def select(self, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> Tuple[CheckSpec, ...]:
        chosen = list(self.checks)
        select, ignore = list(select), list(ignore)
        for token in select + ignore:
            if not self.lookup(token) and token.strip().upper() not in ENGINE_CODES:
                raise UsageError(f"unknown check {token!r}: not a code, code prefix or name (see `envdoctor list`)")
        if select:
            wanted = {spec.code for token in select for spec in self.lookup(token)}
            chosen = [spec for spec in chosen if spec.code in wanted]
        if ignore:
            unwanted = {spec.code for token in ignore for spec in self.lookup(token)}
            chosen = [spec for spec in chosen if spec.code not in unwanted]
        return tuple(chosen)


def load_registry(group: str = ENTRY_POINT_GROUP, rule_files: Sequence[str] = ()) -> Registry:
    """The checks of every plugin, and one check per rule of the user's knowledge-base rule files."""
    checks: List[CheckSpec] = []
    seen_codes: Dict[str, str] = dict.fromkeys(ENGINE_CODES, "envdoctor's engine")
    seen_names: Dict[str, str] = {name: "envdoctor's engine" for name in ENGINE_CODES.values()}

    def add(spec: CheckSpec, origin: str, provider: str) -> None:
        validate(spec, origin)
        for seen, key in ((seen_codes, spec.code), (seen_names, spec.name)):
            if key in seen:
                raise PluginError(f"{origin}: {key!r} is already used by {seen[key]}")
            seen[key] = origin
        checks.append(dataclasses.replace(spec, provider=provider))

    for ep, origin, specs in load_plugins(group, CHECK_ATTRIBUTE, "checks", "envdoctor.api.check"):
        for spec in sorted(specs, key=lambda spec: spec.code):
            add(spec, origin, ep.provider)
    if rule_files:
        from envdoctor.checks.knowledge import rule_checks

        for spec in rule_checks(rule_files):
            add(spec, "a rule file named by the config's `rules`", "config rules")
    return Registry(tuple(sorted(checks, key=lambda spec: spec.code)))
