"""Decide the `if` conditions a summary stored, for one target: True, False or None (unknown).

An import under a condition that is False on the target never runs there (`if
sys.platform == "win32": import winreg` on Linux) and is not reported.  One that is
unknown (`if is_cuda():`) still runs on some machines and is reported as conditional.
"""

from __future__ import annotations

import operator
from typing import Any, Callable, Dict, Optional, Set, Tuple

# Answers the conditions that need more than the target's traits: a module-level flag
# ("flag", "compat.py310"), an installed version ("dist_version", ...) or whether a try's
# imports resolve ("try_ok", first, last); None when unknown.
Lookup = Callable[[tuple], Optional[bool]]
# The root undecided_roots gives a version comparison it could not decide.
INSTALLED_VERSION = "<installed version>"

_COMPARE = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}


class TargetTraits:
    """What conditions may ask about the target."""

    def __init__(self, version_info: Tuple[int, ...], strings: Dict[str, str]):
        self.version_info = tuple(version_info) + (0,) * (3 - len(version_info))
        self.strings = strings  # "sys.platform" -> "linux", "os.name" -> "posix", "platform.system()" -> "Linux"

    @classmethod
    def from_facts(cls, facts) -> "TargetTraits":
        interpreter = facts.interpreter
        markers = facts.markers or {}
        strings = {
            "sys.platform": interpreter.platform if interpreter else markers.get("sys_platform", ""),
            "os.name": markers.get("os_name", ""),
            "platform.system()": markers.get("platform_system", ""),
            "platform.machine()": markers.get("platform_machine", ""),
        }
        version = tuple(interpreter.version_info) if interpreter else (3, 12, 0)
        return cls(version, {key: value for key, value in strings.items() if value})


def evaluate(condition: tuple, traits: TargetTraits, lookup: Optional[Lookup] = None) -> Optional[bool]:
    kind = condition[0]
    if kind == "const":
        return condition[1]
    if kind in ("flag", "dist_version", "try_ok", "call", "find_spec"):
        return lookup(condition) if lookup is not None else None
    if kind == "not":
        inner = evaluate(condition[1], traits, lookup)
        return None if inner is None else not inner
    if kind in ("and", "or"):
        results = [evaluate(part, traits, lookup) for part in condition[1]]
        if kind == "and":
            return False if False in results else (None if None in results else True)
        return True if True in results else (None if None in results else False)
    if kind == "version":
        _, subject, op, value = condition
        return compare(_version_value(subject, traits.version_info), op, value)
    if kind == "str":
        _, subject, op, value = condition
        actual = traits.strings.get(subject)
        return None if actual is None else compare(actual, op, value)
    if kind == "startswith":
        actual = traits.strings.get(condition[1])
        return None if actual is None else actual.startswith(condition[2])
    return None  # "unknown", and type_checking (handled by the summary)


def _version_value(subject: Any, version: Tuple[int, ...]) -> Any:
    if subject == "all":
        return version
    kind, number = subject
    if kind == "index":
        return version[number] if 0 <= number < len(version) else None
    return version[:number]


def compare(actual: Any, op: str, value: Any) -> Optional[bool]:
    if actual is None:
        return None
    try:
        return bool(_COMPARE[op](actual, value))
    except (TypeError, KeyError):
        return None


def reachable(conditions: tuple, traits: TargetTraits, lookup: Optional[Lookup] = None) -> Optional[bool]:
    """False: some enclosing branch cannot be taken on this target; None: depends on run time."""
    verdict: Optional[bool] = True
    for condition, polarity in conditions:
        result = evaluate(condition, traits, lookup)
        if result is None:
            verdict = None
        elif result != polarity:
            return False
    return verdict


def undecided_roots(conditions: tuple, traits: TargetTraits, lookup: Optional[Lookup] = None) -> Set[str]:
    """The names the undecided conditions start from (`config` of `config.is_fbcode()`,
    `compat` of an unresolved `compat.py310`): the caller tells from them whether a condition
    asks about the environment (an imported module or flag) or about a run-time value."""
    roots: Set[str] = set()
    stack = [condition for condition, _ in conditions]
    while stack:
        condition = stack.pop()
        if evaluate(condition, traits, lookup) is not None:
            continue
        kind = condition[0]
        if kind == "unknown":
            roots.update(condition[1])
        elif kind in ("flag", "call"):
            roots.add(condition[1].partition(".")[0])
        elif kind in ("dist_version", "try_ok", "find_spec"):
            roots.add(INSTALLED_VERSION)
        elif kind == "not":
            stack.append(condition[1])
        elif kind in ("and", "or"):
            stack.extend(condition[1])
    return roots
