"""The checks of a run: CheckSpecs from check plugins and from knowledge-base rule providers.

Both come through the one plugin path (envdoctor/plugins.py): check modules from the
`envdoctor.checks` group, rule providers from `envdoctor.rules` (envdoctor's own points at
envdoctor/kb/rules/; the user's rule files from [tool.envdoctor] rules are a second provider
given here explicitly).  Each check is validated (code and name patterns, known fact
sections, documented sections, no duplicates), errors naming the plugin and its
distribution.  Nothing happens at import time of this module.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Callable, Dict, Iterable, List, Sequence, Tuple

from envdoctor.api import CHECK_ATTRIBUTE, CODE_PATTERN, DOC_SECTIONS, FIX_KINDS, NAME_PATTERN, CheckSpec
from envdoctor.errors import PluginError, UsageError
from envdoctor.model.facts import SECTIONS
from envdoctor.model.record import Record, record
from envdoctor.plugins import CHECKS_GROUP, RULES_GROUP, find, load_callables, load_plugins, origin


# Codes the engine itself uses; plugins may not claim them.
ENGINE_CODES = {"EDR001": "check-crashed"}


@record
class RuleProvider(Record):
    """Where knowledge-base rules come from: a callable returning rule files (paths) or Rules."""

    origin: str  # for messages: "plugin 'builtin' (envdoctor.kb:builtin_rule_files) of envdoctor 1.0"
    provider: str  # what `envdoctor list` shows as the provider: "distribution version"
    rules: Callable[[], Iterable]


def config_rules(rule_files: Sequence[str]) -> RuleProvider:
    """The user's rule files named by [tool.envdoctor] rules, as a provider of their own."""
    return RuleProvider("a rule file named by the config's `rules`", "config rules", lambda: tuple(rule_files))


def docstrings_stripped() -> bool:
    """python -OO removes every docstring: the checks still run; only their documentation is gone."""
    return sys.flags.optimize >= 2


def validate(spec: CheckSpec, where: str) -> None:
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
    # The raw docstring: a section header ends its line with or without the indentation that
    # inspect.cleandoc removes (which cost ~8 ms per start over 85 checks, for this test only).
    doc = (spec.function.__doc__ or "") + "\n"
    missing_sections = [s for s in DOC_SECTIONS if f"{s}\n" not in doc]
    if missing_sections and not docstrings_stripped():
        problems.append(f"docstring lacks the sections {missing_sections}")
    if not spec.summary.strip():
        problems.append("summary is empty")
    if problems:
        raise PluginError(f"check {spec.code} ({spec.name}) from {where} is invalid: " + "; ".join(problems))


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

    def knows(self, token: str) -> bool:
        """Whether a --select/--ignore token (or a config's) names any check."""
        return bool(self.lookup(token)) or token.strip().upper() in ENGINE_CODES

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


def rule_providers(group: str = RULES_GROUP) -> List[RuleProvider]:
    """The rule providers of the `envdoctor.rules` entry-point group (envdoctor's own included)."""
    return [RuleProvider(origin(ep), ep.provider, rules) for ep, rules in load_callables(group, "rule provider")]


def provided_rules(provider: RuleProvider) -> list:
    """The Rules a provider gives: rule files are read, Rules taken as they are."""
    from envdoctor.kb import Rule, load_rules

    rules = []
    try:
        for item in provider.rules():
            rules += [item] if isinstance(item, Rule) else load_rules([os.fspath(item)])
    except PluginError as exc:
        raise PluginError(f"{provider.origin}: {exc}") from exc
    except Exception as exc:  # a provider that crashes is the provider's fault, said once
        raise PluginError(f"{provider.origin} failed: {type(exc).__name__}: {exc}") from exc
    return rules


def load_registry(group: str = CHECKS_GROUP, rule_files: Sequence[str] = (),
                  rules_group: str = RULES_GROUP) -> Registry:
    """The checks of every check plugin, and one check per rule of every rule provider: the
    `rules_group` plugins' and, when given, the user's `rule_files`."""
    checks: List[CheckSpec] = []
    seen_codes: Dict[str, str] = dict.fromkeys(ENGINE_CODES, "envdoctor's engine")
    seen_names: Dict[str, str] = {name: "envdoctor's engine" for name in ENGINE_CODES.values()}

    def add(spec: CheckSpec, where: str, provider: str) -> None:
        validate(spec, where)
        for seen, key in ((seen_codes, spec.code), (seen_names, spec.name)):
            if key in seen:
                raise PluginError(f"{where}: {key!r} is already used by {seen[key]}")
            seen[key] = where
        checks.append(dataclasses.replace(spec, provider=provider))

    from envdoctor.check_manifest import Manifest

    # The manifest gives the checks of an unchanged set of plugins without importing them
    # (each module is imported when its check first runs); otherwise every plugin is loaded.
    known = Manifest(group).plugins(find(group))
    for ep, where, specs in load_plugins(group, CHECK_ATTRIBUTE, "checks", "envdoctor.api.check", loaded=known):
        for spec in sorted(specs, key=lambda spec: spec.code):
            add(spec, where, ep.provider)
    providers = rule_providers(rules_group) + ([config_rules(rule_files)] if rule_files else [])
    if providers:
        from envdoctor.kb.rule_check import rule_spec

        for provider in providers:
            for rule in provided_rules(provider):
                add(rule_spec(rule), provider.origin, provider.provider)
    return Registry(tuple(sorted(checks, key=lambda spec: spec.code)))
