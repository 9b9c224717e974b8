"""The torch-patches shim (KB001) on a real torch: its post-import hook, its version guard, undo.

The only torch this suite may install is the 2.13.0 CPU wheel, which already
carries the upstream fix (pytorch/pytorch#177558).  To see the shim repair the
bug, a copy of that real torch is turned back into the code before the fix: the
builtins block is cut out of torch/_dynamo/convert_frame.py and the version
set to 2.11.0, so `GraphCaptureOutput.get_runtime_env` behaves as in torch
< 2.12 and KB001 matches.  The guard is shown on the same venv with the
version put back to 2.13.0: the shim then changes nothing.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import require_python
from tests.e2e.test_fix import fix, state
from tests.helpers.venvs import make_venv
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow

UPSTREAM_FIX = re.compile(r"\n        # Best-effort serialization of builtins.*?\n(?=        return GraphRuntimeEnv\()", re.S)

# Builds the object torch's AOT path asks for its runtime environment, for a function that
# uses the builtin `type`, and prints whether `type` is serialized with it.
RUNTIME_ENV = """
import types, sys
from torch._dynamo import convert_frame
capture = object.__new__(convert_frame.GraphCaptureOutput)
def uses_a_builtin(x):
    return type(x)
fields = dict(output_graph=types.SimpleNamespace(export_metadata=types.SimpleNamespace(graph_input_idx_to_local_source={})),
              f_globals={}, bytecode=uses_a_builtin.__code__, pycode=[], import_sources={}, closure=None,
              argdefs=None, kwdefaults=None)
for name, value in fields.items():
    object.__setattr__(capture, name, value)
env = capture.get_runtime_env()
shim = sys.modules.get("envdoctor_shim_torch_patches")
print(sorted(env.external_refs), "type" in env.used_globals, shim.APPLIED if shim else None)
"""


def set_torch_version(venv, version: str) -> None:
    version_py = venv.site_packages / "torch" / "version.py"
    version_py.write_text(re.sub(r"__version__ = .*", f"__version__ = '{version}'", version_py.read_text()))
    info = next(venv.site_packages.glob("torch-*.dist-info"))
    metadata = info / "METADATA"
    metadata.write_text(re.sub(r"(?m)^Version: .*$", f"Version: {version}", metadata.read_text(), count=1))


@pytest.fixture
def pre_fix_torch(tmp_path):
    python = require_python("3.11", "for the torch 2.13.0 cp311 wheel")
    venv = make_venv(tmp_path / "venv", python)
    venv.install("torch==2.13.0")
    source = venv.site_packages / "torch" / "_dynamo" / "convert_frame.py"
    text, cut = UPSTREAM_FIX.subn("\n", source.read_text())
    assert cut == 1, "torch 2.13.0's builtins block was not found: the test's model of the upstream fix is stale"
    source.write_text(text)
    set_torch_version(venv, "2.11.0+cpu")
    venv.install_files(build_wheel(tmp_path / "wheels", "vllm", "0.33.0", {"vllm/__init__.py": ""}), extra=["--no-deps"])
    return venv


def test_torch_patches_shim_serializes_builtins_and_is_guarded(run_envdoctor, pre_fix_torch, tmp_path):
    venv = pre_fix_torch
    before = venv.run(RUNTIME_ENV)
    assert before.returncode == 0, before.stderr
    assert before.stdout.split() == ["['type']", "False", "None"]  # the bug: `type` is left out
    broken = state(venv)
    found = run_envdoctor("check", "--python", venv.python, "--select", "KB001", "--strict", "--format", "json", cwd=tmp_path)
    assert found.returncode == 1 and found.codes() == ["KB001"]

    result = fix(run_envdoctor, venv, "--yes", "--unsafe", "--select", "KB001", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "envdoctor_post_import.py" in result.stdout and "fixed: KB001" in result.stderr
    after = venv.run(RUNTIME_ENV)
    assert after.stdout.split() == ["['type']", "True", "['aot-builtins']"], after.stderr
    # The hook imports nothing at start-up: torch stays unimported until the program imports it.
    assert venv.run("import sys; print('torch' in sys.modules, 'envdoctor_post_import' in sys.modules)").stdout.split() == ["False", "True"]
    assert run_envdoctor("check", "--python", venv.python, "--select", "KB001", "--strict", cwd=tmp_path).returncode == 0

    # The guard: on a torch that has the upstream fix the shim leaves torch alone.
    set_torch_version(venv, "2.13.0+cpu")
    guarded = venv.run(RUNTIME_ENV + "print(getattr(convert_frame.GraphCaptureOutput.get_runtime_env, '__envdoctor_patch__', False))")
    assert guarded.stdout.split()[-2:] == ["[]", "False"], guarded.stdout + guarded.stderr
    set_torch_version(venv, "2.11.0+cpu")

    assert run_envdoctor("undo", "--python", venv.python, cwd=tmp_path).returncode == 0
    assert state(venv) == broken
