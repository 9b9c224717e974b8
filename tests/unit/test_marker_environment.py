"""The probe's marker environment without the platform module (in_target/interpreter_facts.py),
against platform itself on unusual uname answers and sys.version shapes.  Every real interpreter
here is compared with packaging's default_environment() in tests/e2e/test_probe_in_target.py."""

from __future__ import annotations

import os
import platform
import sys

import pytest

from envdoctor.probe.in_target import interpreter_facts

pytestmark = pytest.mark.skipif(not sys.platform.startswith(("linux", "darwin")) or sys.implementation.name != "cpython",
                                reason="the fast path is for CPython on Linux and macOS")


def platform_answers() -> tuple:
    platform._uname_cache = None  # platform caches its uname
    return (platform.machine(), platform.release(), platform.system(), platform.version(),
            platform.python_version(), platform.python_implementation())


@pytest.mark.parametrize("fields", [
    ("Linux", "host", "6.1.0", "#1 SMP PREEMPT_DYNAMIC", "x86_64"),
    ("Linux", "host", "unknown", "unknown", "unknown"),  # platform blanks these
    ("Darwin", "mac", "23.1.0", "Darwin Kernel Version 23.1.0", "arm64"),
])
@pytest.mark.parametrize("version", [
    "3.11.7 (main, Jan  1 2024, 00:00:00) [GCC 12.2.0]",
    "3.13.0rc1 (main, Aug  1 2024, 00:00:00) [Clang 15.0.0 ]",
    "3.12.0+ (heads/3.12:abc, Oct  2 2023, 00:00:00) [GCC 13.1.0]",
    "3.10 (main, Jan  1 2024, 00:00:00) [GCC 12.2.0]",  # two parts: platform adds ".0"
])
def test_the_values_are_platform_s(fields, version, monkeypatch):
    monkeypatch.setattr(os, "uname", lambda: os.uname_result(fields))
    monkeypatch.setattr(sys, "version", version)
    monkeypatch.setattr(platform, "_sys_version_cache", {})
    try:
        assert interpreter_facts._platform_values() == platform_answers()
    finally:
        platform._uname_cache = None


def test_a_version_text_platform_cannot_parse_still_gives_its_leading_version(monkeypatch):
    """A build label between bars: platform's parser raises ValueError on it (3.9 to 3.13), where
    the probe died before; the leading version is what packaging would want."""
    monkeypatch.setattr(sys, "version", "3.8.5 | packaged by conda-forge | (default, Jul 22 2020, 17:24:51) \n[GCC 7.5.0]")
    assert interpreter_facts._platform_values()[4:] == ("3.8.5", "CPython")


def test_another_system_is_left_to_platform(monkeypatch):
    monkeypatch.setattr(sys, "platform", "android")
    assert interpreter_facts._platform_values() is None
