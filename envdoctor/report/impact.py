"""Findings in the order a person should read them: errors first, then by how much of the stack
each one breaks.

"How much" is the number of installed distributions that need the finding's distribution,
directly or through others (a missing `idna` under `requests` under `sglang` breaks all three),
counted from the Requires-Dist lines in the facts.  Ties keep the engine's order (by code).
"""

from __future__ import annotations

import re
from typing import Dict, Iterable, List, Optional, Set

from envdoctor.model.facts import canonicalize
from envdoctor.model.finding import Severity

SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _requirers(facts) -> Dict[str, Set[str]]:
    """{distribution: the installed distributions whose Requires-Dist names it} (markers not
    evaluated: an order needs no precision a finding would)."""
    needed_by: Dict[str, Set[str]] = {}
    for dist in facts.distributions or ():
        for line in dist.requires_dist:
            match = _NAME.match(line)
            if match:
                needed_by.setdefault(canonicalize(match.group(1)), set()).add(dist.canonical_name)
    return needed_by


def _reach(name: str, needed_by: Dict[str, Set[str]]) -> int:
    seen: Set[str] = set()
    todo = [name]
    while todo:
        for requirer in needed_by.get(todo.pop(), ()):
            if requirer not in seen:
                seen.add(requirer)
                todo.append(requirer)
    return len(seen)


def _distribution(finding) -> Optional[str]:
    if finding.location is not None and finding.location.distribution:
        return finding.location.distribution
    return finding.subject or None


def by_impact(findings: Iterable, facts) -> List:
    needed_by = _requirers(facts)
    findings = list(findings)

    def key(indexed):
        index, finding = indexed
        name = _distribution(finding)
        reach = _reach(canonicalize(name), needed_by) if name else 0
        return SEVERITY_RANK[finding.severity], -reach, index

    return [finding for _, finding in sorted(enumerate(findings), key=key)]
