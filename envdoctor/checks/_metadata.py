"""Parsing metadata values: Requires-Dist, versions, Requires-Python, markers.

Shared by the requirement checks (REQ) and the metadata check (INT002), and
cached: in a large environment the same strings and markers repeat thousands
of times.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, List, NamedTuple, Optional, Tuple

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from envdoctor.model.facts import Distribution, canonicalize


class ParsedRequirement(NamedTuple):
    """A Requires-Dist line with what every requirement check asks of it, computed once.

    (A named tuple rather than a frozen dataclass: built once per distinct requirement,
    thousands of times in a large environment, and a frozen dataclass's __init__ costs
    four times as much.)"""

    text: str
    requirement: object  # PlainRequirement or packaging.requirements.Requirement
    key: str  # canonical name of the required distribution
    extras: Tuple[str, ...]  # canonical extras it requests
    has_specifier: bool
    marker_uses_extra: bool  # whether the marker's answer depends on the requesting extra

    @classmethod
    def of(cls, text: str, requirement, specifier_text: str, marker_text: str) -> "ParsedRequirement":
        return cls(
            text,
            requirement,
            canonicalize(requirement.name),
            tuple(sorted(canonicalize(extra) for extra in requirement.extras)),
            bool(specifier_text),
            "extra" in marker_text,
        )


class PlainRequirement(NamedTuple):
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
def _specifier_set(text: str) -> SpecifierSet:
    # Shared between requirements: never mutated (prereleases are passed per call).
    return SpecifierSet(text)


@lru_cache(maxsize=None)
def _parse(text: str) -> Tuple[Optional[ParsedRequirement], Optional[str]]:
    """(the parsed requirement, None) or (None, packaging's error message); once per distinct text."""
    plain = _PLAIN.match(text)
    if plain is not None:
        name, extras, specifier, marker = plain.groups()
        specifier = (specifier or "").strip("() ")
        try:
            requirement = PlainRequirement(
                name,
                _specifier_set(specifier),
                frozenset(e.strip() for e in extras.split(",")) if extras else frozenset(),
                _marker(marker) if marker else None,
            )
            return ParsedRequirement.of(text, requirement, specifier, marker or ""), None
        except (InvalidSpecifier, InvalidMarker):
            pass  # let packaging produce the precise error
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        return None, str(exc)
    marker = requirement.marker
    return ParsedRequirement.of(text, requirement, str(requirement.specifier), str(marker) if marker else ""), None


def parse_requirement(text: str) -> Optional[ParsedRequirement]:
    """One Requires-Dist string, parsed (cached per text); None when it does not parse."""
    return _parse(text)[0]


def parsed_requirements(dist: Distribution) -> Tuple[List[ParsedRequirement], List[str]]:
    """(requirements that parse, error messages for those that do not)."""
    return _parsed(dist.requires_dist)


@lru_cache(maxsize=4096)
def _parsed(requires_dist: Tuple[str, ...]) -> Tuple[List[ParsedRequirement], List[str]]:
    good, bad = [], []
    for text in requires_dist:
        parsed, error = _parse(text)
        if parsed is None:
            bad.append(f"Requires-Dist {text!r}: {error}")
        else:
            good.append(parsed)
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

    def holds(self, marker, extra: str) -> Optional[bool]:
        """True/False, or None when the marker names a variable the target lacks (cannot be judged).

        Requirements are parsed once per text (lru_cache), so a marker object's id is stable.
        """
        key = (id(marker), extra)
        result = self.results.get(key, self)
        if result is self:
            self.environment["extra"] = extra
            try:
                result = bool(marker.evaluate(self.environment))
            except Exception:
                result = None
            self.results[key] = result
        return result


def satisfies(version_text: Optional[str], spec_text: str) -> bool:
    """Whether a version (as text) is in a specifier set (as text; "" admits any version).
    Prereleases count: an installed 2.12.0rc1 is what is installed. False when either does not parse."""
    version = parse_version(version_text)
    if version is None:
        return False
    try:
        return _specifier_set(spec_text or "").contains(version, prereleases=True)
    except InvalidSpecifier:
        return False


@lru_cache(maxsize=None)
def requires_python_spec(text: str) -> Optional[SpecifierSet]:
    """The Requires-Python specifier, or None when it is not a valid one (INT002 reports that)."""
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None
