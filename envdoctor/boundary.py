"""The one error boundary: every command's body runs inside `guarded`.

EnvdoctorError -> its message and exit code; Ctrl-C -> 130; a closed stdout -> 0;
anything else -> a crash log and exit 3, never a traceback on the terminal.
The exit is typer's Exit under the typer CLI, and SystemExit on launch.py's direct dispatch
of `check`, which does not import typer (launch.main turns either into the exit status).
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

from envdoctor import __version__
from envdoctor.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EnvdoctorError


def crash_log(exc: BaseException) -> Path:
    """Write the traceback to a file under the user's cache directory; its path goes in the message."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "envdoctor"
    base.mkdir(parents=True, exist_ok=True)
    path = base / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    from envdoctor.redaction import redact_text

    text = f"envdoctor {__version__} on Python {sys.version}\nargv: {sys.argv}\n\n" + "".join(
        traceback.format_exception(type(exc), exc, exc.__traceback__))
    path.write_text(redact_text(text), encoding="utf-8")
    return path


def _exit(code: int) -> BaseException:
    """What ends the command with `code`: typer.Exit when typer runs the command, else SystemExit."""
    typer = sys.modules.get("typer")
    return typer.Exit(code) if typer is not None else SystemExit(code)


def guarded(body: Callable[[], int]) -> None:
    typer = sys.modules.get("typer")
    passes = (typer.Exit,) if typer is not None else ()  # a nested command's exit, an Exception to typer
    try:
        code = body()
    except EnvdoctorError as exc:
        sys.stderr.write(f"envdoctor: error: {_redacted(str(exc))}\n")
        raise _exit(exc.exit_code) from None
    except KeyboardInterrupt:
        sys.stderr.write("envdoctor: interrupted\n")
        raise _exit(EXIT_INTERRUPTED) from None
    except passes:
        raise
    except BrokenPipeError:  # `envdoctor list | head`: the reader left; not a failure of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise _exit(0) from None
    except Exception as exc:  # the boundary: a bug in envdoctor, reported without a traceback
        try:
            where = f"; crash log: {crash_log(exc)}"
        except OSError:
            where = ""
        # The crash log's path is masked too: the cache folder is the user's to name.
        sys.stderr.write(_redacted(f"envdoctor: internal error: {type(exc).__name__}: {exc}{where}") + "\n")
        raise _exit(EXIT_INTERNAL) from None
    raise _exit(code)


def _redacted(message: str) -> str:
    """An error message may quote a URL or a path from the user's input: masked like every output."""
    from envdoctor.redaction import redact_text

    return redact_text(message)
