"""Parsing metadata values: Requires-Dist, versions, Requires-Python, markers.

Shared by the requirement checks (REQ) and the metadata check (INT002), and
cached: in a large environment the same strings and markers repeat thousands
of times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Set, Tuple

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from envdoctor.model.facts import Distribution


@dataclass(frozen=True)
class ParsedRequirement:
    text: str
    requirement: object  # packaging.requirements.Requirement


@dataclass(frozen=True)
class PlainRequirement:
    """`name[extras] <specifiers> ; <marker>` without a URL, the shape of nearly every Requires-Dist.

    Building these with a strict regular expression, and parsing each distinct marker
    text once, makes a 1,000-distribution environment several times faster to check
    than packaging's general tokenizer; anything the expression does not match exactly
    goes through packaging.requirements.Requirement (tests/unit/test_requirement_parsing.py
    proves the two agree).
    """

    name: str
    specifier: SpecifierSet
    extras: frozenset = frozenset()
    marker: Optional[Marker] = None
    url: None = None


_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_PLAIN = re.compile(
    rf"^\s*({_NAME})\s*"
    rf"(?:\[\s*((?:{_NAME}\s*,\s*)*{_NAME})?\s*\])?\s*"
    r"(\(?\s*(?:(?:===|~=|==|!=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*,?\s*)+\)?)?\s*"
    r"(?:;\s*(\S.*?))?\s*$"
)


@lru_cache(maxsize=None)
def _marker(text: str) -> Marker:
    return Marker(text)


@lru_cache(maxsize=None)
def _parse(text: str):
    plain = _PLAIN.match(text)
    if plain is not None:
        name, extras, specifier, marker = plain.groups()
        try:
            return PlainRequirement(
                name,
                SpecifierSet((specifier or "").strip("() ")),
                frozenset(e.strip() for e in extras.split(",")) if extras else frozenset(),
                _marker(marker) if marker else None,
            ), None
        except (InvalidSpecifier, InvalidMarker):
            pass  # let packaging produce the precise error
    try:
        return Requirement(text), None
    except InvalidRequirement as exc:
        return None, str(exc)


def parsed_requirements(dist: Distribution) -> Tuple[List[ParsedRequirement], List[str]]:
    """(requirements that parse, error messages for those that do not)."""
    return _parsed(dist.requires_dist)


@lru_cache(maxsize=4096)
def _parsed(requires_dist: Tuple[str, ...]) -> Tuple[List[ParsedRequirement], List[str]]:
    good, bad = [], []
    for text in requires_dist:
        requirement, error = _parse(text)
        if requirement is None:
            bad.append(f"Requires-Dist {text!r}: {error}")
        else:
            good.append(ParsedRequirement(text, requirement))
    return good, bad


@lru_cache(maxsize=None)
def parse_version(text: Optional[str]):
    if text is None:
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


class MarkerEvaluator:
    """Marker results for one target: its marker environment never changes, so each
    (marker, extra) pair is evaluated once; most environments repeat a few markers
    (`python_version >= "3.9"`, `extra == "test"`) thousands of times."""

    def __init__(self, markers: Dict[str, str]):
        self.environment = dict(markers)
        self.results: Dict[Tuple[int, str], Optional[bool]] = {}
        self.uses_extra: Dict[int, bool] = {}

    def holds(self, marker, extra: str) -> Optional[bool]:
        # Requirements are parsed once per text (lru_cache), so a marker object's id is stable.
        uses_extra = self.uses_extra.get(id(marker))
        if uses_extra is None:
            uses_extra = self.uses_extra[id(marker)] = "extra" in str(marker)
        if not uses_extra:
            extra = ""  # the answer does not depend on it
        key = (id(marker), extra)
        if key not in self.results:
            self.environment["extra"] = extra
            try:
                self.results[key] = bool(marker.evaluate(self.environment))
            except Exception:  # an undefined marker variable: the requirement cannot be judged
                self.results[key] = None
        return self.results[key]

    def applies(self, requirement, extras: Set[str]) -> Optional[str]:
        """'' when it applies without extras, the extra that activates it, or None."""
        marker = requirement.marker
        if marker is None:
            return ""
        for extra in [""] + sorted(extras):
            result = self.holds(marker, extra)
            if result is None:
                return None
            if result:
                return extra
        return None


@lru_cache(maxsize=None)
def requires_python_spec(text: str) -> Optional[SpecifierSet]:
    """The Requires-Python specifier, or None when it is not a valid one (INT002 reports that)."""
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None
