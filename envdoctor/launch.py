"""The console script's entry: start the probe before the heavy imports.

`envdoctor check` spends about as long importing typer, rich and packaging as
the target interpreter spends producing facts.  Starting the probe
subprocess first lets the two overlap.  Only the standard library and the
small target_choice/probe modules are imported here; anything unusual in argv (help,
--facts, an option this scan does not understand, a --timeout the CLI will refuse)
skips the early start, and cli.py simply starts the probe itself.  A probe started
early that no command takes (the CLI refused another option) is ended before exit.

Before anything else, envdoctor isolates its own interpreter from the variables meant
for the target (PYTHONPATH, PYTHONIOENCODING, PYTHONOPTIMIZE, ...): it re-executes itself
under -E.  Its environment is left as it was, so the probe still gives them to the target.
"""

from __future__ import annotations

import gc
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~15 ms, before the probe starts
    from typing import List, Optional

EARLY_COMMANDS = ("check", "snapshot", "report")
# The options of check/snapshot/report this scan understands, by what the command calls them.
VALUE_OPTIONS = {"--python": "python", "-p": "python", "--cwd": "cwd", "--timeout": "timeout",
                 "--select": "select", "-s": "select", "--ignore": "ignore", "-i": "ignore",
                 "--format": "fmt", "-f": "fmt", "--output": "output", "-o": "output", "--scan": "scan",
                 "--config": "config", "--baseline": "baseline", "--write-baseline": "write_baseline",
                 "--against": "against"}
# check --with/-r and its index options take a variable number of values: never scanned here,
# so a directly dispatched check has none of them.
PREVIEW_OPTIONS_ABSENT = {"with_requirements": None, "more_requirements": None, "requirement_files": None,
                          "index_url": None, "extra_index_url": None, "find_links": None}
REPEATABLE = frozenset({"select", "ignore", "output", "scan"})  # typer collects them in a list
FLAG_OPTIONS = {"--strict": "strict", "--verbose": "verbose", "-v": "verbose", "--no-scan": "no_scan",
                "--deep": "deep", "--quiet": "quiet", "-q": "quiet"}


def _scan(args: List[str]) -> Optional[dict]:
    """The options of a plain check/snapshot/report command line, by name; None for anything
    else (help, --facts, a typo, a missing value): that is the real parser's to answer."""
    if not args or args[0] not in EARLY_COMMANDS:
        return None
    found: dict = {name: [] for name in REPEATABLE}
    rest = args[1:]
    index = 0
    while index < len(rest):
        arg = rest[index]
        name, eq, inline = arg.partition("=")
        if name in VALUE_OPTIONS:
            if eq:
                value = inline
            elif index + 1 < len(rest):
                index += 1
                value = rest[index]
            else:
                return None
            key = VALUE_OPTIONS[name]
            if key in REPEATABLE:
                found[key].append(value)
            else:
                found[key] = value  # given twice, the last one counts (as with typer)
        elif arg in FLAG_OPTIONS:
            found[FLAG_OPTIONS[arg]] = True
        else:
            return None  # --help, --facts, a typo: leave it all to the real parser
        index += 1
    return found


def _timeout(options: dict) -> Optional[float]:
    """--timeout as the CLI takes it, or None where the CLI would refuse it."""
    from envdoctor.probe.start import DEFAULT_TIMEOUT, timeout_problem

    try:
        timeout = DEFAULT_TIMEOUT if options.get("timeout") is None else float(options["timeout"])
    except ValueError:
        return None
    return None if timeout_problem(timeout) else timeout


def direct_check(args: List[str]) -> Optional[dict]:
    """run_check's keyword arguments for a plain `envdoctor check ...` command line, as typer would
    pass them; None for anything typer must answer (help, an unknown option, a bad value)."""
    options = _scan(args)
    if options is None or args[0] != "check":
        return None
    timeout = _timeout(options)
    if timeout is None:
        return None
    values = {name: options.get(name) for name in (*VALUE_OPTIONS.values(), *FLAG_OPTIONS.values())}
    values.update(PREVIEW_OPTIONS_ABSENT)  # check --with/-r always goes to typer
    values.update(timeout=timeout, fmt=options.get("fmt") or "text", facts_file=None,
                  **{name: bool(options.get(name)) for name in FLAG_OPTIONS.values()},
                  **{name: options[name] or None for name in REPEATABLE})
    return values


def start_early(args: List[str]):
    options = _scan(args)
    if options is None:
        return None
    try:
        from envdoctor.probe.start import start_probe
        from envdoctor.target_choice import choose_early

        timeout = _timeout(options)
        if timeout is None:
            return None  # the CLI refuses it: nothing may be started before that
        python, cwd, _source = choose_early(options.get("python"), options.get("cwd"))
        return start_probe(python, cwd, timeout)
    except Exception:  # any problem is reported properly by the real command
        return None


# PYTHON* variables that cannot change what envdoctor does: common in containers and shells
# (PYTHONUNBUFFERED, PYTHONDONTWRITEBYTECODE, PYTHONSTARTUP, PYTHONIOENCODING=utf-8), they are
# not worth a second interpreter start (one start-up time, only when another one is set).
HARMLESS_VARIABLES = frozenset({
    "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PYTHONHASHSEED", "PYTHONFAULTHANDLER", "PYTHONPYCACHEPREFIX",
    "PYTHONSTARTUP", "PYTHON_HISTORY", "PYTHON_BASIC_REPL",  # read by the interactive prompt only
})
HARMLESS_VALUES = {"PYTHONIOENCODING": ("utf-8", "utf8"), "PYTHONUTF8": ("1",)}
# The -c program of the isolated interpreter: the caller's argv[0] and import path.
ISOLATED_START = "import sys; sys.argv[0] = %r; sys.path[:] = %r; from envdoctor.launch import main; main()"


def _needs_isolation() -> bool:
    if sys.flags.ignore_environment:  # -E or -I already (the re-executed interpreter too)
        return False
    if sys.flags.optimize >= 2:  # -OO strips the docstrings that are envdoctor's check docs
        return True
    return any(name.startswith("PYTHON") and not _harmless(name, value) for name, value in os.environ.items())


def _harmless(name: str, value: str) -> bool:
    if not value or name in HARMLESS_VARIABLES:  # Python ignores an empty one
        return True
    return value.split(":")[0].strip().lower() in HARMLESS_VALUES.get(name, ())  # PYTHONIOENCODING=utf-8:strict


def isolated_argv(args: List[str]) -> List[str]:
    """This command under `python -E`, with envdoctor's own import path, PYTHONPATH's entries moved last.

    Last, not left out: a plugin installed on PYTHONPATH still loads, and nothing there
    shadows a module of envdoctor, its dependencies or the standard library (a `packaging.py`
    meant for the target).  One exception: the folder this envdoctor was imported from
    stays first when PYTHONPATH named it (a checkout run with PYTHONPATH=src).  The path is
    given explicitly rather than recomputed by the new interpreter: a --user install found
    through PYTHONUSERBASE (ignored under -E) still imports.  sys.path[0] (the script's
    folder, or the working directory under -m) is left out, so that a working directory
    holding a `packaging.py` does not shadow envdoctor's either; envdoctor itself, if it came
    from there, goes last."""
    added = [os.path.abspath(entry) for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = [package_root] if package_root in added else []
    path += [entry for entry in sys.path[1:] if os.path.abspath(entry) not in added]
    for entry in (*added, package_root):
        if entry not in path:
            path.append(entry)
    return [sys.executable, "-E", "-c", ISOLATED_START % (sys.argv[0], path), *args]


def isolate() -> None:
    """Re-execute under -E when PYTHON* variables (meant for the target) would change envdoctor;
    where the exec fails, carry on as we are."""
    if not _needs_isolation() or not sys.executable:
        return
    try:
        os.execv(sys.executable, isolated_argv(sys.argv[1:]))
    except OSError:
        pass


def print_version() -> None:
    """`envdoctor --version`, answered before anything else is imported (typer's answer, 8x sooner)."""
    from envdoctor import __version__

    sys.stdout.write(f"envdoctor {__version__}\n")
    sys.stdout.flush()
    os._exit(0)


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        print_version()
    isolate()
    # A short-lived command whose objects (the facts, every parsed requirement, the
    # imported modules) live until it exits, and which makes next to no cyclic garbage:
    # the cyclic collector would only traverse those ~300,000 objects again and again
    # (25 ms of a 0.4 s check of 1,000 distributions).  Memory is still freed by
    # reference counting.
    gc.disable()
    from envdoctor.processes import adopt_orphans, end_on_termination

    adopt_orphans()  # this process, and only this one, collects the daemons its targets leave
    end_on_termination()  # a SIGTERM must not leave the probe (or its daemons) running
    started = start_early(sys.argv[1:])
    try:
        direct = direct_check(sys.argv[1:])
        if direct is not None:  # a plain check: run without building the typer CLI
            from envdoctor.check_command import run_directly

            run_directly(direct, started)
        else:
            from envdoctor import cli

            cli.main(started)
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            sys.stderr.write(exc.code + "\n")
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    finally:
        if started is not None:  # not taken when the CLI refused an option; a no-op when collected
            started.running.cancel()
    # Everything is written; tearing down the interpreter (freeing the facts and every
    # parsed requirement one by one) would only add time to a short-lived command.
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    os._exit(code)
