"""docs/how-to/write-a-check.md stays true: its first example is built from the page's own code
blocks, installed as a real plugin distribution (pip, flit_core), and its test run with pytest."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import clean_env

ROOT = Path(__file__).resolve().parents[2]
HOWTO = ROOT / "docs" / "how-to" / "write-a-check.md"
# A fenced block whose first line names the file it is: "# acme_checks/pyproject.toml".
BLOCK = re.compile(r"```(?:python|toml)\n# (acme_checks/[\w./]+)\n(.*?)```", re.S)


def howto_files():
    return {name: text for name, text in BLOCK.findall(HOWTO.read_text(encoding="utf-8"))}


def test_the_page_names_the_three_files_of_the_first_example():
    assert sorted(howto_files()) == ["acme_checks/acme_checks.py", "acme_checks/pyproject.toml", "acme_checks/test_acme_checks.py"]


@pytest.mark.slow
def test_first_example_installs_and_its_test_passes(tmp_path):
    for name, text in howto_files().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    plugin = tmp_path / "plugin-site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(plugin), str(tmp_path / "acme_checks")],
        capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    env = clean_env(PYTHONPATH=str(plugin))
    listed = subprocess.run([sys.executable, "-m", "envdoctor", "list"], capture_output=True, text=True, env=env)
    assert "ACME001" in listed.stdout and "acme-checks 1.0" in listed.stdout, listed.stdout + listed.stderr
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_acme_checks.py"],
                            cwd=tmp_path / "acme_checks", capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


# The second example's blocks: "# envdoctor/x.py after ANCHOR" (insert after that line),
# "# envdoctor/checks/x.py" (a new module), "# pyproject.toml under [...]" (an entry point).
EDIT = re.compile(r"```(?:python|toml)\n# ((?:envdoctor/|pyproject\.toml)[^\n]*)\n(.*?)```", re.S)


def apply_second_example(copy: Path, site: Path) -> None:
    for header, body in EDIT.findall(HOWTO.read_text(encoding="utf-8")):
        path, _, rest = header.partition(" ")
        if path == "pyproject.toml":  # the entry point, as an installed distribution declares it
            info = site / "free_threading_example-1.0.dist-info"
            info.mkdir(parents=True)
            (info / "METADATA").write_text("Metadata-Version: 2.1\nName: free-threading-example\nVersion: 1.0\n")
            try:
                import tomllib
            except ImportError:  # Python < 3.11
                import tomli as tomllib

            lines = "".join(f"{name} = {value}\n" for name, value in tomllib.loads(body).items())
            (info / "entry_points.txt").write_text("[envdoctor.checks]\n" + lines)
            continue
        target = copy / path
        if rest.startswith("after "):
            anchor = rest[len("after "):]
            lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
            at = [i for i, line in enumerate(lines) if line.strip() == anchor.strip()]
            assert len(at) == 1, f"the how-to's anchor {anchor!r} is not one line of {path}"
            lines[at[0] + 1:at[0] + 1] = [body]
            target.write_text("".join(lines), encoding="utf-8")
        else:
            assert not target.exists(), f"{path} exists already: the example must add a new module"
            target.write_text(body, encoding="utf-8")


@pytest.mark.slow
def test_second_example_adds_a_fact_and_a_check(tmp_path, new_venv):
    import json
    import shutil

    import envdoctor

    copy = tmp_path / "src"
    shutil.copytree(Path(envdoctor.__file__).parent, copy / "envdoctor", ignore=shutil.ignore_patterns("__pycache__"))
    apply_second_example(copy, tmp_path / "site")
    env = clean_env(PYTHONPATH=f"{copy}{os.pathsep}{tmp_path / 'site'}")
    venv = new_venv()
    snapshot = tmp_path / "snap.json"
    made = subprocess.run([sys.executable, "-m", "envdoctor", "snapshot", "--python", str(venv.python), "-o", str(snapshot)],
                          capture_output=True, text=True, env=env, cwd=tmp_path)  # not the checkout: -m would import it
    assert made.returncode == 0, made.stderr
    data = json.loads(snapshot.read_text())
    assert data["interpreter"]["gil_disabled"] is False  # the fact, collected inside the target

    def fth001(path: Path):
        out = subprocess.run([sys.executable, "-m", "envdoctor", "check", "--facts", str(path), "--select", "FTH001",
                              "--format", "json"], capture_output=True, text=True, env=env, cwd=tmp_path)
        assert out.returncode in (0, 1), out.stderr
        return [f["title"] for f in json.loads(out.stdout)["findings"]]

    assert fth001(snapshot) == []  # a default build: the healthy counterpart
    data["interpreter"]["gil_disabled"] = True
    threaded = tmp_path / "threaded.json"
    threaded.write_text(json.dumps(data))
    assert fth001(threaded) == [f"{data['interpreter']['executable']} is a free-threaded build"]
