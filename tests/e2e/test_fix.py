"""`envdoctor fix` and `envdoctor undo` on real broken venvs, with real pip.

Each fixer test: break a venv for real, `fix --yes` repairs it (the failing
import now works), `check` no longer reports it, and `undo` brings back the
exact previous state: every file of site-packages byte-identical and the same
`pip freeze`.  The target's pip installs offline from the test wheel cache
(PIP_NO_INDEX / PIP_FIND_LINKS in the environment envdoctor passes on).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import clean_env, require_python
from tests.helpers.projects import AITERX_IMPORT, install_flat_layout_editable
from tests.helpers.venvs import WHEEL_CACHE, Venv, cached_wheels, make_venv, pip, tree_state
from tests.helpers.wheels import build_wheel
from tests.e2e.test_legacy_finder import FINDER

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[2]


def offline_env(**extra: str) -> dict:
    return clean_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(WHEEL_CACHE), PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)


def venv_with_pip(root: Path, python=None) -> Venv:
    venv = make_venv(root, python)
    venv.install("pip")
    return venv


def state(venv: Venv) -> tuple:
    """What undo must restore: every file under site-packages and scripts, and pip freeze."""
    freeze = pip("--python", str(venv.python), "freeze", "--all").stdout
    return tree_state(venv.site_packages), tree_state(venv.root / "bin"), freeze


def fix(run_envdoctor, venv, *extra, cwd):
    return run_envdoctor("fix", "--python", venv.python, *extra, cwd=cwd, env=offline_env())


def test_incomplete_distribution_reinstalled_and_undone(run_envdoctor, tmp_path):
    venv = venv_with_pip(tmp_path / "venv")
    venv.install("idna==3.20")
    (venv.site_packages / "idna" / "core.py").unlink()
    assert venv.run("import idna").returncode == 1
    broken = state(venv)

    # Not a terminal, no --yes: the plan, no change, exit 1.
    planned = fix(run_envdoctor, venv, cwd=tmp_path)
    assert planned.returncode == 1
    assert "--force-reinstall --no-deps idna==3.20" in planned.stdout
    assert "nothing was changed" in planned.stderr
    assert state(venv) == broken and not (venv.root / ".envdoctor").exists()
    dry = fix(run_envdoctor, venv, "--dry-run", "--yes", cwd=tmp_path)
    assert dry.returncode == 1 and state(venv) == broken

    fixed = fix(run_envdoctor, venv, "--yes", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    assert "fixed: INT001" in fixed.stderr
    assert venv.run("import idna").returncode == 0
    assert "INT001" not in run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path).codes()

    undone = run_envdoctor("undo", "--python", venv.python, cwd=tmp_path)
    assert undone.returncode == 0, undone.stderr
    assert state(venv) == broken
    assert venv.run("import idna").returncode == 1
    listed = run_envdoctor("undo", "--list", "--python", venv.python, cwd=tmp_path)
    assert "undone" in listed.stdout and "reinstall idna==3.20 in place" in listed.stdout
    again = run_envdoctor("undo", "--python", venv.python, cwd=tmp_path)
    assert again.returncode == 2 and "nothing to undo" in again.stderr


def test_missing_and_conflicting_requirements_installed(run_envdoctor, tmp_path):
    venv = venv_with_pip(tmp_path / "venv")
    cached_wheels(["requests==2.32.3"])  # and its dependencies: what the fix will install
    cached_wheels(["six==1.16.0"])
    wheels = tmp_path / "wheels"
    venv.install_files(
        build_wheel(wheels, "consumer", "1.0", {"consumer.py": "import six\nassert tuple(map(int, six.__version__.split('.')[:2])) >= (1, 16)\n"},
                    requires=["six>=1.16"]),
        extra=["--no-deps"],
    )
    venv.install("six==1.15.0", "requests==2.32.3", no_deps=True)
    broken = state(venv)
    assert venv.run("import consumer").returncode == 1

    result = fix(run_envdoctor, venv, "--yes", "--select", "REQ", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "install six>=1.16" in result.stdout  # REQ002: the conflicting six
    assert "install idna<4,>=2.5" in result.stdout  # REQ001: one of requests' missing requirements
    assert venv.run("import consumer, requests").returncode == 0
    after = run_envdoctor("check", "--python", venv.python, "--format", "json", "--select", "REQ", cwd=tmp_path)
    assert after.returncode == 0, after.stdout

    assert run_envdoctor("undo", "--python", venv.python, cwd=tmp_path).returncode == 0
    assert state(venv) == broken


def test_duplicate_metadata_removed_keeping_the_complete_copy(run_envdoctor, tmp_path):
    venv = venv_with_pip(tmp_path / "venv")
    venv.install("six==1.16.0", no_deps=True)
    # An interrupted upgrade's leftover: 1.15.0's metadata beside 1.16.0's, its files gone.
    stale = venv.site_packages / "six-1.15.0.dist-info"
    stale.mkdir()
    (stale / "METADATA").write_text("Metadata-Version: 2.1\nName: six\nVersion: 1.15.0\n\n")
    (stale / "RECORD").write_text("six-1.15.0.dist-info/METADATA,,\nsix_old_helper.py,,\n")
    broken = state(venv)

    safe_only = fix(run_envdoctor, venv, "--yes", "--select", "INT003", cwd=tmp_path)
    assert safe_only.returncode == 1 and "add --unsafe" in safe_only.stderr
    assert state(venv) == broken

    result = fix(run_envdoctor, venv, "--yes", "--unsafe", "--select", "INT003", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not stale.exists() and (venv.site_packages / "six-1.16.0.dist-info").is_dir()
    assert run_envdoctor("undo", "--python", venv.python, cwd=tmp_path).returncode == 0
    assert state(venv) == broken


@pytest.mark.parametrize("minor", ["3.12", "3.13"])
def test_legacy_finder_shim_makes_dotted_imports_work(run_envdoctor, tmp_path, minor):
    base = require_python(minor)
    venv = venv_with_pip(tmp_path / "venv", base)
    venv.install_files(build_wheel(tmp_path / "wheels", "legacyhook", "1.0", {
        "legacyhook_finder.py": FINDER,
        "legacyhook.pth": "import legacyhook_finder; legacyhook_finder.install()\n",
    }))
    assert "No module named 'legacypkg.a'" in venv.run("import legacypkg.a.b").stderr
    broken = state(venv)

    result = fix(run_envdoctor, venv, "--yes", "--unsafe", "--select", "HOOK001", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "envdoctor-shim-legacy-finders.pth" in result.stdout  # the plan names the files it writes
    imported = venv.run("import legacypkg.a.b, sys; print(sys.modules['legacypkg.a.b'].__name__)")
    assert imported.returncode == 0 and imported.stdout.strip() == "legacypkg.a.b", imported.stderr
    # A finder inserted after start-up is adapted too.
    late = venv.run(
        "import sys, legacyhook_finder as f\n"
        "class Late(f.LegacyFinder):\n"
        "    def find_module(self, name, path=None):\n"
        "        return self if name.startswith('latepkg.') else None\n"
        "import types; top = types.ModuleType('latepkg'); top.__path__ = []; sys.modules['latepkg'] = top\n"
        "sys.meta_path.append(Late())\n"
        "import latepkg.x\n"
    )
    assert late.returncode == 0, late.stderr
    assert run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path).findings("HOOK001") == []

    assert run_envdoctor("undo", "--python", venv.python, cwd=tmp_path).returncode == 0
    assert state(venv) == broken
    assert venv.run("import legacypkg.a.b").returncode == 1


def test_sigkill_in_the_middle_then_undo_restores(run_envdoctor, tmp_path):
    venv = venv_with_pip(tmp_path / "venv")
    venv.install("idna==3.20")
    (venv.site_packages / "idna" / "core.py").unlink()
    broken = state(venv)
    marker = tmp_path / "paused"
    # fix --yes through tests/helpers/paused_fix.py: the executor's after_step callback stops after step 0.
    env = offline_env(PYTHONPATH=str(REPOSITORY))
    process = subprocess.Popen([sys.executable, "-m", "tests.helpers.paused_fix", str(venv.python), "0", str(marker)],
                               cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 240
    while not marker.exists():
        assert process.poll() is None, "envdoctor fix ended before reaching the pause"
        assert time.monotonic() < deadline, "envdoctor fix never reached the pause"
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert (venv.site_packages / "idna" / "core.py").exists()  # the reinstall had happened

    listed = run_envdoctor("undo", "--list", "--python", venv.python, cwd=tmp_path)
    assert "applying" in listed.stdout
    blocked = fix(run_envdoctor, venv, "--yes", cwd=tmp_path)
    assert blocked.returncode == 2 and "did not finish" in blocked.stderr
    assert run_envdoctor("undo", "--python", venv.python, cwd=tmp_path).returncode == 0
    assert state(venv) == broken


PLUGIN_CHECK = '''
import os
from envdoctor.api import check, report, Severity, FixProposal


@check(code="TST001", name="marker-missing", summary="The marker file is missing.", needs=("interpreter",), fix="reinstall")
def marker_missing(facts):
    """Test check.

    What it detects
        x
    Why it breaks
        x
    Example
        x
    Fix
        x
    References
        x
    """
    site = facts.interpreter.site_packages[0]
    if not os.path.exists(os.path.join(site, "marker.txt")):
        yield report(Severity.ERROR, "marker.txt is missing", subject="marker", fix=FixProposal("reinstall", "write it"))
'''

PLUGIN_FIXER = '''
import os
from envdoctor.fixes.fixer_api import fixer, FixPlan, WriteFile


@fixer(name="wrong-marker", kind="reinstall", codes=("TST001",))
def wrong_marker(finding, context):
    """Writes the wrong file on purpose."""
    site = context.facts.interpreter.site_packages[0]
    return FixPlan("write the marker (to the wrong name)", (WriteFile(os.path.join(site, "not-the-marker.txt"), "x", "wrong"),))
'''


# A plan that writes first and then runs the target's real pip against an index that refuses at
# once (loopback port 9, "discard", has no listener): the written file must be gone again.
STEP_FAILS_FIXER = '''
import os
from envdoctor.fixes.fixer_api import fixer, FixPlan, InstallRequest, WriteFile


@fixer(name="unreachable-index", kind="reinstall", codes=("TST001",))
def unreachable_index(finding, context):
    """Writes the marker, then installs from an index nobody listens on."""
    site = context.facts.interpreter.site_packages[0]
    request = InstallRequest(("idna==3.20",), index_url="http://127.0.0.1:9/simple")
    return FixPlan("write the marker, then install idna", (
        WriteFile(os.path.join(site, "marker.txt"), "x", "the marker"),
        context.install_command("install idna from the unreachable index", request),
    ))
'''

# Repairs TST001 for real (the marker) and adds a .pth whose import line fails (PTH002, an error).
NEW_ERROR_FIXER = '''
import os
from envdoctor.fixes.fixer_api import fixer, FixPlan, WriteFile


@fixer(name="marker-and-broken-pth", kind="reinstall", codes=("TST001",))
def marker_and_broken_pth(finding, context):
    """Writes the marker and, as a careless fixer might, a broken .pth."""
    site = context.facts.interpreter.site_packages[0]
    return FixPlan("write the marker and a hook", (
        WriteFile(os.path.join(site, "marker.txt"), "x", "the marker"),
        WriteFile(os.path.join(site, "tst-hook.pth"), "import tst_hook_that_does_not_exist\\n", "a hook"),
    ))
'''

# Repairs TST001 and replaces the target's interpreter with a text file: the verification probe
# cannot start it, so nothing can say whether the fix worked.
BROKEN_INTERPRETER_FIXER = '''
import os
from envdoctor.fixes.fixer_api import fixer, FixPlan, WriteFile


@fixer(name="marker-and-no-python", kind="reinstall", codes=("TST001",))
def marker_and_no_python(finding, context):
    """Writes the marker and overwrites bin/python."""
    site = context.facts.interpreter.site_packages[0]
    python = context.facts.target.python
    return FixPlan("write the marker and break python", (
        WriteFile(os.path.join(site, "marker.txt"), "x", "the marker"),
        WriteFile(python, "not an interpreter\\n", "break the interpreter"),
    ))
'''


def install_fixer_plugin(folder: Path, fixer_source: str) -> Path:
    """A real distribution on a PYTHONPATH folder: the TST001 check and `fixer_source` as its fixer,
    registered as `envdoctor.checks` and `envdoctor.fixers` entry points (found as third-party plugins)."""
    folder.mkdir()
    (folder / "tstplugin_checks.py").write_text(PLUGIN_CHECK)
    (folder / "tstplugin_fixers.py").write_text(fixer_source)
    info = folder / "tstplugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tstplugin\nVersion: 1.0\n\n")
    (info / "entry_points.txt").write_text(
        "[envdoctor.checks]\ntst = tstplugin_checks\n\n[envdoctor.fixers]\ntst = tstplugin_fixers\n")
    return folder


def unreachable_index_env(**extra: str) -> dict:
    """pip with no source but the one its command names: no config file (this machine's adds local
    indexes and wheel folders), no find-links or extra index from the environment, no retries."""
    env = clean_env(PIP_CONFIG_FILE=os.devnull, PIP_RETRIES="0", PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    for name in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_INDEX_URL", "PIP_NO_INDEX"):
        env.pop(name, None)
    return env


def target_state(venv: Venv) -> dict:
    """Every file of the venv but envdoctor's own journal (which records the attempt)."""
    return {path: value for path, value in tree_state(venv.root).items() if not path.startswith(".envdoctor")}


def test_failed_verification_rolls_back(run_envdoctor, tmp_path):
    plugins = install_fixer_plugin(tmp_path / "plugins", PLUGIN_FIXER)
    venv = make_venv(tmp_path / "venv")
    before = tree_state(venv.site_packages)

    env = offline_env(PYTHONPATH=str(plugins))
    result = run_envdoctor("fix", "--python", venv.python, "--yes", "--select", "TST001", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "verification failed: TST001 marker.txt is missing is still reported" in result.stderr
    assert "rolled back (verification failed)" in result.stderr
    assert tree_state(venv.site_packages) == before  # not-the-marker.txt is gone again
    listed = run_envdoctor("undo", "--list", "--python", venv.python, cwd=tmp_path, env=env)
    assert "rolled-back" in listed.stdout


def test_failed_pip_step_rolls_back_what_the_plan_had_done(run_envdoctor, tmp_path):
    """The marker is written (step 1), the target's pip cannot reach its index (step 2): the whole
    entry is rolled back, and the venv is byte-identical to before."""
    plugins = install_fixer_plugin(tmp_path / "plugins", STEP_FAILS_FIXER)
    venv = venv_with_pip(tmp_path / "venv")
    before = target_state(venv)

    env = unreachable_index_env(PYTHONPATH=str(plugins))
    result = run_envdoctor("fix", "--python", venv.python, "--yes", "--select", "TST001", cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "--index-url http://127.0.0.1:9/simple" in result.stdout  # the plan showed the pip step
    assert "step 2 failed (exit 1)" in result.stderr, result.stderr
    assert "rolled back (a step failed)" in result.stderr
    assert not (venv.site_packages / "marker.txt").exists()
    assert target_state(venv) == before
    listed = run_envdoctor("undo", "--list", "--python", venv.python, cwd=tmp_path, env=env)
    assert "rolled-back" in listed.stdout, listed.stdout


def test_fix_that_adds_a_new_error_is_rolled_back(run_envdoctor, tmp_path):
    """TST001 is fixed, but the plan also wrote a .pth whose import fails at every start (PTH002):
    verification sees the new error and puts everything back."""
    plugins = install_fixer_plugin(tmp_path / "plugins", NEW_ERROR_FIXER)
    venv = make_venv(tmp_path / "venv")
    before = target_state(venv)

    env = offline_env(PYTHONPATH=str(plugins))
    found = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path, env=env)
    assert found.codes() == ["TST001"], found.stdout  # all checks run, before and in verification
    result = run_envdoctor("fix", "--python", venv.python, "--yes", cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "verification failed: new error PTH002 line 1 of" in result.stderr, result.stderr
    assert "is still reported" not in result.stderr  # the marker itself was right
    assert "rolled back (verification failed)" in result.stderr
    assert target_state(venv) == before
    assert venv.run("import sys").stderr == ""  # the broken .pth no longer runs at start-up


def test_crashed_verification_probe_rolls_back(run_envdoctor, tmp_path):
    """The plan replaces bin/python with a text file: the verification probe cannot run, and the
    fix is rolled back rather than declared done (or left half-applied)."""
    plugins = install_fixer_plugin(tmp_path / "plugins", BROKEN_INTERPRETER_FIXER)
    venv = make_venv(tmp_path / "venv")
    before = target_state(venv)

    env = offline_env(PYTHONPATH=str(plugins))
    result = run_envdoctor("fix", "--python", venv.python, "--yes", "--select", "TST001", cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "verification could not run:" in result.stderr, result.stderr
    assert "rolled back (verification could not run)" in result.stderr
    assert target_state(venv) == before
    assert venv.run("print('alive')").stdout == "alive\n"


def test_namespace_masquerade_reinstalled_in_compat_mode(run_envdoctor, tmp_path):
    """sgl-project/sglang#22363: after the fix, `from aiterx import ...` works from the folder where it failed."""
    venv = venv_with_pip(tmp_path / "venv")
    workspace = tmp_path / "sgl-workspace"
    project = install_flat_layout_editable(venv, workspace)
    probe = AITERX_IMPORT
    assert "(unknown location)" in venv.run(probe, cwd=workspace).stderr
    broken = state(venv)

    result = run_envdoctor("fix", "--python", venv.python, "--cwd", workspace, "--yes", "--select", "NSP001",
                           cwd=tmp_path, env=offline_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"--config-settings editable_mode=compat -e {project}" in result.stdout
    assert venv.run(probe, cwd=workspace).returncode == 0

    assert run_envdoctor("undo", "--python", venv.python, cwd=tmp_path).returncode == 0
    assert state(venv) == broken
    assert "(unknown location)" in venv.run(probe, cwd=workspace).stderr


# A package written as SGLang's layers are: triton imported at module level, kernels
# decorated at import time, a KernelInterface subclass, a compiler import.
KERNELS = '''
import triton
import triton.language as tl
import triton.compiler.compiler
from triton.runtime import KernelInterface


@triton.autotune(configs=[triton.Config({"BLOCK": 64}, num_warps=4)], key=["n"])
@triton.jit
def add_kernel(x, y, out, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)


class Launcher(triton.runtime.KernelInterface):
    pass


def blocks(n):
    return triton.cdiv(n, 64)
'''

STUB_FACTS = (
    "import triton, triton.language as tl, kernelpkg\n"
    "from packaging.version import Version\n"
    "print(triton.__envdoctor_stub__, triton.__version__, Version(triton.__version__) < Version('1'), kernelpkg.blocks(130))\n"
    "try:\n    kernelpkg.add_kernel[(1,)](1, 2, 3, 4)\nexcept RuntimeError as exc:\n    print('refused' if 'stub' in str(exc) else exc)\n"
)


@pytest.mark.parametrize("minor", ["3.11", "3.12"])
def test_triton_stub_lets_a_cpu_only_machine_import_triton_users(run_envdoctor, tmp_path, minor):
    base = require_python(minor)
    venv = make_venv(tmp_path / "venv", base)
    venv.install("packaging")
    venv.install_files(build_wheel(tmp_path / "wheels", "kernelpkg", "1.0", {"kernelpkg/__init__.py": KERNELS}))
    assert "No module named 'triton'" in venv.run("import kernelpkg").stderr
    broken = state(venv)
    scan = ("--scan", "kernelpkg")

    found = run_envdoctor("check", "--python", venv.python, *scan, "--format", "json", cwd=tmp_path)
    assert found.returncode == 1 and "STK003" in found.codes(), found.stdout

    result = fix(run_envdoctor, venv, "--yes", "--unsafe", "--select", "STK003", *scan, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "envdoctor-stub-triton.pth" in result.stdout and "fixed: STK003" in result.stderr
    works = venv.run(STUB_FACTS)
    assert works.returncode == 0, works.stderr
    assert works.stdout.split() == ["True", "0.0.0+envdoctor.stub", "True", "3", "refused"]
    assert venv.run("import importlib.metadata as m; m.version('triton')").returncode == 1  # no fake metadata
    after = run_envdoctor("check", "--python", venv.python, *scan, "--format", "json", cwd=tmp_path)
    assert not {"STK003", "IMP003", "HOOK001"} & set(after.codes()), after.stdout

    # A real triton on sys.path (here a folder in the working directory) always wins over the stub.
    (tmp_path / "real" / "triton").mkdir(parents=True)
    (tmp_path / "real" / "triton" / "__init__.py").write_text("__version__ = '3.6.0'\n")
    real = venv.run("import triton; print(triton.__version__, hasattr(triton, '__envdoctor_stub__'))", cwd=tmp_path / "real")
    assert real.stdout.split() == ["3.6.0", "False"], real.stderr

    assert run_envdoctor("undo", "--python", venv.python, cwd=tmp_path).returncode == 0
    assert state(venv) == broken
    assert venv.run("import kernelpkg").returncode == 1
