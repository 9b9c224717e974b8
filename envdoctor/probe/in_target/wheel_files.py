# What decides whether a distribution's compiled code can load on this interpreter: the
# `Tag:` lines and Root-Is-Purelib of its WHEEL file, the compiled files (.so, .pyd) its
# RECORD lists, and this interpreter's own tag inputs (platform, glibc or musl, macOS version,
# ABI flags).  Only facts: the host decides support with packaging.tags.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax.
import os
import sys

from .filesystem import read_text

COMPILED_SUFFIXES = (".so", ".pyd")
MAX_LISTED_COMPILED = 500  # torch lists ~60; more than this is noise in a snapshot


def read_wheel_file(meta_dir, present):
    """(Tag lines, Root-Is-Purelib) of a .dist-info's WHEEL; (None, None) without one.

    Every `Tag:` line counts, wherever it is: some build back-ends put a blank line before
    them (ninja, frozendict), which makes an email-header parser stop early (pypa/pip#12884).
    """
    if "WHEEL" not in present:
        return None, None
    try:
        text = read_text(meta_dir + os.sep + "WHEEL")
    except (OSError, UnicodeDecodeError):
        return None, None  # the tags are evidence, not required: an unreadable WHEEL says nothing
    tags, purelib = [], None
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if sep and key == "tag" and value.strip():
            tags.append(value.strip())
        elif sep and key == "root-is-purelib":
            purelib = value.strip().lower() == "true"
    return tags, purelib


def compiled_files(module_files, location):
    """The compiled files among a distribution's module files, relative to its location."""
    prefix = location.rstrip(os.sep) + os.sep
    # One comprehension: torch lists ~15,000 module files (1.3-1.6 ms here), 11 of them compiled.
    compiled = [path for path in module_files if path.endswith(COMPILED_SUFFIXES)]
    return [path[len(prefix):] if path.startswith(prefix) else path for path in compiled]


def mark_wheel_tags(dist, meta_dir, module_files, dircache):
    """Set `compiled_files` on one distribution's facts and, where there are any, `wheel_tags` and
    `root_is_purelib`: a distribution with nothing compiled loads anywhere, so its WHEEL is not
    read (1,000 WHEEL reads cost the probe 14-18 ms)."""
    compiled = compiled_files(module_files, dist["location"]) if dist.get("location") else []
    dist["compiled_count"] = len(compiled)
    dist["compiled_files"] = compiled[:MAX_LISTED_COMPILED]
    if compiled:
        dist["wheel_tags"], dist["root_is_purelib"] = read_wheel_file(meta_dir, dircache.names(meta_dir) or ())


def _glibc_version():
    """'2.36' from the C library this process runs on, or None (musl, not Linux)."""
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION")  # 'glibc 2.36'
    except (AttributeError, OSError, ValueError):
        return None
    if not text or not text.startswith("glibc "):
        return None
    return text.split()[1]


def _musl_loader():
    """The musl dynamic loader (/lib/ld-musl-x86_64.so.1) when there is one and no glibc.

    Its version would take running it; the host then accepts every musllinux_1_x tag of the
    right architecture (it says less rather than something false)."""
    try:
        names = os.listdir("/lib")
    except OSError:
        return None
    for name in names:
        if name.startswith("ld-musl-"):
            return "/lib/" + name
    return None


def _platform_name():
    """sysconfig.get_platform().  On Linux that is the cross-build override or "linux-" and the
    machine (CPython's sysconfig); importing sysconfig for it would cost the probe 5-20 ms
    (it imports threading), so it is read here unless something imported sysconfig already."""
    if sys.platform.startswith("linux") and "sysconfig" not in sys.modules:
        override = os.environ.get("_PYTHON_HOST_PLATFORM")
        if override:
            return override
        return "linux-" + os.uname().machine.replace(" ", "_").replace("/", "-")
    import sysconfig

    return sysconfig.get_platform()


def tag_inputs():
    """What packaging.tags needs to list the tags this interpreter supports."""
    platform_name = _platform_name()
    abiflags = getattr(sys, "abiflags", "")
    inputs = {
        "platform": platform_name,
        "abiflags": abiflags,
        "debug": hasattr(sys, "gettotalrefcount"),
        "pointer_bits": 64 if sys.maxsize > 2 ** 32 else 32,
        "glibc": None,
        "musl": None,
        "macos": None,
        "macos_machine": None,
    }
    if sys.platform.startswith("linux"):
        inputs["glibc"] = _glibc_version()
        if inputs["glibc"] is None:
            inputs["musl"] = _musl_loader()
    elif sys.platform == "darwin":
        import platform

        release, _, machine = platform.mac_ver()
        inputs["macos"] = release or None
        inputs["macos_machine"] = machine or None
    return inputs
