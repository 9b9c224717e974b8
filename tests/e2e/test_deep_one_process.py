"""--deep imports the stack in one process, torch first; a module that hangs or crashes costs its own answer only.

Real venvs with small stand-in stack packages (flashinfer, sgl_kernel, sglang, vllm are stack
modules by name, probe/deep_probes.py) around a stand-in torch that writes its process id to a
file each time it is imported; `envdoctor snapshot --deep` through the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import clean_env
from tests.helpers.standins import importable_torch
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow

RUN_LIMIT = 120  # the test's own limit on one envdoctor run

# Enough of torch for the deep probe's torch_runtime (in_target/deep_import.py): a CPU build.
STANDIN_TORCH = importable_torch(prelude="""
import os
with open(os.environ["ENVDOCTOR_TEST_TORCH_IMPORTS"], "a") as record:
    record.write("%d\\n" % os.getpid())
""")
USES_TORCH = "import torch\n"
HANGS = "import torch, time\ntime.sleep(600)\n"
SEGFAULTS = "import os, signal, torch\nos.kill(os.getpid(), signal.SIGSEGV)\n"


def stack_venv(new_venv, folder: Path, sources):
    venv = new_venv()
    wheels = [build_wheel(folder, "torch", "2.13.0", {"torch/__init__.py": STANDIN_TORCH})]
    wheels += [build_wheel(folder, distribution, "1.0.0", {f"{module}/__init__.py": source})
               for distribution, module, source in sources]
    venv.install_files(*wheels, extra=["--no-deps"])
    return venv


def deep_snapshot(run_envdoctor, venv, tmp_path, timeout):
    record = tmp_path / "torch-imports"
    record.touch()
    env = clean_env(ENVDOCTOR_TEST_TORCH_IMPORTS=str(record), ENVDOCTOR_CACHE_DIR=str(tmp_path / "cache"))
    result = run_envdoctor("snapshot", "--python", venv.python, "--deep", "--timeout", str(timeout), "--no-scan",
                           cwd=tmp_path, env=env, timeout=RUN_LIMIT)
    assert result.returncode == 0, result.stderr
    imports = [(a["module"], a["outcome"]) for a in result.json["deep"]["imports"]]
    return imports, result.json["deep"]["imports"], record.read_text().split()


def test_torch_is_imported_once_for_every_stack_module(run_envdoctor, new_venv, tmp_path):
    venv = stack_venv(new_venv, tmp_path / "wheels", [("flashinfer-python", "flashinfer", USES_TORCH),
                                                      ("sglang", "sglang", USES_TORCH), ("vllm", "vllm", USES_TORCH)])
    imports, _, torch_pids = deep_snapshot(run_envdoctor, venv, tmp_path, timeout=60)
    assert imports == [("torch", "ok"), ("flashinfer", "ok"), ("sglang", "ok"), ("vllm", "ok")]
    assert len(torch_pids) == 1, f"torch imported by {len(torch_pids)} processes: {torch_pids}"


def test_a_module_that_hangs_or_crashes_costs_its_own_answer_and_the_rest_go_on(run_envdoctor, new_venv, tmp_path):
    venv = stack_venv(new_venv, tmp_path / "wheels", [
        ("flashinfer-python", "flashinfer", USES_TORCH), ("sgl-kernel", "sgl_kernel", HANGS),
        ("sglang", "sglang", SEGFAULTS), ("vllm", "vllm", USES_TORCH)])
    imports, attempts, torch_pids = deep_snapshot(run_envdoctor, venv, tmp_path, timeout=5)
    assert imports == [("torch", "ok"), ("flashinfer", "ok"), ("sgl_kernel", "timeout"), ("sglang", "crash"),
                       ("vllm", "ok")]
    errors = {a["module"]: a["error"] for a in attempts if not a["ok"]}
    assert errors["sgl_kernel"].startswith("the import no result within 5 s (killed)"), errors
    assert errors["sglang"].startswith("the import killed by SIGSEGV"), errors
    # One process up to the hang, one ended by the crash, one for the rest: each imported torch once.
    assert len(torch_pids) == 3 and not any(_alive(int(pid)) for pid in torch_pids), torch_pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# flashinfer's import leaves a change in the process that breaks sglang's import after it; alone,
# sglang imports.  vllm fails alone too.
POISONS = "import os\nos.environ['ENVDOCTOR_TEST_POISONED'] = '1'\n"
FAILS_AFTER_POISON = "import os\nif os.environ.get('ENVDOCTOR_TEST_POISONED'):\n    raise ImportError('poisoned')\n"
FAILS = "raise ImportError('vllm cannot be imported here')\n"


def test_a_failure_caused_by_an_earlier_import_in_the_process_is_not_blamed_on_the_module(
        run_envdoctor, new_venv, tmp_path):
    venv = stack_venv(new_venv, tmp_path / "wheels", [("flashinfer-python", "flashinfer", POISONS),
                                                      ("sglang", "sglang", FAILS_AFTER_POISON), ("vllm", "vllm", FAILS)])
    imports, attempts, _ = deep_snapshot(run_envdoctor, venv, tmp_path, timeout=60)
    assert imports == [("torch", "ok"), ("flashinfer", "ok"), ("sglang", "ok"), ("vllm", "error")]
    assert attempts[-1]["error"] == "ImportError: vllm cannot be imported here"
