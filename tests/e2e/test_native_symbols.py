"""SYM001/SYM002 on real shared objects: a real CPython extension module and the libraries it
needs, built here by `gcc -shared`, installed as a stack package (sgl-kernel) into a real venv,
checked through `envdoctor check --python`, and imported for real under the same environment:
every verdict envdoctor gives is held to what ld.so does with the same files."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

from tests.conftest import clean_env, require_python, skip_or_fail
from tests.helpers.venvs import pip
from tests.helpers.wheels import write_wheel

pytestmark = pytest.mark.slow

GCC = shutil.which("gcc")
DIST, VERSION, PACKAGE, MODULE = "sgl-kernel", "0.3.0", "sgl_kernel", "common_ops"
DOTTED = f"{PACKAGE}.{MODULE}"

# The library the extension was built against (libfoo.so.1 in the package's lib/ folder).
LIBFOO = "int foo_old(void) { return 1; }\nint foo_new(void) { return 2; }\n"
# An older libfoo.so.1, as a container image might put in an LD_LIBRARY_PATH folder: no foo_new.
LIBFOO_OLD = "int foo_old(void) { return 1; }\n"
VERSIONED_MAP = "FOO_1 { global: foo_old; local: *; };\nFOO_2 { global: foo_new; } FOO_1;\n"
VERSIONED_OLD_MAP = "FOO_1 { global: foo_old; foo_new; local: *; };\n"

EXTENSION = r"""
#include <Python.h>
extern int foo_new(void);
extern int foo_optional(void) __attribute__((weak));  /* absent everywhere: must not be reported */
%(extra_decl)s
static PyObject *call(PyObject *self, PyObject *args) {
    return PyLong_FromLong(foo_new() + (foo_optional ? foo_optional() : 0) %(extra_call)s);
}
static PyMethodDef methods[] = {{"call", call, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "common_ops", NULL, -1, methods};
PyMODINIT_FUNC PyInit_common_ops(void) { return PyModule_Create(&module); }
"""


def _gcc(out: Path, source: str, *flags: str) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    source_file = out.parent / (out.name + ".c")
    source_file.write_text(source)
    subprocess.run([GCC, "-shared", "-fPIC", "-O1", "-o", str(out), str(source_file), *flags],
                   check=True, capture_output=True, text=True)
    return out


def _library(folder: Path, source: str, version_map: Optional[str] = None, soname: str = "libfoo.so.1") -> Path:
    flags = [f"-Wl,-soname,{soname}"]
    if version_map is not None:
        (folder / "foo.map").parent.mkdir(parents=True, exist_ok=True)
        (folder / "foo.map").write_text(version_map)
        flags.append(f"-Wl,--version-script={folder / 'foo.map'}")
    return _gcc(folder / soname, source, *flags)


class Build:
    """The extension, its libfoo in $ORIGIN/lib, as a wheel; and a stand-in libfoo elsewhere."""

    def __init__(self, root: Path, python: Path):
        if GCC is None:
            skip_or_fail("no gcc to build the test's shared objects")
        self.root = root
        self.python = python
        paths = json.loads(subprocess.run([str(python), "-c", "import json, sysconfig; print(json.dumps("
                                           "[sysconfig.get_paths()['include'], sysconfig.get_config_var('EXT_SUFFIX')]))"],
                                          capture_output=True, text=True, check=True).stdout)
        self.include, self.suffix = paths
        if not Path(self.include, "Python.h").exists():
            skip_or_fail(f"no Python.h in {self.include} to build a test extension")

    def wheel(self, *, runpath: bool = True, version_map: Optional[str] = None, needs: Sequence[str] = (),
              extra_call: str = "", init: str = "", modules: Optional[Dict[str, str]] = None) -> Path:
        """sgl-kernel with sgl_kernel/common_ops<EXT_SUFFIX> needing libfoo.so.1 (+ `needs`), found
        through DT_RUNPATH (runpath=True) or DT_RPATH $ORIGIN/lib; `init` is sgl_kernel/__init__.py."""
        build = self.root / "build"
        shutil.rmtree(build, ignore_errors=True)
        lib = _library(build / "lib", LIBFOO, version_map)
        link = [f"-L{build / 'lib'}", "-l:libfoo.so.1", "-Wl,-rpath,$ORIGIN/lib",
                "-Wl,--enable-new-dtags" if runpath else "-Wl,--disable-new-dtags", "-Wl,--no-as-needed"]
        extra_decl = "".join(f"extern int {symbol}(void);\n" for symbol, _ in needs)
        for symbol, soname in needs:
            _library(build / "needs", f"int {symbol}(void) {{ return 0; }}\n", soname=soname)
            link += [f"-L{build / 'needs'}", f"-l:{soname}"]
        extension = _gcc(build / f"{MODULE}{self.suffix}", EXTENSION % {"extra_decl": extra_decl, "extra_call": extra_call},
                         f"-I{self.include}", *link)
        contents: Dict[str, bytes] = {
            f"{PACKAGE}/__init__.py": init.encode(),
            f"{PACKAGE}/{MODULE}{self.suffix}": extension.read_bytes(),
            f"{PACKAGE}/lib/libfoo.so.1": lib.read_bytes(),
            f"{DIST.replace('-', '_')}-{VERSION}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {DIST}\nVersion: {VERSION}\n\n".encode(),
            **{f"{PACKAGE}/{name}.py": text.encode() for name, text in (modules or {}).items()},
        }
        return write_wheel(self.root / "dist", DIST.replace("-", "_"), VERSION, contents)

    def standin(self, source: str = LIBFOO_OLD, version_map: Optional[str] = None) -> Path:
        """A folder holding another libfoo.so.1, for LD_LIBRARY_PATH."""
        folder = self.root / "standin"
        shutil.rmtree(folder, ignore_errors=True)
        _library(folder, source, version_map)
        return folder


@pytest.fixture
def build(tmp_path, new_venv):
    venv = new_venv()
    made = Build(tmp_path / "native", venv.python)
    made.venv = venv
    return made


def _install(build: Build, wheel: Path) -> None:
    pip("--python", str(build.python), "install", "--no-index", "--no-deps", "-q", str(wheel))


def _check(run_envdoctor, build: Build, cwd: Path, **variables: str) -> Tuple[int, List[dict]]:
    result = run_envdoctor("check", "--python", build.python, "--select", "SYM", "--format", "json", cwd=cwd,
                           env=clean_env(**variables))
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)["findings"]


def _import(build: Build, **variables: str) -> subprocess.CompletedProcess:
    """The real import, by the target interpreter under the same variables: ld.so's own verdict."""
    return subprocess.run([str(build.python), "-c", f"import {DOTTED} as m; print(m.call())"],
                          capture_output=True, text=True, env=clean_env(**variables), cwd=build.root)


def test_standin_library_in_ld_library_path_is_reported_and_real_import_fails(run_envdoctor, build, tmp_path):
    _install(build, build.wheel(runpath=True))
    folder = build.standin()
    code, findings = _check(run_envdoctor, build, tmp_path, LD_LIBRARY_PATH=str(folder))
    assert code == 1
    assert [(f["code"], f["subject"]) for f in findings] == [("SYM001", DOTTED)]
    finding = findings[0]
    assert finding["severity"] == "error"
    assert "undefined symbol foo_new" in finding["title"]
    assert f"libfoo.so.1 = {folder / 'libfoo.so.1'}" in finding["title"]  # the why: LD_LIBRARY_PATH
    assert f"libfoo.so.1 => {folder / 'libfoo.so.1'} (LD_LIBRARY_PATH)" in finding["evidence"]
    assert "foo_optional" not in json.dumps(finding)  # weak: never reported
    imported = _import(build, LD_LIBRARY_PATH=str(folder))
    assert imported.returncode != 0 and "undefined symbol: foo_new" in imported.stderr


def test_healthy_counterpart_without_the_override_has_no_finding_and_imports(run_envdoctor, build, tmp_path):
    _install(build, build.wheel(runpath=True))
    code, findings = _check(run_envdoctor, build, tmp_path)
    assert (code, findings) == (0, [])
    imported = _import(build)
    assert imported.returncode == 0 and imported.stdout.strip() == "2", imported.stderr


def test_rpath_is_searched_before_ld_library_path_so_the_standin_is_not_used(run_envdoctor, build, tmp_path):
    """The same extension with DT_RPATH instead of DT_RUNPATH: ld.so takes $ORIGIN/lib first."""
    _install(build, build.wheel(runpath=False))
    folder = build.standin()
    code, findings = _check(run_envdoctor, build, tmp_path, LD_LIBRARY_PATH=str(folder))
    assert (code, findings) == (0, [])
    imported = _import(build, LD_LIBRARY_PATH=str(folder))
    assert imported.returncode == 0 and imported.stdout.strip() == "2", imported.stderr


def test_missing_symbol_version_of_a_versioned_library_is_reported(run_envdoctor, build, tmp_path):
    """foo_new@FOO_2 needed; the stand-in defines foo_new, but only at version FOO_1."""
    _install(build, build.wheel(runpath=True, version_map=VERSIONED_MAP))
    folder = build.standin(LIBFOO, VERSIONED_OLD_MAP)
    code, findings = _check(run_envdoctor, build, tmp_path, LD_LIBRARY_PATH=str(folder))
    assert [(f["code"], f["subject"]) for f in findings] == [("SYM001", DOTTED)] and code == 1
    assert "version FOO_2 of libfoo.so.1" in findings[0]["title"]
    imported = _import(build, LD_LIBRARY_PATH=str(folder))
    assert imported.returncode != 0 and "version `FOO_2' not found" in imported.stderr


def test_versioned_library_with_the_version_in_ld_library_path_is_healthy(run_envdoctor, build, tmp_path):
    """Near miss: the stand-in in LD_LIBRARY_PATH is a copy that defines FOO_2."""
    _install(build, build.wheel(runpath=True, version_map=VERSIONED_MAP))
    folder = build.standin(LIBFOO, VERSIONED_MAP)
    code, findings = _check(run_envdoctor, build, tmp_path, LD_LIBRARY_PATH=str(folder))
    assert (code, findings) == (0, [])
    assert _import(build, LD_LIBRARY_PATH=str(folder)).returncode == 0


def test_needed_library_found_nowhere_is_sym002(run_envdoctor, build, tmp_path):
    """libbar.so.7 was on the build machine only: the wheel does not ship it."""
    _install(build, build.wheel(runpath=True, needs=[("bar_init", "libbar.so.7")], extra_call="+ bar_init()"))
    code, findings = _check(run_envdoctor, build, tmp_path)
    assert [(f["code"], f["subject"]) for f in findings] == [("SYM002", DOTTED)] and code == 1
    assert "libbar.so.7 is found nowhere" in findings[0]["title"]
    imported = _import(build)
    assert imported.returncode != 0 and "libbar.so.7: cannot open shared object file" in imported.stderr
    # ... and found through LD_LIBRARY_PATH, it resolves (bar_init included).
    needs = build.root / "build" / "needs"
    code, findings = _check(run_envdoctor, build, tmp_path, LD_LIBRARY_PATH=str(needs))
    assert (code, findings) == (0, [])
    assert _import(build, LD_LIBRARY_PATH=str(needs)).returncode == 0


# The package's own imports of its extension: an optional backend it falls back from, or not.
GUARDED_INIT = f"try:\n    from {PACKAGE} import {MODULE}\nexcept ImportError:  # the backend's library is optional\n    {MODULE} = None\n"
UNGUARDED_INIT = f"def load():\n    from {PACKAGE} import {MODULE}\n    return {MODULE}\n"


def test_missing_library_of_an_extension_imported_only_under_try_except_is_info(run_envdoctor, build, tmp_path):
    """cupy's cutensor case: the package catches the ImportError and carries on without it."""
    _install(build, build.wheel(runpath=True, needs=[("bar_init", "libbar.so.7")], extra_call="+ bar_init()", init=GUARDED_INIT))
    code, findings = _check(run_envdoctor, build, tmp_path)
    assert [(f["code"], f["subject"], f["severity"]) for f in findings] == [("SYM002", DOTTED, "info")] and code == 0
    assert "optional: sgl-kernel imports it only inside try/except ImportError" in findings[0]["title"]
    site = f"guarded import: {build.venv.site_packages / PACKAGE / '__init__.py'}:2"
    assert site in findings[0]["evidence"], findings[0]["evidence"]
    fallback = subprocess.run([str(build.python), "-c", f"import {PACKAGE}; print({PACKAGE}.{MODULE})"],
                              capture_output=True, text=True, env=clean_env(), cwd=build.root)
    assert fallback.returncode == 0 and fallback.stdout.strip() == "None", fallback.stderr
    assert "libbar.so.7: cannot open shared object file" in _import(build).stderr  # the backend itself is gone


# cupy's shape (cupyx/cutensor.py imports the backend unguarded; cupy imports cupyx.cutensor only
# under try/except ImportError): the backend's API module, itself optional.
API_MODULE = f"from {PACKAGE} import {MODULE}\n\ndef contract():\n    return {MODULE}\n"


@pytest.mark.parametrize("guarded", [True, False])
def test_an_extension_imported_unguarded_by_a_module_that_is_itself_optional_is_info(run_envdoctor, build, tmp_path,
                                                                                      guarded):
    init = (f"try:\n    from {PACKAGE} import api\nexcept ImportError:\n    api = None\n" if guarded
            else f"from {PACKAGE} import api\n")  # near miss: the API module is imported unguarded
    _install(build, build.wheel(runpath=True, needs=[("bar_init", "libbar.so.7")], extra_call="+ bar_init()", init=init,
                                modules={"api": API_MODULE}))
    code, findings = _check(run_envdoctor, build, tmp_path)
    severity = "info" if guarded else "error"
    assert [(f["code"], f["subject"], f["severity"]) for f in findings] == [("SYM002", DOTTED, severity)]
    assert code == (0 if guarded else 1)
    imported = subprocess.run([str(build.python), "-c", f"import {PACKAGE}; print({PACKAGE}.api)"],
                              capture_output=True, text=True, env=clean_env(), cwd=build.root)
    if guarded:  # the package imports and carries on without the backend
        assert imported.returncode == 0 and imported.stdout.strip() == "None", imported.stderr
    else:
        assert imported.returncode != 0 and "libbar.so.7: cannot open shared object file" in imported.stderr


# cuda-core's torch bridge (cuda/core/cu12/_tensor_bridge): built against a vendored header of
# torch's AOTI C ABI, linked with no torch library at all; cuda.core makes libtorch's symbols
# global first (ctypes.CDLL(torch._C, RTLD_GLOBAL)) and only then imports the bridge.
BRIDGE = r"""
#include <Python.h>
extern int provider_value(void);  /* defined by a library the package loads RTLD_GLOBAL first */
static PyObject *call(PyObject *self, PyObject *args) { return PyLong_FromLong(provider_value()); }
static PyMethodDef methods[] = {{"call", call, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "common_ops", NULL, -1, methods};
PyMODINIT_FUNC PyInit_common_ops(void) { return PyModule_Create(&module); }
"""
BRIDGE_LOADER = f"""import ctypes, os


def load():
    ctypes.CDLL(os.path.join(os.path.dirname(__file__), "lib", "libprovider.so"), mode=ctypes.RTLD_GLOBAL)
    from {PACKAGE} import {MODULE}
    return {MODULE}.call()
"""


def test_symbols_an_extension_takes_from_the_global_scope_are_info_not_an_error(run_envdoctor, build, tmp_path):
    """The extension names no library beyond the C runtime: its undefined symbols are meant to come
    from a library an earlier import loaded RTLD_GLOBAL, not from its own load order."""
    folder = build.root / "bridge"
    provider = _library(folder / "lib", "int provider_value(void) { return 7; }\n", soname="libprovider.so")
    extension = _gcc(folder / f"{MODULE}{build.suffix}", BRIDGE, f"-I{build.include}")
    wheel = write_wheel(build.root / "dist", DIST.replace("-", "_"), VERSION, {
        f"{PACKAGE}/__init__.py": b"",
        f"{PACKAGE}/bridge.py": BRIDGE_LOADER.encode(),
        f"{PACKAGE}/{MODULE}{build.suffix}": extension.read_bytes(),
        f"{PACKAGE}/lib/libprovider.so": provider.read_bytes(),
        f"{DIST.replace('-', '_')}-{VERSION}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {DIST}\nVersion: {VERSION}\n\n".encode(),
    })
    _install(build, wheel)
    code, findings = _check(run_envdoctor, build, tmp_path)
    assert [(f["code"], f["subject"], f["severity"]) for f in findings] == [("SYM001", DOTTED, "info")] and code == 0
    assert "from the global scope" in findings[0]["title"], findings[0]["title"]
    loaded = subprocess.run([str(build.python), "-c", f"from {PACKAGE} import bridge; print(bridge.load())"],
                            capture_output=True, text=True, env=clean_env(), cwd=build.root)
    assert loaded.returncode == 0 and loaded.stdout.strip() == "7", loaded.stderr
    assert "undefined symbol: provider_value" in _import(build).stderr  # alone, it does not import


def test_missing_library_of_an_extension_imported_unguarded_later_stays_an_error(run_envdoctor, build, tmp_path):
    """Near miss: the same extension imported in a function, without a guard (vllm._C's case:
    loaded after the top-level import, and its failure is not caught)."""
    _install(build, build.wheel(runpath=True, needs=[("bar_init", "libbar.so.7")], extra_call="+ bar_init()", init=UNGUARDED_INIT))
    code, findings = _check(run_envdoctor, build, tmp_path)
    assert [(f["code"], f["subject"], f["severity"]) for f in findings] == [("SYM002", DOTTED, "error")] and code == 1
    assert "optional" not in findings[0]["title"]
    called = subprocess.run([str(build.python), "-c", f"import {PACKAGE}; {PACKAGE}.load()"],
                            capture_output=True, text=True, env=clean_env(), cwd=build.root)
    assert called.returncode != 0 and "libbar.so.7: cannot open shared object file" in called.stderr


def test_a_library_added_to_a_searched_folder_is_seen_on_the_next_run(run_envdoctor, build, tmp_path):
    """The cached result is checked against the folders ld.so would look in: a library dropped
    into an LD_LIBRARY_PATH folder after a clean run is found, not hidden by the cache."""
    _install(build, build.wheel(runpath=True))
    folder = tmp_path / "later"
    folder.mkdir()
    cache = {"ENVDOCTOR_CACHE_DIR": str(tmp_path / "cache")}
    assert _check(run_envdoctor, build, tmp_path, LD_LIBRARY_PATH=str(folder), **cache) == (0, [])
    shutil.copy(build.standin() / "libfoo.so.1", folder / "libfoo.so.1")
    code, findings = _check(run_envdoctor, build, tmp_path, LD_LIBRARY_PATH=str(folder), **cache)
    assert code == 1 and [(f["code"], f["subject"]) for f in findings] == [("SYM001", DOTTED)]
    # ... and its removal too.
    (folder / "libfoo.so.1").unlink()
    assert _check(run_envdoctor, build, tmp_path, LD_LIBRARY_PATH=str(folder), **cache) == (0, [])


# The real torch 2.13.0 CPU venv of test_healthy_torch.py (one per session when both run).
from tests.e2e.test_healthy_torch import torch_venv  # noqa: E402,F401  (a fixture)

LIBGOMP_STANDIN = "int gomp_standin(void) { return 0; }\n"


def test_every_extension_of_real_torch_resolves(run_envdoctor, torch_venv, tmp_path):  # noqa: F811
    result = run_envdoctor("snapshot", "--python", torch_venv.python, cwd=tmp_path)
    linkage = json.loads(result.stdout)["native_linkage"]
    # torch._C, functorch._C, torch._C_flatbuffer, ...: every one resolved, none unresolved, nothing unreadable.
    assert linkage["extensions"] >= 10 and linkage["problems"] == [] and linkage["unreadable"] == [], linkage
    checked = run_envdoctor("check", "--python", torch_venv.python, "--select", "SYM", "--format", "json", cwd=tmp_path)
    assert (checked.returncode, json.loads(checked.stdout)["findings"]) == (0, [])


def test_standin_libgomp_first_in_ld_library_path_breaks_real_torch(run_envdoctor, torch_venv, tmp_path):  # noqa: F811
    """libtorch_cpu.so finds libgomp.so.1 through DT_RUNPATH $ORIGIN; a libgomp.so.1 in an
    LD_LIBRARY_PATH folder is taken first (an NCCL or cuDNN does the same to a CUDA torch)."""
    if GCC is None:
        skip_or_fail("no gcc to build the stand-in libgomp.so.1")
    folder = tmp_path / "standin"
    _library(folder, LIBGOMP_STANDIN, soname="libgomp.so.1")
    env = clean_env(LD_LIBRARY_PATH=str(folder))
    result = run_envdoctor("check", "--python", torch_venv.python, "--select", "SYM", "--format", "json", cwd=tmp_path, env=env)
    findings = json.loads(result.stdout)["findings"]
    assert result.returncode == 1 and [(f["code"], f["subject"]) for f in findings] == [("SYM001", "torch._C")]
    title, evidence = findings[0]["title"], findings[0]["evidence"]
    assert "undefined symbol omp_" in title or "undefined symbol GOMP_" in title, title
    assert f"taken from LD_LIBRARY_PATH ahead of the package's own: libgomp.so.1 = {folder / 'libgomp.so.1'}" in title
    assert any(line.startswith("undefined: ") and line.endswith("torch/lib/libtorch_cpu.so)") for line in evidence)
    imported = subprocess.run([str(torch_venv.python), "-c", "import torch"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert imported.returncode != 0 and "libtorch_cpu.so: undefined symbol: " in imported.stderr, imported.stderr


# vllm 0.33.0 (on the index; built for torch==2.14.0 with CUDA 13) over the torch 2.13.0 CPU wheel:
# its extensions need libtorch_cuda.so and libc10_cuda.so (a CPU torch has neither), the driver's
# libcuda.so.1 (no driver here) and libnvrtc.so.13 (nvidia-cuda-nvrtc, not installed).
VLLM_EXTENSIONS = {
    "vllm._C_stable_libtorch": {"libcuda.so.1", "libtorch_cuda.so"},
    "vllm._deepselect_C": {"libcuda.so.1", "libtorch_cuda.so"},
    "vllm._flashkda_C": {"libcuda.so.1", "libtorch_cuda.so"},
    "vllm._flashmla_C": {"libcuda.so.1", "libtorch_cuda.so"},
    "vllm._flashmla_extension_C": {"libcuda.so.1", "libtorch_cuda.so"},
    "vllm._moe_C_stable_libtorch": {"libcuda.so.1", "libtorch_cuda.so"},
    "vllm._qutlass_C": {"libcuda.so.1", "libtorch_cuda.so"},
    "vllm.cumem_allocator": {"libc10_cuda.so", "libcuda.so.1", "libnvrtc.so.13", "libtorch_cuda.so"},
    "vllm.fs_io_C": {"libc10_cuda.so", "libnvrtc.so.13", "libtorch_cuda.so"},
    "vllm.spinloop": {"libc10_cuda.so", "libnvrtc.so.13", "libtorch_cuda.so"},
    "vllm.third_party.deep_gemm._C_extension": {"libc10_cuda.so", "libtorch_cuda.so"},
    "vllm.vllm_flash_attn._vllm_fa2_C": {"libcuda.so.1", "libtorch_cuda.so"},
    "vllm.vllm_flash_attn._vllm_fa3_C": {"libcuda.so.1", "libtorch_cuda.so"},
}
# What ld.so says when each is loaded after `import torch`, without vllm/__init__.py (it needs
# vllm's dependencies): the first library of the tree it cannot open.
LOAD_EXTENSION = """
import importlib.machinery, importlib.util, sys, torch
name, path = sys.argv[1], sys.argv[2]
loader = importlib.machinery.ExtensionFileLoader(name, path)
try:
    loader.create_module(importlib.util.spec_from_file_location(name, path, loader=loader))
except ImportError as exc:
    print(exc)
else:
    print("imported")
"""


def test_vllm_built_for_another_torch_over_the_cpu_torch_is_sym002_per_extension(run_envdoctor, new_venv, tmp_path):
    venv = new_venv(require_python("3.11", "for the torch 2.13.0 cp311 wheel"))
    venv.install("torch==2.13.0")
    venv.install("vllm==0.33.0", no_deps=True)
    result = run_envdoctor("check", "--python", venv.python, "--select", "SYM", "--format", "json", cwd=tmp_path, timeout=900)
    findings = json.loads(result.stdout)["findings"]
    assert result.returncode == 1 and sorted((f["code"], f["subject"]) for f in findings) == sorted(
        ("SYM002", module) for module in VLLM_EXTENSIONS)
    for finding in findings:
        named = {line.split(" needed by ")[0] for line in finding["evidence"] if " needed by " in line}
        assert named == VLLM_EXTENSIONS[finding["subject"]], finding
        assert ("vllm 0.33.0 was built for torch==2.14.0 (its Requires-Dist); torch 2.13.0+cpu is "
                "installed, and torch's C++ ABI changes between releases") in finding["title"], finding["title"]
    # vllm imports the others only inside try/except ImportError (spinloop in shm_broadcast.py, fs_io_C
    # in kv_offload/tiering/fs/, _deepselect_C in indexer_topk.py, ...): a missing library there costs
    # one optional kernel, not the import of vllm, so those are info.
    errors = {f["subject"] for f in findings if f["severity"] == "error"}
    assert errors == {"vllm._C_stable_libtorch", "vllm._flashkda_C", "vllm._flashmla_C",
                      "vllm.third_party.deep_gemm._C_extension"}, errors
    for module, needed in VLLM_EXTENSIONS.items():
        path = next(venv.site_packages.glob(module.replace(".", "/") + ".*.so"))
        said = subprocess.run([str(venv.python), "-c", LOAD_EXTENSION, module, str(path)], capture_output=True, text=True,
                              cwd=tmp_path, env=clean_env())
        assert said.stdout.strip() != "imported" and "cannot open shared object file" in said.stdout, said.stdout + said.stderr
        assert said.stdout.split(":")[0] in needed, said.stdout
