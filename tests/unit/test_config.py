"""[tool.envdoctor] settings: found upwards from the working directory, validated key by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.config import load_settings
from envdoctor.errors import UsageError

SNAPSHOT = Path(__file__).resolve().parent.parent / "data" / "snapshot-h200-cuda13.json"


def test_nearest_pyproject_with_the_table_wins(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.envdoctor]\nscan = ["./src", "sglang"]\n')
    inner = tmp_path / "pkg" / "deep"
    inner.mkdir(parents=True)
    (tmp_path / "pkg" / "pyproject.toml").write_text('[project]\nname = "x"\n')  # no table: keep looking
    settings = load_settings(str(inner))
    assert settings.scan == (str(tmp_path / "src"), "sglang")  # folders relative to the file
    assert settings.path == str(tmp_path / "pyproject.toml")


def test_no_config_means_defaults(tmp_path):
    assert load_settings(str(tmp_path)).scan == ()


@pytest.mark.parametrize("text, message", [
    ('[tool.envdoctor]\nscna = ["x"]\n', "unknown key 'scna' in \\[tool.envdoctor\\]"),
    ('[tool.envdoctor]\nscan = "sglang"\n', "key 'scan': must be a list"),
    ('[tool.envdoctor\n', "not valid TOML"),
])
def test_invalid_config_names_the_problem(tmp_path, text, message):
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(UsageError, match=message):
        load_settings(str(tmp_path))


def test_explicit_file(tmp_path):
    (tmp_path / "envdoctor.toml").write_text('scan = ["vllm"]\n')
    assert load_settings("/", str(tmp_path / "envdoctor.toml")).scan == ("vllm",)
    with pytest.raises(UsageError, match="no such file|No such file"):
        load_settings("/", str(tmp_path / "missing.toml"))


def test_unknown_check_in_the_config_names_file_table_and_key(tmp_path, run_envdoctor):
    """Through the CLI: the typo's file, table and key, one line, exit 2 (docs/reference/cli.md)."""
    (tmp_path / "pyproject.toml").write_text('[tool.envdoctor]\nselect = ["NOPE1"]\n')
    result = run_envdoctor("check", "--facts", str(SNAPSHOT), "--cwd", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert f"config {tmp_path / 'pyproject.toml'}, [tool.envdoctor], key 'select': unknown check 'NOPE1'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_dedicated_config_file_may_keep_the_pyproject_header(tmp_path):
    (tmp_path / "ci.toml").write_text('[tool.envdoctor]\nstrict = true\nscan = ["vllm"]\n')
    settings = load_settings("/", str(tmp_path / "ci.toml"))
    assert settings.strict is True and settings.scan == ("vllm",)
    (tmp_path / "bare.toml").write_text('strict = true\n')  # near miss: the bare table still works
    assert load_settings("/", str(tmp_path / "bare.toml")).strict is True
    (tmp_path / "bad.toml").write_text('[tool.envdoctor]\nstrct = true\n')
    with pytest.raises(UsageError, match=r"bad.toml: unknown key 'strct' in \[tool.envdoctor\]"):
        load_settings("/", str(tmp_path / "bad.toml"))
