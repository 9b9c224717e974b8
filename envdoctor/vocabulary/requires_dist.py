"""Requires-Dist lines, parsed once per text, and their markers evaluated for one target.

Parsing is packaging's: every parsed line is a packaging.requirements.Requirement.  The
common shape `name[extras] <specifiers> ; <marker>` (no URL) is cut by one strict
regular expression and assembled from packaging's own SpecifierSet and Marker, the way
packaging's Requirement.__replace__ assembles one, instead of running packaging's general
tokenizer: on the 2,549 distinct Requires-Dist lines of a 198-distribution CUDA stack
that takes 28 ms instead of 71 ms, a sixth of a whole `envdoctor check`
(docs/performance.md).  Any other text goes to Requirement(text), and
tests/unit/test_requirement_parsing.py proves both give equal Requirements on a large
real corpus.

packaging is imported on first use, not with this module: every check module imports it,
and packaging.markers alone (its tokenizer's regular expressions) is about 13 ms of a start
that parses no requirement at all (an empty environment, a --select without them).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Dict, List, NamedTuple, Optional, Tuple

from envdoctor.model.facts import Distribution, canonicalize
from envdoctor.vocabulary.versions import specifier_set

if TYPE_CHECKING:
    from packaging.markers import Marker
    from packaging.requirements import Requirement


class ParsedRequirement(NamedTuple):
    """A Requires-Dist line with what every requirement check asks of it, computed once.

    (A named tuple rather than a record: built once per distinct requirement, thousands
    of times in a large environment, and a record's __init__ costs three times as much:
    0.9 us against 2.8 us, measured for the architecture refactor, issue 15.)"""

    text: str
    requirement: Requirement
    key: str  # canonical name of the required distribution
    extras: Tuple[str, ...]  # canonical extras it requests
    has_specifier: bool
    marker_uses_extra: bool  # whether the marker's answer depends on the requesting extra

    @classmethod
    def of(cls, text: str, requirement: Requirement) -> "ParsedRequirement":
        marker = requirement.marker
        return cls(
            text,
            requirement,
            canonicalize(requirement.name),
            tuple(sorted(canonicalize(extra) for extra in requirement.extras)),
            len(requirement.specifier) > 0,
            marker is not None and "extra" in str(marker),
        )


_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_PLAIN = re.compile(
    rf"^\s*({_NAME})\s*"
    rf"(?:\[\s*((?:{_NAME}\s*,\s*)*{_NAME})?\s*\])?\s*"
    r"(\(?\s*(?:(?:===|~=|==|!=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*,?\s*)+\)?)?\s*"
    r"(?:;\s*(\S.*?))?\s*$"
)


@lru_cache(maxsize=None)
def _packaging() -> tuple:
    """(Requirement, Marker, InvalidSpecifier, InvalidMarker), imported on first use.  Once: a
    `from packaging.x import y` statement costs microseconds each time it runs (three per distinct
    text were ~50 ms over the 2,549 texts of tests/data/snapshot-h200-cuda13.json, on a loaded machine)."""
    from packaging.markers import InvalidMarker, Marker
    from packaging.requirements import Requirement
    from packaging.specifiers import InvalidSpecifier

    return Requirement, Marker, InvalidSpecifier, InvalidMarker


@lru_cache(maxsize=None)
def _marker(text: str) -> Marker:
    # Shared between requirements with the same marker text: MarkerEvaluator keys its results by it.
    return _packaging()[1](text)  # Marker(text)


def plain_requirement(text: str) -> Optional[Requirement]:
    """The Requirement for a line of the plain shape (no URL), or None: packaging must parse it.

    Assembled from packaging's SpecifierSet and Marker as packaging's own
    Requirement.__replace__ does (its five slots), so it is equal to Requirement(text).
    """
    plain = _PLAIN.match(text)
    if plain is None:
        return None
    Requirement, _, InvalidSpecifier, InvalidMarker = _packaging()
    name, extras, specifier, marker = plain.groups()
    try:
        requirement = Requirement.__new__(Requirement)
        requirement.name = name
        requirement.url = None
        requirement.extras = {extra.strip() for extra in extras.split(",")} if extras else set()
        requirement.specifier = specifier_set((specifier or "").strip("() "))  # shared, never mutated
        requirement.marker = _marker(marker) if marker else None
    except (InvalidSpecifier, InvalidMarker):
        return None  # let packaging produce the precise error
    return requirement


@lru_cache(maxsize=None)
def _parse(text: str) -> Tuple[Optional[ParsedRequirement], Optional[str]]:
    """(the parsed requirement, None) or (None, packaging's error message); once per distinct text."""
    requirement = plain_requirement(text)
    if requirement is None:
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            return None, str(exc)
    return ParsedRequirement.of(text, requirement), None


def parse_requirement(text: str) -> Optional[ParsedRequirement]:
    """One Requires-Dist string, parsed (cached per text); None when it does not parse."""
    return _parse(text)[0]


def parsed_requirements(dist: Distribution) -> Tuple[List[ParsedRequirement], List[str]]:
    """(requirements that parse, error messages for those that do not)."""
    return _parsed(dist.requires_dist)


def parse_requires_dist(lines: Tuple[str, ...]) -> None:
    """Parse a distribution's Requires-Dist lines ahead of parsed_requirements (idle_work.py): the
    result is cached by the lines themselves."""
    _parsed(lines)


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
