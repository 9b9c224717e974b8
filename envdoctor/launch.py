"""The console script's entry: start the probe before the heavy imports.

`envdoctor check` spends about as long importing typer, rich and packaging as
the target interpreter spends producing facts.  Starting the probe
subprocess first lets the two overlap.  Only the standard library and the
small target_choice/probe modules are imported here; anything unusual in argv (help,
--facts, an option this scan does not understand) skips the early start, and
cli.py simply starts the probe itself.
"""

from __future__ import annotations

import gc
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~15 ms, before the probe starts
    from typing import List, Optional

EARLY_COMMANDS = ("check", "snapshot", "report")
VALUE_OPTIONS = {"--python": "python", "-p": "python", "--cwd": "cwd", "--timeout": "timeout"}
# Options of check/snapshot that take a value but do not affect the probe.
OTHER_VALUE_OPTIONS = {"--select", "-s", "--ignore", "-i", "--format", "-f", "--output", "-o", "--scan", "--config",
                       "--baseline", "--write-baseline", "--against"}
FLAG_OPTIONS = {"--strict", "--verbose", "-v", "--no-scan", "--deep"}


def _scan(args: List[str]) -> Optional[dict]:
    if not args or args[0] not in EARLY_COMMANDS:
        return None
    found = {"python": None, "cwd": None, "timeout": None}
    rest = args[1:]
    index = 0
    while index < len(rest):
        arg = rest[index]
        name, eq, inline = arg.partition("=")
        if name in VALUE_OPTIONS or name in OTHER_VALUE_OPTIONS:
            if eq:
                value = inline
            elif index + 1 < len(rest):
                index += 1
                value = rest[index]
            else:
                return None
            if name in VALUE_OPTIONS:
                found[VALUE_OPTIONS[name]] = value
        elif arg not in FLAG_OPTIONS:
            return None  # --help, --facts, a typo: leave it all to the real parser
        index += 1
    return found


def start_early(args: List[str]):
    options = _scan(args)
    if options is None:
        return None
    try:
        from envdoctor.probe.start import DEFAULT_TIMEOUT, start_probe
        from envdoctor.target_choice import choose_target

        timeout = DEFAULT_TIMEOUT if options["timeout"] is None else float(options["timeout"])
        python, cwd, _source = choose_target(options["python"], options["cwd"])
        return start_probe(python, cwd, timeout)
    except Exception:  # any problem is reported properly by the real command
        return None


def main() -> None:
    # A short-lived command whose objects (the facts, every parsed requirement, the
    # imported modules) live until it exits, and which makes next to no cyclic garbage:
    # the cyclic collector would only traverse those ~300,000 objects again and again
    # (25 ms of a 0.4 s check of 1,000 distributions).  Memory is still freed by
    # reference counting.
    gc.disable()
    started = start_early(sys.argv[1:])
    from envdoctor import cli

    try:
        cli.main(started)
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            sys.stderr.write(exc.code + "\n")
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    # Everything is written; tearing down the interpreter (freeing the facts and every
    # parsed requirement one by one) would only add time to a short-lived command.
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    os._exit(code)
