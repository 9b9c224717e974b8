"""Which installed distributions are part of the ML stack in one target, computed once per run.

The names in stack.py are where the stack starts, not where it ends: a quantisation,
attention or serving package that requires torch breaks the same way sglang does (a
module-level `import triton` on a machine that cannot have triton).  So a distribution
is a member when

- it is one of stack.py's MEMBERSHIP_SEEDS, or
- a requirement of it that is in force for this target (markers evaluated with the
  target's marker environment; an extra's requirements only when an installed
  distribution requests that extra: requirements_in_force.py) names a member or a seed,
  installed or not (a package that requires triton is stack on a machine without triton
  above all), or
- it provides part of a member's regular (non-namespace) top-level package: a package is
  one folder, and importing any part of it runs its `__init__.py` (flash-linear-attention
  ships fla.layers and fla.models; `import fla.layers` runs fla-core's fla/__init__.py and
  fla.ops, whose torch and triton requirements hide behind extras).

Namespace packages (`nvidia`, `google`) are shared by unrelated distributions and join
nobody.  numpy is not a seed: half of PyPI requires it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Dict, FrozenSet, Set, Tuple

from envdoctor.model.facts import Distribution, Facts
from envdoctor.vocabulary.facts_view import per_facts
from envdoctor.vocabulary.requirements_in_force import active_requirements
from envdoctor.vocabulary.stack import MEMBERSHIP_SEEDS, NAMED


# The import scan, --deep and the checks that speak of "stack packages" share it; it reads only these fields.
@per_facts(depends_on=("distributions", "sys_path", "markers", "modules"))
def stack_members(facts: Facts) -> FrozenSet[str]:
    """Canonical names of the installed distributions that are part of the stack."""
    installed = facts.active_distributions()
    requirers: Dict[str, Set[str]] = defaultdict(set)  # required name -> installed requirers
    for item in active_requirements(facts):
        requirers[item.parsed.key].add(item.requirer.canonical_name)
    sharers = _regular_package_sharers(facts)
    members: Set[str] = set()
    queue = list(MEMBERSHIP_SEEDS)
    while queue:
        name = queue.pop()
        if name in members:
            continue
        if name in installed:
            members.add(name)
        elif name not in MEMBERSHIP_SEEDS:
            continue
        queue.extend(requirers.get(name, ()))
        if name in installed:
            for top in _top_level(installed[name]):
                queue.extend(sharers.get(top, ()))
    return frozenset(members)


def joined_members(facts: Facts) -> Tuple[str, ...]:
    """The members stack.py does not name (they joined through their requirements), sorted:
    the named ones have their own scan and --deep decisions there."""
    return tuple(sorted(name for name in stack_members(facts) if name not in NAMED))


def joined_top_level_modules(facts: Facts) -> Tuple[str, ...]:
    """The top-level modules of the joined members, sorted, each once."""
    installed = facts.active_distributions()
    return tuple(sorted({top for name in joined_members(facts) for top in _top_level(installed[name])}))


def _top_level(dist: Distribution) -> Tuple[str, ...]:
    return tuple(name for name in dist.top_level or dist.record_modules if name and "." not in name)


def _regular_package_sharers(facts: Facts) -> Dict[str, Set[str]]:
    """Top-level module -> the installed distributions providing it, for regular packages
    that more than one distribution provides."""
    providers: Dict[str, Set[str]] = defaultdict(set)
    for name, dist in facts.active_distributions().items():
        for top in _top_level(dist):
            providers[top].add(name)
    modules = facts.modules or {}
    return {
        top: names for top, names in providers.items()
        if len(names) > 1 and top in modules and modules[top].found and not modules[top].namespace
    }
