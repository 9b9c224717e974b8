"""The probe's bootstrap (envdoctor/probe/command.py, BOOTSTRAP) on real interpreters.

It runs the probe's target-side modules (envdoctor/probe/in_target/) through the import
system's SourceFileLoader: the bytecode pip compiled at install when it was compiled for
the target's Python version, the source otherwise, and never writes bytecode itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from envdoctor.probe.command import FACTS_PROGRAM, IN_TARGET, new_nonce, payload_argv, program_source
from envdoctor.probe.frame import extract_document
from tests.conftest import require_python

OTHER_MINOR = "3.9" if sys.version_info[:2] != (3, 9) else "3.10"

# Two programs of the same length: a loader that trusts the bytecode (size and mtime
# match) runs the first, one that compiles the source runs the second.
COMPILED = "import sys; sys.stdout.write('from bytecode')\n"
EDITED = "import sys; sys.stdout.write('from source!!')\n"


def environment_that_allows_bytecode() -> dict:
    """The test runner may set PYTHONDONTWRITEBYTECODE; without it only the probe's own -B stops writes."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "SOURCE_DATE_EPOCH")}


def probe_files_state() -> dict:
    """Size and mtime of the probe's parts and of any bytecode of them.  Only theirs: the host's
    own modules in the same folder may get bytecode from another test running meanwhile."""
    stems = tuple(FACTS_PROGRAM)
    state = {}
    for root, _dirs, files in os.walk(IN_TARGET):
        for name in files:
            if name.startswith(stems) and name.split(".")[0] in stems:
                stat = os.stat(os.path.join(root, name))
                state[os.path.join(root, name)] = (stat.st_size, stat.st_mtime_ns)
    return state


def part_with_stale_source(folder: Path, python: str) -> Path:
    """A part whose bytecode (for `python`) says one thing and whose source, same size and mtime, another."""
    part = folder / "part.py"
    part.write_text(COMPILED)
    compile_it = (
        "import py_compile, sys; "
        "py_compile.compile(sys.argv[1], doraise=True, invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)"
    )
    subprocess.run([python, "-c", compile_it, str(part)], check=True, env=environment_that_allows_bytecode())
    before = part.stat()
    part.write_text(EDITED)
    os.utime(part, ns=(before.st_atime_ns, before.st_mtime_ns))
    return part


def run_bootstrap(python: str, part: Path) -> str:
    source = program_source([part.stem], folder=str(part.parent), call_main=False)
    result = subprocess.run([python, "-B", "-c", source], capture_output=True, text=True,
                            env=environment_that_allows_bytecode(), timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_bytecode_compiled_for_the_target_is_used(tmp_path):
    part = part_with_stale_source(tmp_path, sys.executable)
    assert run_bootstrap(sys.executable, part) == "from bytecode"


def test_another_python_version_compiles_the_source(tmp_path):
    other = require_python(OTHER_MINOR)
    part = part_with_stale_source(tmp_path, sys.executable)  # bytecode for this Python only
    assert run_bootstrap(other, part) == "from source!!"


@pytest.mark.slow
@pytest.mark.parametrize("minor", [f"{sys.version_info[0]}.{sys.version_info[1]}", OTHER_MINOR, "3.8"])
def test_probe_runs_and_writes_no_bytecode_next_to_its_files(minor, tmp_path):
    python = require_python(minor)
    before = probe_files_state()
    assert len(before) >= len(FACTS_PROGRAM)
    nonce = new_nonce()
    result = subprocess.run(payload_argv(python, "facts", nonce), capture_output=True, text=True, cwd=tmp_path,
                            env=environment_that_allows_bytecode(), timeout=120)
    document = extract_document(result.stdout, nonce)
    assert document is not None, result.stderr
    assert document["interpreter"]["version"].startswith(minor + ".")
    assert probe_files_state() == before
