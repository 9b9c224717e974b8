"""Test-only: `envdoctor fix --yes` that stops after one step, as if the process were killed there.

    python -m tests.helpers.paused_fix PYTHON STEP MARKER [CHECK ...]

Runs envdoctor's fix flow on the target PYTHON with the executor's `after_step` callback set
to: after step STEP (0-based), write this process's id into MARKER and sleep until killed.
The test then kills it (SIGKILL) and checks what `envdoctor undo` does with the journal entry
left "applying".  Shipped code has no such hook: the callback is passed in here.
"""

from __future__ import annotations

import os
import sys
import time

from envdoctor.fixes.flow import FixOptions, fix
from envdoctor.probe.facts_probe import run_probe
from envdoctor.registry import load_registry
from envdoctor.target_choice import resolve_target


def pause_after(step: int, marker: str):
    def after_step(index: int) -> None:
        if index != step:
            return
        with open(marker, "w") as handle:
            handle.write(str(os.getpid()))
        while True:
            time.sleep(60)

    return after_step


def main(python: str, step: str, marker: str, *select: str) -> int:
    target = resolve_target(python, None)
    checks = load_registry().select(select or ("INT001",))
    options = FixOptions(yes=True, dry_run=False, unsafe=False)
    return fix(options, lambda: run_probe(target, timeout=120), checks, sys.stdout.write,
               after_step=pause_after(int(step), marker))


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
