"""The one error boundary: every command's body runs inside `guarded`.

EnvdoctorError -> its message and exit code; Ctrl-C -> 130; a closed stdout -> 0;
anything else -> a crash log and exit 3, never a traceback on the terminal.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

import typer

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


def guarded(body: Callable[[], int]) -> None:
    try:
        code = body()
    except EnvdoctorError as exc:
        sys.stderr.write(f"envdoctor: error: {_redacted(str(exc))}\n")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        sys.stderr.write("envdoctor: interrupted\n")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except typer.Exit:
        raise
    except BrokenPipeError:  # `envdoctor list | head`: the reader left; not a failure of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(0) from None
    except Exception as exc:  # the boundary: a bug in envdoctor, reported without a traceback
        try:
            where = f"; crash log: {crash_log(exc)}"
        except OSError:
            where = ""
        # The crash log's path is masked too: the cache folder is the user's to name.
        sys.stderr.write(_redacted(f"envdoctor: internal error: {type(exc).__name__}: {exc}{where}") + "\n")
        raise typer.Exit(EXIT_INTERNAL) from None
    raise typer.Exit(code)


def _redacted(message: str) -> str:
    """An error message may quote a URL or a path from the user's input: masked like every output."""
    from envdoctor.redaction import redact_text

    return redact_text(message)
