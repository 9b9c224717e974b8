# The interpreter's own facts: version, prefixes, flags, site folders, marker environment,
# and the environment variables that matter (secret-named ones masked here, in the target).
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax.
import os
import sys


def collect_environment(prefixes, secret_words, mask):
    """The variables whose names start with one of `prefixes`; the value of one whose name
    holds a secret word never leaves the target."""
    prefixes = tuple(prefixes)
    secret_words = tuple(secret_words)
    env = {}
    for name, value in os.environ.items():
        if not name.startswith(prefixes):
            continue
        upper = name.upper()
        env[name] = mask if any(word in upper for word in secret_words) else value
    return env


def marker_environment():
    """The PEP 508 marker environment, as packaging's default_environment() makes it."""

    def full_version(info):
        text = "%d.%d.%d" % (info.major, info.minor, info.micro)
        if info.releaselevel != "final":
            text += info.releaselevel[0] + str(info.serial)
        return text

    values = _platform_values()
    if values is None:
        import platform

        values = (platform.machine(), platform.release(), platform.system(), platform.version(),
                  platform.python_version(), platform.python_implementation())
    machine, release, system, version, python_full_version, implementation = values
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": machine,
        "platform_release": release,
        "platform_system": system,
        "platform_version": version,
        "python_full_version": python_full_version,
        "platform_python_implementation": implementation,
        "python_version": "%d.%d" % sys.version_info[:2],
        "sys_platform": sys.platform,
    }


def _platform_values():
    """platform's machine, release, system, version, python_version and python_implementation
    for CPython on Linux and macOS, without importing platform (it compiles nine regular
    expressions: ~2 ms of every probe); None elsewhere, and platform answers.

    There platform.uname() is os.uname(), and python_version() is the leading [\\w.+] run of
    sys.version ("3.13.0rc1", "3.12.0+"), with ".0" added to a two-part one.
    tests/e2e/test_probe_in_target.py holds the two to one answer on every interpreter here."""
    if sys.implementation.name != "cpython" or not sys.platform.startswith(("linux", "darwin")):
        return None  # elsewhere platform has more to say (3.13: Android's and iOS's own versions)
    text = sys.version
    end = 0
    while end < len(text) and (text[end].isascii() and text[end].isalnum() or text[end] in "._+"):
        end += 1
    rest = text[end:].lstrip()
    if not end or not rest.startswith(("(", "|")):
        return None  # not the "3.x.y (main, ...) [...]" shape platform parses
    parts = text[:end].split(".")
    if len(parts) == 2:
        parts.append("0")
    uname = os.uname()
    # platform.uname() blanks a field the system calls "unknown".
    machine, release, system, version = ("" if value == "unknown" else value
                                         for value in (uname.machine, uname.release, uname.sysname, uname.version))
    return machine, release, system, version, ".".join(parts), "CPython"


def site_directories():
    import site

    dirs = []
    getsitepackages = getattr(site, "getsitepackages", None)
    if getsitepackages is not None:
        try:
            dirs.extend(getsitepackages())
        except Exception:
            pass
    user_site = getattr(site, "USER_SITE", None)
    user_enabled = bool(getattr(site, "ENABLE_USER_SITE", False))
    return dirs, user_site, user_enabled


def _pyvenv_cfg():
    prefix_cfg = {}
    cfg_path = os.path.join(sys.prefix, "pyvenv.cfg")
    try:
        with open(cfg_path, "r", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, sep, value = line.partition("=")
                if sep:
                    prefix_cfg[key.strip()] = value.strip()
    except OSError:
        prefix_cfg = None
    return prefix_cfg


def interpreter_facts(cwd, site_dirs, user_site, user_enabled, environment):
    """The `interpreter` section; `environment` is collect_environment()'s answer."""
    flags = sys.flags
    return {
        "executable": sys.executable,
        "version": "%d.%d.%d" % sys.version_info[:3],
        "version_info": list(sys.version_info[:3]),
        "implementation": sys.implementation.name,
        "cache_tag": sys.implementation.cache_tag,
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "exec_prefix": sys.exec_prefix,
        "platform": sys.platform,
        "in_venv": sys.prefix != getattr(sys, "base_prefix", sys.prefix),
        "pyvenv_cfg": _pyvenv_cfg(),
        "conda": os.path.isdir(os.path.join(sys.prefix, "conda-meta")),
        "site_packages": site_dirs,
        "user_site": user_site,
        "user_site_enabled": user_enabled,
        "no_site": bool(flags.no_site),
        "isolated": bool(flags.isolated),
        "ignore_environment": bool(flags.ignore_environment),
        "safe_path": bool(getattr(flags, "safe_path", False)),
        "cwd": cwd,
        "environment": environment,
        "extension_suffixes": extension_suffixes(),
        "externally_managed": externally_managed(),
        "builtin_modules": sorted(sys.builtin_module_names),
    }


def extension_suffixes():
    try:
        import importlib.machinery as machinery

        return list(machinery.EXTENSION_SUFFIXES)
    except Exception:
        return []


def externally_managed():
    """The PEP 668 marker that makes pip refuse to install here, or None.

    PEP 668: the file EXTERNALLY-MANAGED in sysconfig.get_path("stdlib") marks the
    interpreter's own prefix as managed by the OS (Debian, Ubuntu, Fedora, Arch); a virtual
    environment made from it is not (the marker is ignored when sys.prefix != sys.base_prefix).
    """
    if sys.prefix != getattr(sys, "base_prefix", sys.prefix):
        return None
    try:
        import sysconfig

        stdlib = sysconfig.get_path("stdlib")
    except Exception:
        return None
    marker = os.path.join(stdlib, "EXTERNALLY-MANAGED") if stdlib else None
    return marker if marker and os.path.isfile(marker) else None
