"""Which requirements are in force for a target, and which of them the installed distributions do not meet.

Unlike `pip check`, the extras that installed distributions request of each other count:
if `foo` requires `bar[fast]`, bar's `extra == "fast"` requirements are in force too.
Markers are evaluated with the target's own marker environment, never envdoctor's.
Shared by the requirement checks (REQ001, REQ002, TOR001, FLI002, IMP) and the
reinstall fixer, and computed once per run.
"""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Dict, List, NamedTuple, Optional, Set, Tuple

from envdoctor.model.facts import Distribution, Facts
from envdoctor.vocabulary.facts_view import per_facts
from envdoctor.vocabulary.requires_dist import MarkerEvaluator, ParsedRequirement, parsed_requirements
from envdoctor.vocabulary.versions import parse_version


class ActiveRequirement(NamedTuple):
    """A requirement in force, and why.  (A named tuple rather than a record: one per requirement
    in force, 5,000 in a 1,000-distribution environment, and a record's __init__ costs three
    times as much, 2.8 us against 0.9 us: it would double active_requirements' ~10 ms.)"""

    requirer: Distribution
    parsed: ParsedRequirement
    via_extra: str  # "" or the extra that activates it
    extra_requested_by: Tuple[str, ...]  # who asked for that extra

    @property
    def requirement(self):
        return self.parsed.requirement

    @property
    def text(self) -> str:
        return self.parsed.text


def _requirers(facts: Facts) -> Dict[str, Distribution]:
    """The active distributions whose requirements are in force: not metadata found only through
    the working directory (sys.path[0]), a project's build artefact (`*.egg-info` of `python
    setup.py egg_info`) that pip leaves out before it looks (its test test_check_skip_work_dir_pkg)."""
    requirers = {}
    for key, dist in facts.active_distributions().items():
        entry = facts.sys_path_entry(dist.path_index)
        if not (entry and entry.origin == "cwd"):
            requirers[key] = dist
    return requirers


# REQ001 and REQ002 both need it, and the stack membership; it reads only these fields
@per_facts(depends_on=("distributions", "sys_path", "markers"))
def active_requirements(facts: Facts) -> List[ActiveRequirement]:
    """Requirements in force, after propagating the extras installed distributions request.

    A worklist: requirements in force without extras come first; each extra they request
    of an installed distribution is queued once, and only that distribution's
    extra-dependent requirements are evaluated for it.  Linear in the number of
    requirements plus requested extras (5,000 requirements take ~10 ms: this runs on
    every check, so the loops keep per-requirement work to a list slot).
    """
    active = _requirers(facts)
    holds = MarkerEvaluator(facts.markers or {}).holds
    requested: Dict[str, Set[str]] = defaultdict(set)
    requested_by: Dict[Tuple[str, str], Set[str]] = defaultdict(set)
    queue: deque = deque()
    # Per distribution: its parsed requirements and, for each, True (in force without an
    # extra), the extras that put it in force, or None (not in force).
    state: Dict[str, Tuple[List[ParsedRequirement], list]] = {}

    def request_extras(item: ParsedRequirement, by: Distribution) -> None:
        for wanted in item.extras:
            requested_by[(item.key, wanted)].add(by.display)
            if wanted not in requested[item.key]:
                requested[item.key].add(wanted)
                queue.append((item.key, wanted))

    for key, dist in active.items():
        items = parsed_requirements(dist)[0]
        slots: list = [None] * len(items)
        state[key] = (items, slots)
        for index, item in enumerate(items):
            marker = item.requirement.marker
            if marker is None or holds(marker, ""):
                slots[index] = True
                if item.extras:
                    request_extras(item, dist)
    while queue:
        key, extra = queue.popleft()
        if key not in state:
            continue  # REQ001 reports the missing distribution itself
        items, slots = state[key]
        for index, item in enumerate(items):
            slot = slots[index]
            if slot is True or not item.marker_uses_extra or not holds(item.requirement.marker, extra):
                continue
            if slot is None:
                slots[index] = [extra]
                if item.extras:
                    request_extras(item, active[key])  # its own requests, made once
            else:
                slot.append(extra)

    result = []
    for key, dist in active.items():
        items, slots = state[key]
        for item, slot in zip(items, slots):
            if slot is True:
                result.append(ActiveRequirement(dist, item, "", ()))
            elif slot is not None:
                via = min(slot)
                result.append(ActiveRequirement(dist, item, via, tuple(sorted(requested_by[(key, via)]))))
    return result


@per_facts  # REQ001, REQ002, TOR001 and FLI002 all read it
def unmet_requirements(facts: Facts) -> List[Tuple[ActiveRequirement, Optional[Distribution]]]:
    """Requirements in force that the installed distributions do not meet, with the installed
    provider (None: nothing provides it).  Unparseable versions are INT002's, not unmet."""
    installed = facts.active_distributions()
    unmet = []
    # Specifier sets and versions are shared objects (parsed once per text), and the same
    # pair recurs across an environment: `contains` once per pair.
    verdicts: Dict[Tuple[int, int], bool] = {}
    for item in active_requirements(facts):
        provider = installed.get(item.parsed.key)
        if provider is None:
            unmet.append((item, None))
            continue
        if not item.parsed.has_specifier:
            continue
        version = parse_version(provider.version)
        if version is None:
            continue
        specifier = item.requirement.specifier
        pair = (id(specifier), id(version))
        met = verdicts.get(pair)
        if met is None:
            met = verdicts[pair] = specifier.contains(version, prereleases=True)
        if not met:
            unmet.append((item, provider))
    return unmet
