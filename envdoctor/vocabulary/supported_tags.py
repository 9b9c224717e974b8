"""The wheel tags a target interpreter supports, listed by packaging.tags from the probe's facts.

packaging's public functions take the interpreter version, ABIs and platforms as parameters
(`cpython_tags`, `generic_tags`, `compatible_tags`, `mac_platforms`), so the tags of another
interpreter are packaging's answer, not envdoctor's.  Only the Linux platform list is built
here, because packaging reads the glibc/musl version of its own process for it: the manylinux
and musllinux rules (PEP 600, PEP 656, the legacy aliases of PEP 513/571/599) are applied to the
target's C library instead.  packaging.tags is imported on first use (with the wheel_tags
check's first distribution), not by every start that loads the check.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, FrozenSet, Iterable, List, Optional, Tuple

from envdoctor.model.facts import Interpreter, TagInputs

if TYPE_CHECKING:
    from packaging.tags import Tag

# PEP 513 / 571 / 599: the names manylinux wheels had before PEP 600's manylinux_2_Y.
_LEGACY_MANYLINUX = {
    5: ("manylinux1", ("x86_64", "i686")),
    12: ("manylinux2010", ("x86_64", "i686")),
    17: ("manylinux2014", ("x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x")),
}
# The oldest glibc a manylinux tag names: 2.5 on x86, 2.17 elsewhere (as packaging and pip).
_OLDEST_GLIBC_MINOR = {"x86_64": 5, "i686": 5}
# musl 1.2 is current; with an unknown musl version every musllinux_1_x tag is accepted.
_NEWEST_MUSL_MINOR = 2


def tags_of(lines: Iterable[str]) -> FrozenSet[Tag]:
    """The tags a WHEEL file's Tag lines name (a compressed line expands); malformed lines are left out."""
    from packaging.tags import parse_tag

    tags = set()
    for line in lines:
        try:
            tags.update(parse_tag(line))
        except ValueError:
            continue
    return frozenset(tags)


def supported_tags(interpreter: Interpreter) -> Optional[FrozenSet[Tag]]:
    """Every tag the interpreter accepts, or None when its tag inputs were not collected."""
    if interpreter.tag_inputs is None or len(interpreter.version_info) < 2:
        return None
    version = (interpreter.version_info[0], interpreter.version_info[1])
    return _supported(interpreter.implementation, version, interpreter.tag_inputs, tuple(interpreter.extension_suffixes))


def supported_platforms(interpreter: Interpreter) -> Tuple[str, ...]:
    """The platform tags the interpreter accepts (linux_x86_64, manylinux_2_17_x86_64, ...)."""
    return tuple(_platforms(interpreter.tag_inputs)) if interpreter.tag_inputs is not None else ()


@lru_cache(maxsize=8)
def _supported(implementation: str, version: Tuple[int, int], inputs: TagInputs, suffixes: Tuple[str, ...]) -> FrozenSet[Tag]:
    from packaging.tags import INTERPRETER_SHORT_NAMES, compatible_tags, cpython_tags, generic_tags

    platforms = _platforms(inputs)
    short = INTERPRETER_SHORT_NAMES.get(implementation, implementation)
    interpreter = f"{short}{version[0]}{version[1]}"
    if implementation == "cpython":
        tags = cpython_tags(version, _cpython_abis(version, inputs, suffixes), platforms)
    else:
        tags = generic_tags(interpreter, _generic_abis(suffixes), platforms)
    return frozenset(tags) | frozenset(compatible_tags(version, interpreter, platforms))


def _cpython_abis(version: Tuple[int, int], inputs: TagInputs, suffixes: Tuple[str, ...]) -> List[str]:
    """cp312, cp313t (free-threaded), cp312d (debug); Windows has no sys.abiflags, its suffix says."""
    threaded = "t" in inputs.abiflags or any(f".cp{version[0]}{version[1]}t-" in s for s in suffixes)
    debug = "d" if inputs.debug else ""
    plain = f"cp{version[0]}{version[1]}{'t' if threaded else ''}"
    return [plain + debug, plain] if debug else [plain]


def _generic_abis(suffixes: Tuple[str, ...]) -> List[str]:
    """PyPy's and GraalPy's ABI from their first extension suffix (.pypy310-pp73-x86_64-linux-gnu.so)."""
    for suffix in suffixes:
        parts = suffix.strip(".").split(".")[0].split("-")
        if len(parts) >= 2:
            return ["_".join(parts[:2]).replace(".", "_")]
    return []


def _normalized(platform: str) -> str:
    return platform.replace("-", "_").replace(".", "_").replace(" ", "_")


def _platforms(inputs: TagInputs) -> List[str]:
    name = _normalized(inputs.platform)
    if name.startswith("linux_"):
        return _linux_platforms(name[len("linux_"):], inputs)
    if name.startswith("macosx_"):
        return _mac_platforms(inputs)
    return [name]


def _mac_platforms(inputs: TagInputs) -> List[str]:
    """packaging's mac_platforms for the CPU the interpreter runs on (as sys_tags() does), not
    sysconfig's universal2: a universal2 Python on arm64 takes arm64 and universal2 wheels."""
    from packaging.tags import mac_platforms

    _, version, arch = inputs.platform.split("-", 2)
    arch = inputs.macos_machine or arch
    if inputs.pointer_bits == 32:
        arch = {"x86_64": "i386", "ppc64": "ppc"}.get(arch, arch)
    major, _, minor = (inputs.macos or version).partition(".")
    return list(mac_platforms((int(major), int(minor.split(".")[0] or 0)), arch))


def _linux_platforms(arch: str, inputs: TagInputs) -> List[str]:
    if inputs.pointer_bits == 32:  # a 32-bit interpreter on a 64-bit kernel
        arch = {"x86_64": "i686", "aarch64": "armv8l"}.get(arch, arch)
    archs = ["armv8l", "armv7l"] if arch == "armv8l" else [arch]
    platforms = [f"linux_{a}" for a in archs]
    if inputs.glibc:
        major, _, minor = inputs.glibc.partition(".")
        platforms += _manylinux(archs, int(major), int(minor.split(".")[0] or 0))
    elif inputs.musl:
        platforms += [f"musllinux_1_{m}_{a}" for a in archs for m in range(_NEWEST_MUSL_MINOR, -1, -1)]
    return platforms


def _manylinux(archs: List[str], major: int, minor: int) -> List[str]:
    if major != 2:
        return []  # no glibc 3 exists; a tag list for it would be a guess
    platforms = []
    for arch in archs:
        for glibc_minor in range(minor, _OLDEST_GLIBC_MINOR.get(arch, 17) - 1, -1):
            platforms.append(f"manylinux_2_{glibc_minor}_{arch}")
            legacy, legacy_archs = _LEGACY_MANYLINUX.get(glibc_minor, (None, ()))
            if arch in legacy_archs:
                platforms.append(f"{legacy}_{arch}")
    return platforms
