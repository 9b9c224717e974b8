"""WHL001's decisions on facts: which wheels cannot load on which interpreter, and the near
misses that must stay silent (pure and abi3 wheels, mis-tagged ctypes libraries, a module
shipped for two Pythons); and the supported tags, which must be packaging's own list."""

from __future__ import annotations

import dataclasses
import importlib.machinery
import os
import sys
import sysconfig

import pytest
from packaging.tags import sys_tags

from envdoctor.engine import run_checks
from envdoctor.model.facts import TagInputs
from envdoctor.registry import load_registry
from envdoctor.vocabulary.supported_tags import supported_tags
from tests.helpers.facts import dist, make_facts

CP311_SUFFIXES = (".cpython-311-x86_64-linux-gnu.so", ".abi3.so", ".so")


def facts_with(tags, compiled, *, glibc="2.36", musl=None, platform="linux-x86_64", suffixes=CP311_SUFFIXES,
               macos=None, macos_machine=None, **extra):
    """CPython 3.11 on `platform` with one distribution from a wheel with these tags and compiled files."""
    facts = make_facts(dists=[dist("pkg", "1.0", wheel_tags=None if tags is None else list(tags),
                                   compiled_files=list(compiled), compiled_count=len(compiled), **extra)])
    inputs = TagInputs(platform=platform, glibc=glibc, musl=musl, macos=macos, macos_machine=macos_machine)
    return dataclasses.replace(facts, interpreter=dataclasses.replace(
        facts.interpreter, extension_suffixes=suffixes, tag_inputs=inputs))


def on_a_mac(tags, machine):
    """python.org's universal2 CPython 3.11 on macOS 14 with a CPU of `machine`."""
    return facts_with(tags, ["pkg/_c.cpython-311-darwin.so"], glibc=None, platform="macosx-10.9-universal2",
                      suffixes=(".cpython-311-darwin.so", ".abi3.so", ".so"), macos="14.5", macos_machine=machine)


def test_a_universal2_python_takes_the_wheels_of_the_cpu_it_runs_on():
    assert whl001(on_a_mac(["cp311-cp311-macosx_11_0_arm64"], "arm64")) == []
    assert whl001(on_a_mac(["cp311-cp311-macosx_10_9_universal2"], "arm64")) == []
    [finding] = whl001(on_a_mac(["cp311-cp311-macosx_11_0_arm64"], "x86_64"))
    assert "arm64" in finding.title


def whl001(facts):
    spec = load_registry().by_code()["WHL001"]
    return list(run_checks([spec], facts).findings)


@pytest.mark.parametrize("tags, compiled", [
    (["cp311-cp311-manylinux_2_17_aarch64"], ["pkg/_c.cpython-311-aarch64-linux-gnu.so"]),
    (["cp310-abi3-manylinux_2_28_aarch64"], ["pkg/_ffi.abi3.so"]),  # only the tags can tell
    (["cp311-cp311-manylinux_2_39_x86_64"], ["pkg/_c.cpython-311-x86_64-linux-gnu.so"]),  # glibc 2.36 here
    (["cp311-cp311-musllinux_1_2_x86_64"], ["pkg/_c.cpython-311-x86_64-linux-musl.so"]),
    (["cp311-cp311-macosx_11_0_arm64"], ["pkg/_c.cpython-311-darwin.so"]),
    (["cp311-cp311-win_amd64"], ["pkg/_c.cp311-win_amd64.pyd"]),
    (["cp312-cp312-manylinux_2_17_x86_64"], ["pkg/_c.cpython-312-x86_64-linux-gnu.so", "pkg/_d.abi3.so"]),
    (None, ["pkg/_c.cpython-310-x86_64-linux-gnu.so"]),  # no WHEEL (egg-info, copied): the suffix tells
], ids=["aarch64", "aarch64-abi3", "newer-glibc", "musl", "macos", "windows", "cp312", "no-wheel-file"])
def test_compiled_code_for_another_interpreter_is_an_error(tags, compiled):
    [finding] = whl001(facts_with(tags, compiled))
    assert finding.severity.value == "error" and finding.subject == "pkg"
    assert finding.fix.kind == "reinstall" and finding.fix.install.requirements == ("pkg==1.0",)
    assert finding.fix.install.reinstall and finding.fix.install.no_deps


@pytest.mark.parametrize("tags, compiled", [
    (["py3-none-any"], []),  # pure
    (["cp312-cp312-manylinux_2_17_x86_64"], []),  # wrong Python, but nothing compiled to load
    (["cp37-abi3-manylinux_2_17_x86_64"], ["pkg/_c.abi3.so"]),  # abi3 for an older Python
    (["cp311-cp311-manylinux_2_36_x86_64"], ["pkg/_c.cpython-311-x86_64-linux-gnu.so"]),  # exactly this glibc
    (["py2.py3-none-manylinux1_x86_64"], ["pkg/bin/libtool.so"]),  # compressed tag set, legacy alias
    # xgboost 1.6.1 on 3.10 (pypa/pip#12884): tagged cp39, its library is a ctypes .so, which loads.
    (["cp39-cp39-manylinux2014_x86_64"], ["pkg/lib/libxgboost.so"]),
    # Debian's dist-packages during a transition: one module for two Pythons, one copy loads.
    (None, ["pkg/_c.cpython-311-x86_64-linux-gnu.so", "pkg/_c.cpython-312-x86_64-linux-gnu.so"]),
    ([], ["pkg/_c.cpython-311-x86_64-linux-gnu.so"]),  # a WHEEL without Tag lines (catboost)
    (["cp311-cp311"], ["pkg/_c.so"]),  # not interpreter-abi-platform: parse_tag refuses it
], ids=["pure", "nothing-compiled", "abi3", "same-glibc", "legacy-alias", "mis-tagged-ctypes", "two-pythons",
        "no-tag-lines", "malformed-tag"])
def test_near_misses_stay_silent(tags, compiled):
    assert whl001(facts_with(tags, compiled)) == []


def test_musl_without_a_known_version_accepts_every_musllinux_tag():
    facts = facts_with(["cp311-cp311-musllinux_1_2_x86_64"], ["pkg/_c.cpython-311-x86_64-linux-gnu.so"],
                       glibc=None, musl="/lib/ld-musl-x86_64.so.1")
    assert whl001(facts) == []


def test_a_snapshot_without_tag_inputs_is_not_judged():
    facts = facts_with(["cp311-cp311-manylinux_2_17_aarch64"], ["pkg/_c.abi3.so"])
    facts = dataclasses.replace(facts, interpreter=dataclasses.replace(facts.interpreter, tag_inputs=None))
    assert whl001(facts) == []


def test_an_os_package_is_left_to_its_package_manager():
    facts = facts_with(["cp311-cp311-manylinux_2_17_aarch64"], ["pkg/_c.abi3.so"], os_package="python3-pkg")
    [finding] = whl001(facts)
    assert finding.fix.kind == "manual" and "python3-pkg" in finding.fix.summary


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="the tag inputs below are CPython's")
def test_supported_tags_are_packagings_own_list_for_this_interpreter():
    """The host's list for the test runner's interpreter, from the inputs the probe collects,
    equals packaging.tags.sys_tags() run in that interpreter."""
    glibc = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") and sys.platform.startswith("linux") else None
    inputs = TagInputs(platform=sysconfig.get_platform(), abiflags=getattr(sys, "abiflags", ""),
                       debug=hasattr(sys, "gettotalrefcount"), pointer_bits=64 if sys.maxsize > 2 ** 32 else 32,
                       glibc=glibc.split()[1] if glibc and glibc.startswith("glibc ") else None)
    facts = make_facts(version=tuple(sys.version_info[:3]))
    interpreter = dataclasses.replace(facts.interpreter, tag_inputs=inputs,
                                      extension_suffixes=tuple(importlib.machinery.EXTENSION_SUFFIXES))
    assert supported_tags(interpreter) == frozenset(sys_tags())
