"""The one exception tree and the exit codes it maps to.

Every error a user can cause is an EnvdoctorError subclass carrying its exit
code; the boundary in cli.py turns it into one message on stderr.  Anything
else that escapes is a bug in envdoctor: exit 3 with a crash log.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class EnvdoctorError(Exception):
    """An error the user can act on; the message is shown as is."""

    exit_code = EXIT_USAGE


class UsageError(EnvdoctorError):
    """Bad flag value, unknown check code, unreadable config or facts file."""


class TargetError(EnvdoctorError):
    """The interpreter to inspect cannot be found or is not a usable Python."""


class ProbeError(EnvdoctorError):
    """The probe ran but did not produce facts (timeout, crash, garbage)."""


class PluginError(EnvdoctorError):
    """A check plugin failed to load or does not follow the contract."""
