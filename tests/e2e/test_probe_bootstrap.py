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


# The code cache (probe/probe_code_file.py): code the target compiled on an earlier run.
KEPT = "import sys; sys.stdout.write('from the cache')\n"
SOURCE = "import sys; sys.stdout.write('from the file!')\n"
assert len(KEPT) == len(SOURCE)


def keep_code(python: str, part: Path, text: str, cache_file: Path, magic: str = "") -> None:
    """Keep `text`, compiled by `python`, as the code of `part` (at its current mtime and size),
    through the host's own store_probe_code with a section shaped as the probe sends it."""
    from envdoctor.probe import probe_code_file

    compile_it = ("import base64, marshal, sys, importlib.util; code = compile(sys.argv[2], sys.argv[1], 'exec'); "
                  "print(importlib.util.MAGIC_NUMBER.hex(), base64.b64encode(marshal.dumps(code)).decode())")
    found = subprocess.run([python, "-c", compile_it, str(part), text], capture_output=True, text=True, check=True)
    target_magic, code = found.stdout.split()
    stats = subprocess.run([python, "-c", "import os, sys; s = os.stat(sys.argv[1]); print(repr(s.st_mtime), s.st_size)",
                            str(part)], capture_output=True, text=True, check=True).stdout.split()
    section = {"probe_code": {"magic": magic or target_magic, "parts": {str(part): [float(stats[0]), int(stats[1]), code]}}}
    original = probe_code_file.probe_code_path
    probe_code_file.probe_code_path = lambda _python: str(cache_file)
    try:
        probe_code_file.store_probe_code(python, section, str(part.parent))
    finally:
        probe_code_file.probe_code_path = original


def run_with_code_cache(python: str, part: Path, cache_file: Path) -> str:
    source = program_source([part.stem], folder=str(part.parent), call_main=False, code_cache=str(cache_file))
    result = subprocess.run([python, "-B", "-c", source], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("minor", ["3.8", OTHER_MINOR, "3.13"])
def test_code_kept_for_the_target_runs_while_its_source_is_unchanged(minor, tmp_path):
    python = require_python(minor)
    part, cache_file = tmp_path / "part.py", tmp_path / "cache" / "code.marshal"
    part.write_text(SOURCE)
    assert run_with_code_cache(python, part, cache_file) == "from the file!"  # no cache file yet
    keep_code(python, part, KEPT, cache_file)
    assert run_with_code_cache(python, part, cache_file) == "from the cache"
    os.utime(part, ns=(part.stat().st_atime_ns, part.stat().st_mtime_ns + 10**9))  # the source changed since
    assert run_with_code_cache(python, part, cache_file) == "from the file!"


def test_kept_code_of_another_python_or_an_unreadable_cache_is_not_run(tmp_path):
    python = require_python(OTHER_MINOR)
    part, cache_file = tmp_path / "part.py", tmp_path / "cache" / "code.marshal"
    part.write_text(SOURCE)
    keep_code(python, part, KEPT, cache_file, magic="00000d0a")  # another interpreter's magic number
    assert run_with_code_cache(python, part, cache_file) == "from the file!"
    for damage in (b"not marshal", b"\xff" * 64):
        cache_file.write_bytes(damage)
        assert run_with_code_cache(python, part, cache_file) == "from the file!"


@pytest.mark.slow
def test_a_target_of_another_python_compiles_the_probe_once(run_envdoctor, new_venv, tmp_path, monkeypatch):
    """envdoctor's __pycache__ is for its own Python: a target of another version compiled every
    part on every run until the host kept the code it compiled.  After one check, the probe
    compiles nothing, and the check gives the same report."""
    import json
    import marshal

    from envdoctor.probe.probe_code_file import probe_code_path
    from tests.conftest import clean_env

    monkeypatch.setenv("ENVDOCTOR_CACHE_DIR", str(tmp_path / "cache"))
    env = clean_env(ENVDOCTOR_CACHE_DIR=str(tmp_path / "cache"))
    venv = new_venv(require_python(OTHER_MINOR))
    first = run_envdoctor("check", "--python", venv.python, "--format", "json", env=env, cwd=tmp_path)
    assert first.returncode in (0, 1), first.stderr
    kept = marshal.loads(Path(probe_code_path(str(venv.python))).read_bytes())
    assert sorted(kept["parts"]) == sorted(os.path.join(IN_TARGET, name + ".py") for name in FACTS_PROGRAM)
    nonce = new_nonce()
    probe = subprocess.run(payload_argv(str(venv.python), "facts", nonce), capture_output=True, text=True,
                           cwd=tmp_path, env=env, timeout=120)
    document = extract_document(probe.stdout, nonce)
    assert document is not None, probe.stderr
    assert "probe_code" not in document["dist_cache"], "the probe compiled its parts again"
    second = run_envdoctor("check", "--python", venv.python, "--format", "json", env=env, cwd=tmp_path)

    def without_time(text):
        report = json.loads(text)
        report["summary"].pop("elapsed_s")
        return report

    assert without_time(second.stdout) == without_time(first.stdout)
