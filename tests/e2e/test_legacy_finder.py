"""sgl-project/sglang#21548: a find_module()-only meta-path finder, on real 3.11, 3.12 and 3.13."""

from __future__ import annotations

import pytest

from tests.conftest import require_python
from tests.helpers.venvs import make_venv
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow

# A stand-in like SGLang's old triton stub: the top-level module is created at
# start-up, submodules are served by a finder that only knows find_module().
FINDER = '''
import sys
import types


class LegacyFinder:
    def find_module(self, fullname, path=None):
        return self if fullname.startswith("legacypkg.") else None

    def load_module(self, fullname):
        if fullname not in sys.modules:
            module = types.ModuleType(fullname)
            module.__path__ = []
            module.__loader__ = self
            sys.modules[fullname] = module
        return sys.modules[fullname]


def install():
    top = types.ModuleType("legacypkg")
    top.__path__ = []
    sys.modules["legacypkg"] = top
    sys.meta_path.insert(0, LegacyFinder())
'''


def legacy_venv(tmp_path, minor):
    python = require_python(minor)
    venv = make_venv(tmp_path / f"venv{minor}", python)
    wheel = build_wheel(tmp_path / "wheels", "legacyhook", "1.0", {
        "legacyhook_finder.py": FINDER,
        "legacyhook.pth": "import legacyhook_finder; legacyhook_finder.install()\n",
    })
    venv.install_files(wheel)
    return venv


@pytest.mark.parametrize("minor", ["3.12", "3.13"])
def test_legacy_finder_breaks_dotted_imports_on_312_and_is_an_error(run_envdoctor, tmp_path, minor):
    venv = legacy_venv(tmp_path, minor)
    failed = venv.run("import legacypkg.a.b")
    assert failed.returncode == 1 and "No module named 'legacypkg.a'" in failed.stderr

    result = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    (finding,) = result.findings("HOOK001")
    assert finding["severity"] == "error"
    assert finding["subject"] == "legacyhook_finder.LegacyFinder"
    assert finding["location"]["distribution"] == "legacyhook"
    assert finding["location"]["path"] == str(venv.site_packages / "legacyhook_finder.py")


def test_legacy_finder_still_works_on_311_and_is_a_warning(run_envdoctor, tmp_path):
    venv = legacy_venv(tmp_path, "3.11")
    assert venv.run("import legacypkg.a.b").returncode == 0

    result = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path)
    assert result.returncode == 0
    (finding,) = result.findings("HOOK001")
    assert finding["severity"] == "warning"
    assert "3.12" in finding["title"]
    strict = run_envdoctor("check", "--python", venv.python, "--format", "json", "--strict", cwd=tmp_path)
    assert strict.returncode == 1
