"""Source files past the parser's limits, in an installed stack package (issue 18).

A generated module can be valid text that Python's parser still gives up on: `x = 1 + 1 + ...`
100,000 times (RecursionError), a 100,000-branch `elif` chain, 50,000 nested `not` or `lambda`
(MemoryError).  A plain `check` scans the installed stack packages by default, so one such
file used to end every check with exit 3.  Each must be one IMP004 finding while the scan goes
on and its other findings are still reported; and a long `elif` chain that Python does parse
must not be reported at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import clean_env
from tests.helpers.venvs import make_venv, pip
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow

# Files Python's parser rejects, and the exception importing each raises on the target.
PAST_THE_PARSER = {
    "generated_sum": ("x = " + "1 + " * 100_000 + "1\n", "RecursionError"),
    "generated_elif": ("if x == 0:\n    pass\n" + "".join(f"elif x == {i}:\n    pass\n" for i in range(1, 100_000)), "MemoryError"),
    "generated_not": ("x = " + "not " * 50_000 + "y\n", "MemoryError"),
    "generated_lambda": ("x = " + "lambda: " * 50_000 + "1\n", "MemoryError"),
}
# Parsed by Python (1,000 branches), each importing what is installed: nothing to report.
HEALTHY_ELIF = "def pick(x):\n    if x == 0:\n        import os\n" + "".join(
    f"    elif x == {i}:\n        import json\n" for i in range(1, 1_000)
)


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults-sources")
    files = {f"xformers/{name}.py": text for name, (text, _) in PAST_THE_PARSER.items()}
    loaders = "".join(f"def load_{name}():\n    from xformers import {name}\n    return {name}\n\n" for name in PAST_THE_PARSER)
    files.update({
        "xformers/__init__.py": "from xformers import ops\n",
        # A real dead import beside them: it must still be reported.
        "xformers/ops.py": loaders + "def attention():\n    from xformers.gone import memory_efficient\n    return memory_efficient\n",
        "xformers/dispatch.py": HEALTHY_ELIF,
    })
    wheel = build_wheel(root / "wheels", "xformers", "0.0.99", files)
    venv = make_venv(root / "venv")
    pip("--python", str(venv.python), "install", "--no-deps", str(wheel))
    return venv


def check(run_envdoctor, venv, tmp_path, *extra):
    env = clean_env(ENVDOCTOR_CACHE_DIR=str(tmp_path / "cache"))
    return run_envdoctor("check", "--python", venv.python, "--format", "json", *extra, cwd=tmp_path, env=env)


@pytest.mark.parametrize("extra", [(), ("--scan", "xformers")], ids=["plain-check", "scan"])
def test_files_past_the_parsers_limits_are_imp004_and_the_scan_goes_on(run_envdoctor, venv, tmp_path, extra):
    result = check(run_envdoctor, venv, tmp_path, *extra)
    assert result.returncode == 1, result.stdout + result.stderr  # the dead import's error, not exit 3
    unparsable = {Path(f["location"]["path"]).stem: f for f in result.findings("IMP004")}
    assert set(unparsable) == set(PAST_THE_PARSER)
    for name, finding in unparsable.items():
        raised = PAST_THE_PARSER[name][1]
        assert finding["severity"] == "warning" and raised in finding["title"], finding
    (dead,) = result.findings("IMP001")
    assert Path(dead["location"]["path"]).name == "ops.py" and dead["severity"] == "error"
    # The 1,000-branch elif chain parses and imports what is installed: no finding names it.
    assert not [f for f in result.json["findings"] if "dispatch" in (f["location"] or {}).get("path", "")]


def test_the_findings_are_true_importing_each_file_fails_as_reported(venv):
    for name, (_, raised) in PAST_THE_PARSER.items():
        failed = venv.run(f"import xformers.{name}")
        assert failed.returncode != 0 and raised in failed.stderr, (name, failed.stderr[-300:])
    assert venv.run("import xformers.dispatch").returncode == 0
