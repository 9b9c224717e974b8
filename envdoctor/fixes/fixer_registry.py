"""Find, load and validate fixers from the `envdoctor.fixers` entry-point group.

Loaded as checks are (envdoctor/registry.py, load_plugins): envdoctor's own
fixers come through its own entry points; a fixer that fails to import, is
malformed or claims a code another fixer already handles is a PluginError
naming both providers.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Optional

from envdoctor.api import CODE_PATTERN, NAME_PATTERN
from envdoctor.errors import PluginError
from envdoctor.fixes.fixer_api import FIXER_ATTRIBUTE, FixerSpec
from envdoctor.model.plan import FIXER_KINDS
from envdoctor.model.record import Record, record
from envdoctor.plugins import FIXERS_GROUP, load_plugins



def _validate(spec: FixerSpec, origin: str) -> None:
    problems = []
    if not NAME_PATTERN.match(spec.name):
        problems.append(f"name {spec.name!r} is not kebab-case")
    if spec.kind not in FIXER_KINDS:
        problems.append(f"kind {spec.kind!r} is not one of {', '.join(FIXER_KINDS)}")
    bad = [c for c in spec.codes if not CODE_PATTERN.match(c)]
    if bad or not spec.codes:
        problems.append(f"codes {list(spec.codes)} must be check codes like ABC001")
    if not spec.summary:
        problems.append("has no docstring (its first line is shown in plans)")
    if problems:
        raise PluginError(f"fixer {spec.name} from {origin} is invalid: " + "; ".join(problems))


@record
class FixerRegistry(Record):
    by_code: Dict[str, FixerSpec]
    by_name: Dict[str, FixerSpec] = dataclasses.field(default_factory=dict)

    def for_finding(self, finding) -> Optional[FixerSpec]:
        """The fixer claiming the finding's code; else the one its proposal names (knowledge-base
        rules are data, so their findings say `fixer = "install-requirement"` instead)."""
        spec = self.by_code.get(finding.code)
        if spec is None and finding.fix and finding.fix.parameters:
            spec = self.by_name.get(finding.fix.parameters.get("fixer", ""))
        return spec


def load_fixers() -> FixerRegistry:
    by_code: Dict[str, FixerSpec] = {}
    by_name: Dict[str, FixerSpec] = {}
    for point, origin, specs in load_plugins(FIXERS_GROUP, FIXER_ATTRIBUTE, "fixers", "envdoctor.fixes.fixer_api.fixer"):
        for spec in specs:
            _validate(spec, origin)
            spec = dataclasses.replace(spec, provider=point.provider)
            for code in spec.codes:
                if code in by_code:
                    other = by_code[code]
                    raise PluginError(
                        f"fixers {other.name} ({other.provider}) and {spec.name} ({spec.provider}) both claim {code}"
                    )
                by_code[code] = spec
            by_name[spec.name] = spec
    return FixerRegistry(by_code, by_name)
