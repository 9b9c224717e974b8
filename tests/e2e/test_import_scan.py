"""The import scanner end to end, on real venvs with real pip-installed wheels.

consumerx reproduces the two upstream breakages: a dead import left by a refactor
(sgl-project/sglang#24069: a module deleted while one file still imports from it) and
a provider upgrade that moved an API (sgl-project/sglang#25335: `triton_kernels.routing`
gone).  Each must be an error with file and line; the healthy imports beside them must
not be reported; and the dead import must really crash the interpreter, so the finding
is shown to be true, not just consistent.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import clean_env
from tests.helpers.venvs import WHEEL_CACHE, Venv, make_venv, pip, tree_state
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow

PROVIDER = {
    "providerx/__init__.py": "",
    "providerx/topk.py": "def topk(x):\n    return x\n",
    "providerx/matmul.py": "def matmul(a, b):\n    return a\n",
}

CONSUMER = {
    "consumerx/__init__.py": "from consumerx import server\n",
    "consumerx/server.py": (
        "from consumerx.layers.activation import gelu\n"
        "from providerx.matmul import matmul\n"
        "import providerx.topk\n"
        "\n"
        "def start_moe():\n"
        "    from consumerx.layers.moe_native import run\n"
        "    return run()\n"
    ),
    "consumerx/layers/__init__.py": "",
    "consumerx/layers/activation.py": "def gelu():\n    return 1\n\ndef swiglu_with_alpha_and_limit():\n    return 2\n",
    "consumerx/layers/moe_native.py": (
        "from consumerx.layers.activation import gelu\n"
        "from consumerx.layers.old_moe.kernels import swiglu_with_alpha_and_limit  # moved in a refactor\n"
        "\n"
        "def run():\n"
        "    return swiglu_with_alpha_and_limit()\n"
    ),
    "consumerx/moe/__init__.py": "",
    "consumerx/moe/triton_backend.py": (
        "import providerx.topk\n"
        "from providerx.routing import routing\n"
        "from providerx.matmul import matmul, fused_matmul\n"
    ),
}


def offline_env() -> dict:
    return clean_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(WHEEL_CACHE), PIP_DISABLE_PIP_VERSION_CHECK="1")


@pytest.fixture
def consumer_venv(tmp_path) -> Venv:
    wheels = tmp_path / "wheels"
    provider = build_wheel(wheels, "providerx", "2.0", PROVIDER)
    consumer = build_wheel(wheels, "consumerx", "1.0", CONSUMER, requires=["providerx>=2"])
    venv = make_venv(tmp_path / "venv")
    venv.install("pip")
    venv.install_files(provider, consumer)
    return venv


def check(run_envdoctor, venv, *extra, cwd, cache):
    env = clean_env(ENVDOCTOR_CACHE_DIR=str(cache))
    return run_envdoctor("check", "--python", venv.python, "--format", "json", *extra, cwd=cwd, env=env)


def test_dead_import_and_api_drift_are_errors_with_file_and_line(run_envdoctor, consumer_venv, tmp_path):
    # The findings are true: these imports really crash, and the healthy package imports.
    assert consumer_venv.run("import consumerx").returncode == 0
    crash = consumer_venv.run("import consumerx.layers.moe_native")
    assert "No module named 'consumerx.layers.old_moe'" in crash.stderr
    assert "No module named 'providerx.routing'" in consumer_venv.run("import consumerx.moe.triton_backend").stderr

    result = check(run_envdoctor, consumer_venv, "--scan", "consumerx", "--select", "IMP", cwd=tmp_path, cache=tmp_path / "cache")
    assert result.returncode == 1, result.stdout + result.stderr
    found = {(f["code"], f["severity"], Path(f["location"]["path"]).name, f["location"]["line"]) for f in result.json["findings"]}
    assert found == {
        ("IMP001", "error", "moe_native.py", 2),
        ("IMP002", "error", "triton_backend.py", 2),
        ("IMP002", "error", "triton_backend.py", 3),
    }
    dead = result.findings("IMP001")[0]
    assert dead["title"] == (
        "consumerx 1.0 imports swiglu_with_alpha_and_limit from consumerx.layers.old_moe.kernels; "
        "consumerx 1.0 (installed) has no module consumerx.layers.old_moe"
    )
    assert "did you mean consumerx.layers.activation.swiglu_with_alpha_and_limit?" in dead["evidence"]
    assert dead["fix"]["kind"] == "patch"
    titles = sorted(f["title"] for f in result.findings("IMP002"))
    assert titles == [
        "consumerx 1.0 imports fused_matmul from providerx.matmul; providerx 2.0 (installed) has no name fused_matmul there",
        "consumerx 1.0 imports routing from providerx.routing; providerx 2.0 (installed) has no module providerx.routing",
    ]

    # A second run is served from the cache and says the same.
    again = check(run_envdoctor, consumer_venv, "--scan", "consumerx", "--select", "IMP", cwd=tmp_path, cache=tmp_path / "cache")
    assert again.json["findings"] == result.json["findings"]
    # --no-scan: the import checks are skipped, not passed.
    skipped = check(run_envdoctor, consumer_venv, "--no-scan", "--select", "IMP", cwd=tmp_path, cache=tmp_path / "cache")
    assert skipped.returncode == 0 and {s["code"] for s in skipped.json["skipped"]} == {"IMP001", "IMP002", "IMP003", "IMP004"}


def test_patch_fixer_repoints_the_dead_import_and_undo_restores_it(run_envdoctor, consumer_venv, tmp_path):
    env = clean_env(ENVDOCTOR_CACHE_DIR=str(tmp_path / "cache"))
    target = consumer_venv.site_packages / "consumerx" / "layers" / "moe_native.py"
    before = tree_state(consumer_venv.site_packages)

    plan = run_envdoctor("fix", "--python", consumer_venv.python, "--scan", "consumerx", "--select", "IMP001", "--dry-run", cwd=tmp_path, env=env)
    assert "-from consumerx.layers.old_moe.kernels import swiglu_with_alpha_and_limit  # moved in a refactor" in plan.stdout
    assert "+from consumerx.layers.activation import swiglu_with_alpha_and_limit  # moved in a refactor" in plan.stdout

    applied = run_envdoctor("fix", "--python", consumer_venv.python, "--scan", "consumerx", "--select", "IMP001", "--yes", "--unsafe", cwd=tmp_path, env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "fixed: IMP001" in applied.stderr
    assert consumer_venv.run("from consumerx.layers.moe_native import run; assert run() == 2").returncode == 0
    after = check(run_envdoctor, consumer_venv, "--scan", "consumerx", "--select", "IMP001", cwd=tmp_path, cache=tmp_path / "cache")
    assert after.returncode == 0 and after.findings("IMP001") == []

    undone = run_envdoctor("undo", "--python", consumer_venv.python, cwd=tmp_path, env=env)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert "from consumerx.layers.old_moe.kernels import" in target.read_text()
    restored = tree_state(consumer_venv.site_packages)
    assert {k: v for k, v in restored.items() if "__pycache__" not in k} == {k: v for k, v in before.items() if "__pycache__" not in k}
    assert check(run_envdoctor, consumer_venv, "--scan", "consumerx", "--select", "IMP001", cwd=tmp_path, cache=tmp_path / "cache").returncode == 1


def test_stack_distributions_are_scanned_without_asking(run_envdoctor, tmp_path):
    """An installed flashinfer-python is scanned by default; a dead import in a function is found."""
    wheel = build_wheel(tmp_path / "wheels", "flashinfer-python", "0.6.11", {
        "flashinfer/__init__.py": "def fused_moe():\n    from flashinfer.comm.allreduce_v1 import workspace\n    return workspace\n",
        "flashinfer/comm/__init__.py": "",
    })
    venv = make_venv(tmp_path / "venv")
    pip("--python", str(venv.python), "install", "--no-deps", str(wheel))
    result = check(run_envdoctor, venv, "--select", "IMP", cwd=tmp_path, cache=tmp_path / "cache")
    (finding,) = result.findings("IMP001")
    assert finding["location"]["line"] == 2 and "inside a function" in " ".join(finding["evidence"])


def test_scan_of_an_unknown_name_is_a_usage_error(run_envdoctor, tmp_path):
    venv = make_venv(tmp_path / "venv")
    result = run_envdoctor("check", "--python", venv.python, "--scan", "no-such-dist-xyz", cwd=tmp_path, env=offline_env())
    assert result.returncode == 2
    assert "--scan no-such-dist-xyz: neither a folder nor a distribution installed in the target" in result.stderr


SGLANG = "sglang==0.5.23"
# The eight real dead imports of sglang 0.5.23, triaged by hand in docs/scan-results.md.
SGLANG_DEAD_IMPORTS = {
    ("layers/attention/hip_flash_mla.py", 265), ("layers/attention/hip_flash_mla.py", 266),
    ("layers/attention/hip_flash_mla.py", 272), ("layers/attention/hip_flash_mla.py", 374),
    ("layers/moe/token_dispatcher/pplx.py", 271), ("models/beam.py", 450),
    ("models/deepseek_common/utils.py", 104), ("multimodal/processors/mimo_v2.py", 1228),
}


def test_real_sglang_release_has_exactly_its_known_dead_imports(run_envdoctor, tmp_path):
    """The released sglang wheel (no dependencies): the eight dead imports, nothing else above info."""
    import sys

    if sys.version_info[:2] != (3, 11):
        pytest.skip("sglang 0.5.23 ships a cp311 wheel; the test runner is not Python 3.11")
    if not list(WHEEL_CACHE.glob("sglang-0.5.23-*.whl")):
        # --no-deps: resolving sglang's requirements would download torch and CUDA wheels.
        pip("download", "--no-deps", "--only-binary", ":all:", "-d", str(WHEEL_CACHE), SGLANG)
    venv = make_venv(tmp_path / "venv")
    pip("--python", str(venv.python), "install", "--no-deps", "--no-index", "--find-links", str(WHEEL_CACHE), SGLANG)
    result = check(run_envdoctor, venv, "--select", "IMP", cwd=tmp_path, cache=tmp_path / "cache")
    above_info = [f for f in result.json["findings"] if f["severity"] != "info"]
    where = {(f["location"]["path"].split("/sglang/srt/", 1)[1], f["location"]["line"]) for f in above_info}
    assert where == SGLANG_DEAD_IMPORTS and {f["code"] for f in above_info} == {"IMP001"}
    pplx = next(f for f in above_info if f["location"]["path"].endswith("pplx.py"))
    assert pplx["fix"]["parameters"]["moves"] == {"sglang_per_token_group_quant_fp8": "sglang.kernels.ops.quantization.fp8_kernel"}


def test_config_scan_list_and_its_errors(run_envdoctor, tmp_path):
    """`scan = [...]` in [tool.envdoctor] adds a source folder; a misspelt key is exit 2 naming it."""
    project = tmp_path / "project"
    (project / "src" / "app").mkdir(parents=True)
    (project / "src" / "app" / "__init__.py").write_text("")
    (project / "src" / "app" / "main.py").write_text("def serve():\n    from app.handlers import route\n")
    (project / "pyproject.toml").write_text('[tool.envdoctor]\nscan = ["src"]\n')
    venv = make_venv(tmp_path / "venv")
    result = check(run_envdoctor, venv, "--select", "IMP", cwd=project, cache=tmp_path / "cache")
    (finding,) = result.findings("IMP001")
    assert finding["location"]["path"] == str(project / "src" / "app" / "main.py") and finding["location"]["line"] == 2
    (project / "pyproject.toml").write_text('[tool.envdoctor]\nscna = ["src"]\n')
    bad = check(run_envdoctor, venv, cwd=project, cache=tmp_path / "cache")
    assert bad.returncode == 2 and "unknown key 'scna' in [tool.envdoctor]" in bad.stderr


# A package whose private functions are run from outside its own code (a console script, another
# distribution's plugin loader) or from nowhere the scanner can see; each imports a module that is
# gone.  Each function also has a caller inside the package under `if sys.platform == "win32":`,
# False on Linux, which alone would make the scanner conclude "never runs" (except _orphan: no caller).
LIBA = {
    "liba/__init__.py": "",
    "liba/cli.py": (
        "import sys\n"
        "\n"
        "def _main():\n"
        "    from liba.gone import run\n"
        "    return run()\n"
        "\n"
        "def public():\n"
        "    from liba.gone2 import run\n"
        "    return run()\n"
        "\n"
        "if sys.platform == 'win32':\n"
        "    _main()\n"
    ),
    "liba/plugin.py": (
        "import sys\n"
        "\n"
        "def _register():\n"
        "    from liba.gone3 import hook\n"
        "    return hook\n"
        "\n"
        "if sys.platform == 'win32':\n"
        "    _register()\n"
    ),
    "liba/helpers.py": (
        "import sys\n"
        "\n"
        "def _orphan():\n"  # called by nothing in liba: something outside may (or nothing)
        "    from liba.gone4 import thing\n"
        "\n"
        "def _windows_only():\n"  # the near miss: really never called on Linux
        "    from liba.gone5 import thing\n"
        "\n"
        "if sys.platform == 'win32':\n"
        "    _windows_only()\n"
    ),
    "liba-1.0.dist-info/entry_points.txt": (
        "[console_scripts]\n"
        "liba = liba.cli:_main\n"
        "\n"
        "[libhost.plugins]\n"
        "liba = liba.plugin:_register [extra]\n"
    ),
}


def test_private_functions_run_from_outside_their_package_keep_their_dead_imports(run_envdoctor, tmp_path):
    """A private function an entry point names, or that nothing in its package calls, may run:
    its dead import keeps its severity.  Only where every caller sits under a condition False on
    the target is it info, with the reason, never dropped."""
    venv = make_venv(tmp_path / "venv")
    venv.install("pip")
    venv.install_files(build_wheel(tmp_path / "wheels", "liba", "1.0", LIBA))
    # The finding is true: the console script fails on every run.
    command = venv.root / "bin" / "liba"
    crash = subprocess.run([str(command)], capture_output=True, text=True, env=clean_env())
    assert crash.returncode != 0 and "No module named 'liba.gone'" in crash.stderr, crash.stderr

    result = check(run_envdoctor, venv, "--scan", "liba", "--select", "IMP", cwd=tmp_path, cache=tmp_path / "cache")
    found = {(f["severity"], Path(f["location"]["path"]).name, f["location"]["line"]) for f in result.json["findings"]}
    assert found == {
        ("error", "cli.py", 4),  # _main: the console script
        ("error", "cli.py", 8),  # public
        ("error", "plugin.py", 4),  # _register: a plugin entry point, extras and all
        ("error", "helpers.py", 4),  # _orphan: no caller in liba
        ("info", "helpers.py", 7),  # _windows_only: only called under a False condition
    }, result.stdout
    windows_only = [f for f in result.json["findings"] if f["location"]["line"] == 7][0]
    assert [line for line in windows_only["evidence"] if "_windows_only is only called under `sys.platform == 'win32'`, False here" in line], windows_only


def test_a_submodule_a_package_finder_provides_at_run_time_is_not_called_missing(run_envdoctor, tmp_path):
    # mpi4py 4 ships MPI.mpich.so and MPI.openmpi.so; `from mpi4py import MPI` works because
    # mpi4py/__init__.py runs `_mpiabi._install_finder()`, a sys.meta_path finder in a module of
    # its own. The H200's default check called lightning's `from mpi4py import MPI` an IMP002 error.
    wheels = tmp_path / "wheels"
    user = build_wheel(wheels, "mpiuser", "1.0", {
        "mpiuser/__init__.py": (
            "def world_size():\n"
            "    from mpi4py import MPI\n"
            "    return MPI.COMM_WORLD.Get_size()\n"
            "\n"
            "def pool():\n"
            "    from mpi4py.futures import NoSuchExecutor  # the near miss: a plain module's missing name\n"
            "    return NoSuchExecutor\n"
        ),
    }, requires=["mpi4py"])
    venv = make_venv(tmp_path / "venv")
    venv.install("mpi4py==4.1.2")
    venv.install_files(user)
    result = check(run_envdoctor, venv, "--scan", "mpiuser", "--select", "IMP", cwd=tmp_path, cache=tmp_path / "cache")
    found = [(f["code"], f["title"]) for f in result.json["findings"]]
    assert [code for code, _ in found] == ["IMP002"], found
    assert "NoSuchExecutor" in found[0][1]


def test_a_vendored_tree_under_a_folder_no_import_can_name_is_not_scanned_as_the_package(run_envdoctor, tmp_path):
    # tilelang 0.1.12 ships TVM's Python sources at tilelang/3rdparty/tvm/python/tvm/ and puts that
    # folder on sys.path at run time. No import statement can name `tilelang.3rdparty...`, so
    # resolving those files' relative imports against it made false IMP001 errors.
    wheels = tmp_path / "wheels"
    vendoring = build_wheel(wheels, "vendoring", "1.0", {
        "vendoring/__init__.py": (
            "import os, sys\n"
            "sys.path.insert(0, os.path.join(os.path.dirname(__file__), '3rdparty', 'engine', 'python'))\n"
            "from engine.core import run  # the vendored tree's own name once it is on sys.path\n"
        ),
        "vendoring/3rdparty/engine/python/engine/__init__.py": "",
        "vendoring/3rdparty/engine/python/engine/core.py": "from ._api import run\n",
        "vendoring/3rdparty/engine/python/engine/_api.py": "def run():\n    return 1\n",
        "vendoring/broken.py": "from vendoring.gone import nothing  # a real dead import, still found\n",
    })
    venv = make_venv(tmp_path / "venv")
    venv.install_files(vendoring)
    runs = venv.run("import vendoring; print(vendoring.run())", cwd=tmp_path, env=clean_env())
    assert runs.stdout.strip() == "1", runs.stderr
    result = check(run_envdoctor, venv, "--scan", "vendoring", "--select", "IMP", cwd=tmp_path, cache=tmp_path / "cache")
    found = [(f["code"], f["severity"], Path(f["location"]["path"]).name) for f in result.json["findings"]]
    # `engine` is not missing either: vendoring ships it and puts its folder on sys.path.
    assert found == [("IMP001", "error", "broken.py")], result.stdout


FFI_REGISTRY = (
    "import sys\n"
    "\n"
    "def init_api(prefix, module_name):\n"
    "    # as tvm_ffi.init_ffi_api does: bind the functions registered under prefix in the module\n"
    "    module = sys.modules[module_name]\n"
    "    for name in ('echo', 'nop'):\n"
    "        setattr(module, name, lambda *args, _n=name: (prefix, _n))\n"
    "\n"
    "def get_logger(name):\n"
    "    return name\n"
)


def test_a_module_filled_by_a_call_given_its_name_has_unknown_names(run_envdoctor, tmp_path):
    # tvm's `_ffi_api.py` files are two lines: `import tvm_ffi` and `tvm_ffi.init_ffi_api("testing",
    # __name__)` (or the module's own dotted name), which binds the registered functions in the
    # module through sys.modules. `from ._ffi_api import echo` works; the scanner called it IMP001.
    wheels = tmp_path / "wheels"
    ffiuser = build_wheel(wheels, "ffiuser", "1.0", {
        "ffiuser/__init__.py": "from ._ffi_api import echo, nop\nfrom .utils import echo as utils_echo\nfrom . import broken\n",
        "ffiuser/broken.py": "def load():\n    from .plain import gone\n    return gone\n",
        "ffiuser/_registry.py": FFI_REGISTRY,
        "ffiuser/_ffi_api.py": "from . import _registry\n_registry.init_api('testing', __name__)\n",
        "ffiuser/utils.py": "from . import _registry\n_registry.init_api('utils', 'ffiuser.utils')\n",
        # The counterpart: a call that keeps its result binds nothing in the module.
        "ffiuser/plain.py": "from . import _registry\nlogger = _registry.get_logger(__name__)\n",
    })
    venv = make_venv(tmp_path / "venv")
    venv.install_files(ffiuser)
    runs = venv.run("from ffiuser._ffi_api import echo, nop; from ffiuser.utils import echo; print(echo())",
                    cwd=tmp_path, env=clean_env())
    assert runs.stdout.strip() == "('utils', 'echo')", runs.stderr
    fails = venv.run("import ffiuser.broken; ffiuser.broken.load()", cwd=tmp_path, env=clean_env())
    assert "cannot import name 'gone' from 'ffiuser.plain'" in fails.stderr, fails.stderr
    result = check(run_envdoctor, venv, "--scan", "ffiuser", "--select", "IMP", cwd=tmp_path, cache=tmp_path / "cache")
    found = [(f["code"], f["severity"], f["title"]) for f in result.json["findings"]]
    assert [(code, severity) for code, severity, _ in found] == [("IMP001", "error")] and "gone" in found[0][2], found
