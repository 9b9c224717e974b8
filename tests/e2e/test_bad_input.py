"""Errors a user can hit end in one clear message and the documented exit code, never a traceback."""

from __future__ import annotations

import json

import pytest

from tests.conftest import clean_env, require_python


def only_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


def test_python_pointing_at_nothing(run_envdoctor, tmp_path):
    result = run_envdoctor("check", "--python", tmp_path / "nope" / "python")
    assert result.returncode == 2
    assert only_line(result.stderr) == f"envdoctor: error: --python {tmp_path / 'nope' / 'python'}: no such file or directory"


def test_python_pointing_at_a_folder_that_is_not_an_environment(run_envdoctor, tmp_path):
    result = run_envdoctor("check", "--python", tmp_path)
    assert result.returncode == 2
    assert "not a virtual environment or conda prefix" in only_line(result.stderr)


def test_python_pointing_at_a_non_python_program(run_envdoctor, tmp_path):
    result = run_envdoctor("check", "--python", "/bin/ls", cwd=tmp_path)
    assert result.returncode == 2
    assert "/bin/ls is not a working Python interpreter" in only_line(result.stderr)


def test_python_pointing_at_a_text_file(run_envdoctor, tmp_path):
    fake = tmp_path / "python"
    fake.write_text("not a program\n")
    fake.chmod(0o755)
    result = run_envdoctor("check", "--python", fake, cwd=tmp_path)
    assert result.returncode == 2
    assert str(fake) in only_line(result.stderr)


def test_python_too_old(run_envdoctor, tmp_path):
    old = require_python("2.7", "to show the too-old message")
    result = run_envdoctor("check", "--python", old, cwd=tmp_path)
    assert result.returncode == 2
    assert "is Python 2.7; envdoctor inspects Python 3.8 and newer" in only_line(result.stderr)


def test_unknown_format(run_envdoctor):
    result = run_envdoctor("check", "--format", "yaml")
    assert result.returncode == 2
    assert "yaml" in result.stderr


def test_unknown_flag(run_envdoctor):
    result = run_envdoctor("check", "--frobnicate")
    assert result.returncode == 2
    assert "--frobnicate" in result.stderr


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_unknown_check_code(run_envdoctor, option):
    result = run_envdoctor("check", option, "XYZ999")
    assert result.returncode == 2
    assert only_line(result.stderr) == "envdoctor: error: unknown check 'XYZ999': not a code, code prefix or name (see `envdoctor list`)"


def test_missing_cwd(run_envdoctor, tmp_path):
    result = run_envdoctor("check", "--cwd", tmp_path / "gone")
    assert result.returncode == 2
    assert "not a directory" in only_line(result.stderr)


def test_facts_file_that_is_not_a_snapshot(run_envdoctor, tmp_path):
    bogus = tmp_path / "facts.json"
    bogus.write_text(json.dumps({"hello": 1}))
    result = run_envdoctor("check", "--facts", bogus)
    assert result.returncode == 2
    assert "not an envdoctor snapshot" in only_line(result.stderr)
    bogus.write_bytes(b"\xff\xfe\x00\x81 binary, not text")  # what a random or UTF-16 file starts with
    result = run_envdoctor("check", "--facts", bogus)
    assert result.returncode == 2
    assert only_line(result.stderr).startswith(f"envdoctor: error: --facts {bogus}: not JSON ("), result.stderr
    assert result.stdout == ""


def test_virtual_env_variable_pointing_nowhere(run_envdoctor, tmp_path):
    result = run_envdoctor("check", env=clean_env(VIRTUAL_ENV=str(tmp_path / "gone")))
    assert result.returncode == 2
    assert "$VIRTUAL_ENV" in only_line(result.stderr)


def test_target_defaults_to_the_active_virtual_env(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    result = run_envdoctor("check", "--format", "json", env=clean_env(VIRTUAL_ENV=str(venv.root)), cwd=tmp_path)
    assert result.json["target"]["source"] == "VIRTUAL_ENV"
    assert result.json["target"]["python"] == str(venv.python)


@pytest.mark.parametrize("case", ["missing", "not-a-snapshot", "invalid-json", "against-missing", "select-without-against"])
def test_diff_and_against_bad_input(run_envdoctor, tmp_path, case):
    (tmp_path / "other.json").write_text(json.dumps({"hello": 1}))
    (tmp_path / "broken.json").write_text("{ not json")
    args, message = {
        "missing": (["diff", tmp_path / "nope.json", tmp_path / "other.json"], "no such snapshot file, interpreter or environment"),
        "not-a-snapshot": (["diff", tmp_path / "other.json", tmp_path / "other.json"], "not an envdoctor snapshot"),
        "invalid-json": (["diff", tmp_path / "broken.json", tmp_path / "other.json"], "not JSON"),
        "against-missing": (["check", "--against", tmp_path / "nope.json"], "--against"),
        "select-without-against": (["check", "--select", "EXP002"], "EXP002 (drift-from-known-good) needs --against"),
    }[case]
    result = run_envdoctor(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in only_line(result.stderr)
