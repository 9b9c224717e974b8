"""Wheels that do not belong on this interpreter: compiled code built for another Python, ABI or platform."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterator, List, Optional, Tuple

from envdoctor.api import check, report
from envdoctor.checks._shared import first_lines
from envdoctor.checks.integrity import os_managed
from envdoctor.model.facts import Distribution, Facts, Interpreter
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.model.plan import InstallRequest
from envdoctor.vocabulary.supported_tags import supported_platforms, supported_tags, tags_of

if TYPE_CHECKING:  # packaging.tags is imported when a distribution is judged, not with the check
    from packaging.tags import Tag

# The second part of an extension module's name that says which interpreter it is for:
# _speedups.cpython-311-x86_64-linux-gnu.so, _rust.abi3.so, _ext.cp311-win_amd64.pyd, _x.pypy310-pp73-....so
_INTERPRETER_SUFFIX_STARTS = ("cpython-", "cp3", "abi3", "pypy", "graalpy")


@check(
    code="WHL001",
    name="wheel-for-another-interpreter",
    summary="A distribution's compiled code was built for another Python, ABI or platform, so it cannot load here.",
    needs=("interpreter", "distributions"),
    fix="reinstall",
)
def wheel_for_another_interpreter(facts: Facts) -> Iterator:
    """Find installed wheels whose compiled modules this interpreter cannot load.

    What it detects
        A distribution with compiled modules (.so, .pyd) whose WHEEL file's `Tag:` lines name
        no platform this interpreter supports (another OS, CPU architecture, a newer glibc,
        musl instead of glibc), or whose extension modules carry an interpreter suffix that
        this interpreter's import system does not look for (`.cpython-311-x86_64-linux-gnu.so`
        under Python 3.12), with no loadable copy of the same module beside them. The
        supported tags are packaging.tags' list for the target interpreter (its version, ABI
        flags, `sysconfig.get_platform()`, glibc version, musl, macOS version): the list
        `pip check` compares the Tag lines with since pip 24.2 ("is not supported on this
        platform", pypa/pip#11088).

    Why it breaks
        pip only installs a wheel whose tags the interpreter supports, but an environment
        copied to another machine or Python (a venv rsync'ed from a Mac, a Docker layer built
        for x86_64 run on aarch64, site-packages of 3.11 reused by 3.12), `pip install
        --target --python-version`, or an unpacked wheel bypass that: `import` then fails with
        `ModuleNotFoundError` (the suffix is not searched), `invalid ELF header`, `wrong ELF
        class` or `GLIBC_2.34 not found`.

        Severity: an error, because an import of the distribution's compiled code fails. Only
        distributions with compiled modules are judged: a pure wheel (`py3-none-any`) never
        fires, an abi3 wheel for an older Python is fine, and a wheel whose tags name another
        Python but whose compiled files carry no interpreter suffix (a ctypes library such as
        libxgboost.so, mis-tagged by its build) is left alone, because pip check's false alarms
        on such wheels are known (pypa/pip#12884). A module shipped for several Pythons (Debian's
        dist-packages during a transition) is fine when one copy loads here.

    Example
        markupsafe 2.1.5 is built for cp311-cp311-manylinux_2_17_x86_64, not for this CPython 3.12

    Fix
        Reinstall the same version for this interpreter, so pip picks the wheel that matches it:
        `python -m pip install --force-reinstall --no-deps markupsafe==2.1.5`. When no wheel of
        that version exists for this interpreter, pip builds it from source or fails, and the
        fix is rolled back. On an externally managed interpreter (PEP 668) or for an OS
        package's distribution, pip must not: the fix says so.

    References
        https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/
        https://packaging.python.org/en/latest/specifications/binary-distribution-format/
        pypa/pip#11054
        pypa/pip#11088
        pypa/pip#12884
        astral-sh/uv#16074
    """
    interpreter = facts.interpreter
    supported = supported_tags(interpreter)
    if supported is None:
        return
    platforms = frozenset(supported_platforms(interpreter)) | {"any"}
    for dist in facts.active_distributions().values():
        if not dist.compiled_files:
            continue
        wheel_tags = tags_of(dist.wheel_tags or ())
        wrong_platform = bool(wheel_tags) and wheel_tags.isdisjoint(supported) and _no_platform_in(wheel_tags, platforms)
        unloadable = _unloadable_extensions(dist.compiled_files, interpreter.extension_suffixes)
        if not wrong_platform and not unloadable:
            continue
        yield _finding(facts, dist, wheel_tags, wrong_platform, unloadable)


def _no_platform_in(wheel_tags: FrozenSet[Tag], platforms: FrozenSet[str]) -> bool:
    return all(tag.platform not in platforms for tag in wheel_tags)


def _interpreter_suffix(name: str) -> Optional[str]:
    """`.cpython-311-x86_64-linux-gnu.so` of `_speedups.cpython-311-x86_64-linux-gnu.so`, else None."""
    stem, dot, rest = name.partition(".")
    middle, _, _ = rest.rpartition(".")
    if not stem or not middle or "." in middle or not middle.startswith(_INTERPRETER_SUFFIX_STARTS):
        return None
    return dot + rest


def _unloadable_extensions(files: Tuple[str, ...], suffixes: Tuple[str, ...]) -> List[str]:
    """The extension files whose module this interpreter cannot find: each file of the module
    carries an interpreter suffix the import system does not search for."""
    by_module: Dict[str, List[Tuple[str, bool]]] = {}
    for path in files:
        folder, name = posixpath.split(path.replace("\\", "/"))
        suffix = _interpreter_suffix(name)
        loadable = suffix is None or suffix in suffixes
        by_module.setdefault(posixpath.join(folder, name.partition(".")[0]), []).append((path, loadable))
    return [path for copies in by_module.values() if not any(ok for _, ok in copies) for path, _ in copies]


def _interpreter_words(interpreter: Interpreter) -> str:
    inputs = interpreter.tag_inputs
    version = ".".join(str(part) for part in interpreter.version_info[:2])
    libc = f", glibc {inputs.glibc}" if inputs.glibc else ", musl" if inputs.musl else ""
    return f"{interpreter.implementation} {version} on {inputs.platform}{libc}"


def _finding(facts: Facts, dist: Distribution, wheel_tags: FrozenSet[Tag], wrong_platform: bool, unloadable: List[str]):
    here = _interpreter_words(facts.interpreter)
    built_for = ", ".join(sorted(dist.wheel_tags or ())[:3]) if wheel_tags else "another interpreter"
    why = ("its compiled code is for another platform" if wrong_platform else
           "the import system does not look for its extension modules' suffix")
    evidence = [f"WHEEL Tag: {line}" for line in dist.wheel_tags or ()]
    evidence += [f"not loadable here: {dist.location}/{path}" for path in unloadable]
    evidence += [f"this interpreter: {here}; extension suffixes {', '.join(facts.interpreter.extension_suffixes)}"]
    return report(
        Severity.ERROR,
        f"{dist.display} is built for {built_for}, not for this {here}",
        subject=dist.name,
        message=(f"{dist.name} was installed from a wheel for another interpreter or copied from another "
                 f"environment: {why}, so importing it fails."),
        evidence=first_lines(evidence, limit=8),
        location=Location(path=dist.metadata_path, distribution=dist.name),
        references=("pypa/pip#11054", "https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/"),
        fix=_reinstall_for_this_interpreter(facts, dist),
    )


def _reinstall_for_this_interpreter(facts: Facts, dist: Distribution) -> FixProposal:
    pinned = f"{dist.name}=={dist.version}" if dist.version else dist.name
    managed = os_managed(facts, dist)
    if managed:
        return FixProposal("manual", f"{managed}: reinstall it for this interpreter with its own package manager")
    return FixProposal("reinstall", f"reinstall {pinned} for this interpreter",
                       install=InstallRequest((pinned,), reinstall=True, no_deps=True))
