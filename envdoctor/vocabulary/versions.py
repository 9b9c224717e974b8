"""Versions and specifier sets, parsed once per text (packaging's objects, cached).

In a large environment the same version and specifier strings repeat thousands of
times; every caller shares one parsed object per text, and none mutates it
(prereleases are passed per call).  packaging is imported on first use: its version and
specifier modules compile their regular expressions at import, a cost a start that parses
no version (an empty environment) need not pay.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Optional, Tuple

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version


@lru_cache(maxsize=None)
def parse_version(text: Optional[str]) -> Optional[Version]:
    """The version, or None when there is none or it does not parse."""
    if text is None:
        return None
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        return None


@lru_cache(maxsize=None)
def specifier_set(text: str) -> SpecifierSet:
    """A shared SpecifierSet for `text`; InvalidSpecifier when it is not one."""
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(text)


def satisfies(version_text: Optional[str], spec_text: str) -> bool:
    """Whether a version (as text) is in a specifier set (as text; "" admits any version).
    Prereleases count: an installed 2.12.0rc1 is what is installed. False when either does not parse."""
    version = parse_version(version_text)
    if version is None:
        return False
    from packaging.specifiers import InvalidSpecifier

    try:
        return specifier_set(spec_text or "").contains(version, prereleases=True)
    except InvalidSpecifier:
        return False


@lru_cache(maxsize=None)
def requires_python_spec(text: str) -> Optional[SpecifierSet]:
    """The Requires-Python specifier, or None when it is not a valid one (INT002 reports that)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def release(text: Optional[str]) -> Optional[Tuple[int, ...]]:
    """(2, 11, 0) for "2.11.0+cu130"; None when it does not parse."""
    version = parse_version(text)
    return tuple(version.release) if version is not None else None


def major_minor(text: Optional[str]) -> Optional[Tuple[int, int]]:
    parts = release(text)
    if not parts:
        return None
    return (parts[0], parts[1] if len(parts) > 1 else 0)


def public(text: Optional[str]) -> Optional[str]:
    """The version without its local build tag: 2.11.0 for 2.11.0+cu130."""
    return text.split("+", 1)[0] if text else text
