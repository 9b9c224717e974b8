"""[tool.envdoctor] settings: found upwards from the working directory, validated key by key."""

from __future__ import annotations

import pytest

from envdoctor.config import load_settings
from envdoctor.errors import UsageError


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
    ('[tool.envdoctor]\nscna = ["x"]\n', "unknown key 'scna'"),
    ('[tool.envdoctor]\nscan = "sglang"\n', "'scan' must be a list"),
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
