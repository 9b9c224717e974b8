"""Packages outside stack.py's names that require the stack are the stack (issue 17, family 3).

A CPU-only Linux venv with torch 2.13.0+cpu and no triton, and flash-linear-attention 0.5.2
with fla-core 0.5.2 installed --no-deps: real wheels, read before writing this.
flash-linear-attention ships fla.layers and fla.models and requires transformers (a stack
package); fla-core ships fla/__init__.py, fla.modules and fla.ops, whose torch and triton
requirements stand behind extras, and imports triton at module level in fla.modules and
fla.ops.  `import fla` works without triton (fla/__init__.py catches the ModuleNotFoundError),
`import fla.layers` does not.  Neither name is in stack.py: before issue 17 nothing was
scanned here and STK003 said nothing.

liger-kernel 0.8.5 (from PyPI, --no-deps) is the second: `import liger_kernel` works without
triton (its backends load lazily), `import liger_kernel.transformers`, the module its users
import, does not; and it declares triton>=2.3.1, so REQ001 says "triton is missing" about the
same problem.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import clean_env, require_python
from tests.e2e.test_fix import offline_env
from tests.e2e.test_real_world import install_pinned
from tests.helpers.venvs import make_venv, tree_state
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow

# torch (the CPU wheel, no triton) and what transformers 5.24 needs, as pinned in test_real_world's stack (2).
BASE = """
annotated-doc==0.0.7 annotated-types==0.8.0 anyio==4.16.0 click==8.5.1 einops==0.8.2 filelock==4.3.1 fsspec==2026.9.0
h11==0.16.0 hf-xet==1.8.0 httpcore2==2.16.2 httpx2==2.16.2 huggingface_hub==2.4.0 idna==3.20 Jinja2==3.1.6
markdown-it-py==4.3.0 MarkupSafe==3.0.4 mdurl==0.1.2 mpmath==1.3.0 networkx==3.6.1 numpy==2.4.6 packaging==26.4
pydantic==2.14.4 pydantic_core==2.50.5 Pygments==2.21.0 PyYAML==6.0.4 regex==2026.11.19 rich==15.0.0
safetensors==0.8.0 setuptools==84.2.1 shellingham==1.5.4 sympy==1.14.0 tokenizers==0.23.3 torch==2.13.0+cpu
tqdm==4.70.1 transformers==5.24.0 truststore==0.10.5 typer==0.29.2 typing-inspection==0.4.5 typing_extensions==4.16.0
""".split()
FLA_CORE = "fla-core==0.5.2"
FLA = "flash-linear-attention==0.5.2"
# What a user of flash-linear-attention imports (its README: `from fla.layers import ...`).
USE_FLA = "import fla.layers, fla.models; from fla.layers import GatedDeltaNet; print('imported')"
LIGER = "liger-kernel==0.8.5"
# What a user of liger-kernel imports (its README: `from liger_kernel.transformers import ...`).
USE_LIGER = "from liger_kernel.transformers import AutoLigerKernelForCausalLM, apply_liger_kernel_to_llama; print('imported')"
# liger-kernel 0.8.5's output_classes.py imports, under try/except ImportError, classes transformers 5.24 no longer has.
LIGER_API_DRIFT = [
    ("IMP002", f"liger_kernel.transformers.model.output_classes -> transformers.models.{module} ({name})") for module, name in (
        ("glm4v_moe.modeling_glm4v_moe", "Glm4vMoeCausalLMOutputWithPast"),
        ("qwen2_5_vl.modeling_qwen2_5_vl", "Qwen2_5_VLCausalLMOutputWithPast"),
        ("qwen2_vl.modeling_qwen2_vl", "Qwen2VLCausalLMOutputWithPast"),
        ("qwen3_5.modeling_qwen3_5", "Qwen3_5CausalLMOutputWithPast"),
        ("qwen3_vl.modeling_qwen3_vl", "Qwen3VLCausalLMOutputWithPast"),
    )
]
COMPILE_ON_CPU = "import torch; print(torch.compile(lambda x: x.sin() + 1)(torch.zeros(2)).tolist())"


@pytest.fixture(scope="module")
def fla_venv(tmp_path_factory):
    venv = make_venv(tmp_path_factory.mktemp("fla") / "venv", require_python("3.11", "for torch 2.13.0+cpu"))
    install_pinned(venv, [*BASE, FLA_CORE, FLA])
    return venv


@pytest.fixture(scope="module")
def liger_venv(tmp_path_factory):
    venv = make_venv(tmp_path_factory.mktemp("liger") / "venv", require_python("3.11", "for torch 2.13.0+cpu"))
    install_pinned(venv, [*BASE, LIGER])
    return venv


def _check(run_envdoctor, venv, cwd, *extra):
    env = clean_env(ENVDOCTOR_CACHE_DIR=str(cwd / "cache"))
    result = run_envdoctor("check", "--python", venv.python, "--format", "json", *extra, cwd=cwd, env=env, timeout=600)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return result


def _above_info(result):
    return sorted((f["code"], f["subject"]) for f in result.json["findings"] if f["severity"] != "info")


def test_triton_import_of_a_package_that_requires_the_stack_is_found_and_stubbed(run_envdoctor, fla_venv, tmp_path):
    assert "No module named 'triton'" in fla_venv.run(USE_FLA).stderr
    assert fla_venv.run("import fla").returncode == 0  # its top-level import is guarded

    found = _check(run_envdoctor, fla_venv, tmp_path)
    assert _above_info(found) == [("STK003", "fla-core")], found.stdout
    stk003 = next(f for f in found.json["findings"] if f["code"] == "STK003")
    assert "run by import fla.layers (flash-linear-attention 0.5.2), import fla.models (flash-linear-attention 0.5.2)" in stk003["title"]
    # Both were scanned by default, as stack members (their other imports are info).
    subjects = {f["subject"].split(" ->")[0] for f in found.json["findings"] if f["code"] == "IMP003"}
    assert {"fla-core", "flash-linear-attention"} <= subjects, subjects

    before = tree_state(fla_venv.site_packages)
    fixed = run_envdoctor("fix", "--python", fla_venv.python, "--yes", "--unsafe", "--select", "STK003", cwd=tmp_path,
                          env=offline_env(ENVDOCTOR_CACHE_DIR=str(tmp_path / "cache")), timeout=600)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    works = fla_venv.run(USE_FLA)
    assert works.returncode == 0 and works.stdout.split() == ["imported"], works.stderr
    # The stub leaves torch.compile's CPU path working (torch imports triton when it can).
    compiled = fla_venv.run(COMPILE_ON_CPU)
    assert compiled.returncode == 0 and compiled.stdout.strip() == "[1.0, 1.0]", compiled.stderr[-2000:]
    assert "STK003" not in _check(run_envdoctor, fla_venv, tmp_path).codes()

    assert run_envdoctor("undo", "--python", fla_venv.python, cwd=tmp_path).returncode == 0
    assert tree_state(fla_venv.site_packages) == before
    assert fla_venv.run(USE_FLA).returncode == 1


def test_deep_imports_the_joined_packages_too(run_envdoctor, fla_venv, tmp_path):
    snapshot = tmp_path / "facts.json"
    env = clean_env(ENVDOCTOR_CACHE_DIR=str(tmp_path / "cache"))
    result = run_envdoctor("snapshot", "--python", fla_venv.python, "--deep", "-o", snapshot, cwd=tmp_path, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    attempts = {a["module"]: a["ok"] for a in json.loads(snapshot.read_text())["deep"]["imports"]}
    assert attempts == {"torch": True, "fla": True}, attempts


def test_triton_import_run_by_a_public_subpackage_is_found_once_and_stubbed(run_envdoctor, liger_venv, tmp_path):
    """liger-kernel: the top-level import is fine, `import liger_kernel.transformers` is not.
    One finding (STK003, which says REQ001's missing triton too), one fix (the stub)."""
    assert liger_venv.run("import liger_kernel").returncode == 0
    assert "No module named 'triton'" in liger_venv.run(USE_LIGER).stderr

    found = _check(run_envdoctor, liger_venv, tmp_path)
    assert _above_info(found) == sorted([*LIGER_API_DRIFT, ("STK003", "liger_kernel")]), found.stdout
    assert "REQ001" not in found.codes()
    stk003 = next(f for f in found.json["findings"] if f["code"] == "STK003")
    assert "import liger_kernel.transformers (liger_kernel 0.8.5)" in stk003["title"]
    assert "fails on: import liger_kernel.transformers (liger_kernel 0.8.5)" in stk003["evidence"]
    assert any("Requires-Dist: triton>=2.3.1 (REQ001's missing requirement" in line for line in stk003["evidence"])
    # chunked_loss imports no triton: it is not named.
    assert "liger_kernel.chunked_loss" not in stk003["title"] + " ".join(stk003["evidence"])

    before = tree_state(liger_venv.site_packages)
    fixed = run_envdoctor("fix", "--python", liger_venv.python, "--yes", "--unsafe", "--select", "STK003", cwd=tmp_path,
                          env=offline_env(ENVDOCTOR_CACHE_DIR=str(tmp_path / "cache")), timeout=600)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    works = liger_venv.run(USE_LIGER)
    assert works.returncode == 0 and works.stdout.split() == ["imported"], works.stderr[-2000:]
    after = _check(run_envdoctor, liger_venv, tmp_path)
    assert _above_info(after) == sorted(LIGER_API_DRIFT), after.stdout
    # REQ001 stays replaced: the stub is what serves triton's imports here, said as info.
    assert [(f["code"], f["subject"], f["severity"]) for f in after.json["findings"] if f["code"] in ("STK003", "REQ001")] == [
        ("STK003", "triton", "info")]

    assert run_envdoctor("undo", "--python", liger_venv.python, cwd=tmp_path).returncode == 0
    assert tree_state(liger_venv.site_packages) == before


LAZY_TRITON = {
    "lazykern/__init__.py": "",
    # Public subpackages that import triton only when a kernel is asked for, or under try/except.
    "lazykern/ops/__init__.py": "def kernel():\n    import triton\n    return triton\n",
    "lazykern/layers/__init__.py": "try:\n    import triton\nexcept ImportError:\n    triton = None\n",
}


def test_fla_core_alone_and_lazy_triton_subpackages_are_clean(run_envdoctor, tmp_path):
    """Near misses in one venv: fla-core without flash-linear-attention requires nothing of
    the stack that is in force (torch and triton behind extras nobody requests), and
    `import fla` works; lazykern requires torch (it is stack) and its public subpackages
    import triton only inside a function or under try/except, so every import works."""
    venv = make_venv(tmp_path / "venv", require_python("3.11", "for torch 2.13.0+cpu"))
    install_pinned(venv, [*BASE, FLA_CORE])  # also the plain torch + transformers healthy counterpart
    venv.install_files(build_wheel(tmp_path / "wheels", "lazykern", "1.0", LAZY_TRITON, requires=["torch"]), extra=["--no-deps"])
    assert venv.run("import fla, lazykern.ops, lazykern.layers").returncode == 0
    result = _check(run_envdoctor, venv, tmp_path)
    # The truth about lazykern's triton imports, as info: they run only when triton is there or asked for.
    assert [(f["code"], f["subject"], f["severity"]) for f in result.json["findings"]] == [
        ("IMP003", "lazykern -> triton", "info")], result.stdout
