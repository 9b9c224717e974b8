"""NPY001/NPY002 on real venvs (pyenv's Python 3.11, real pip): real wheels of scipy and pandas built
against NumPy 1.x under NumPy 2, and extension modules compiled here by gcc against the real
headers of NumPy 1.26.4 and 2.0.0, with the NumPy each imports or refuses for real.

Each broken venv is shown broken by its own import first, then by `envdoctor check` with its exact
findings, repaired by `envdoctor fix --yes` (the import then works), and each has a healthy
neighbour at zero findings. pandas 2.1.4's fix is in test_combined_fixes.py.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from packaging.version import Version

from tests.conftest import clean_env, require_python
from tests.e2e.test_fix import fix, venv_with_pip
from tests.helpers.venvs import WHEEL_CACHE, cached_wheels, make_venv, pip
from tests.helpers.wheels import write_wheel

pytestmark = pytest.mark.slow

SCIPY_OLD = "scipy==1.11.4"  # built against NumPy 1.x; Requires-Dist numpy<1.28.0,>=1.21.6
SCIPY_NUMPY_2 = "scipy==1.13.1"  # built against NumPy 2, for NumPy 1.x and 2
PANDAS_OLD = ("pandas==2.1.4", "numpy==1.26.4", "python-dateutil==2.9.0.post0", "pytz==2024.2", "tzdata==2024.2",
              "six==1.16.0")
SO_SUFFIX = ".cpython-311-x86_64-linux-gnu.so"


def check(run_envdoctor, venv, cwd):
    result = run_envdoctor("check", "--python", venv.python, "--no-scan", "--format", "json", cwd=cwd)
    return result, sorted((f["code"], f["subject"]) for f in result.json["findings"])


def venv_311(path: Path, *requirements: str, then_no_deps: str = "", with_pip: bool = False):
    python = require_python("3.11", "(the cached scipy and pandas wheels are cp311)")
    venv = venv_with_pip(path, python) if with_pip else make_venv(path, python)
    venv.install(*requirements)
    if then_no_deps:  # what a later `pip install numpy==2...` of another project does to it
        venv.install(then_no_deps, no_deps=True)
    return venv


def test_scipy_built_for_numpy_1_under_numpy_2_is_found_and_upgraded(run_envdoctor, tmp_path):
    cached_wheels([SCIPY_NUMPY_2])  # a release built for NumPy 2, for the fix to find offline
    venv = venv_311(tmp_path / "venv", SCIPY_OLD, "numpy==1.26.4", then_no_deps="numpy==2.0.0", with_pip=True)
    broken = venv.run("import scipy.linalg")
    assert broken.returncode != 0 and "numpy.core.multiarray failed to import" in broken.stderr, broken.stderr

    result, found = check(run_envdoctor, venv, tmp_path)
    assert result.returncode == 1
    # KB014 (the same by version alone) is replaced; REQ002 is pip check's pin, a separate truth.
    assert found == [("NPY001", "scipy"), ("REQ002", "scipy")], result.stdout
    (finding,) = result.findings("NPY001")
    assert finding["title"] == "scipy 1.11.4 is compiled against NumPy 1.x, but numpy 2.0.0 is installed"
    assert "of its extension modules are built against NumPy 1.x" in finding["evidence"][0]
    assert all(line.endswith("(NumPy 1.x headers)") for line in finding["evidence"][1:-1]), finding["evidence"]
    assert finding["fix"]["parameters"]["requirement"] == "scipy>=1.13"

    fixed = fix(run_envdoctor, venv, "--no-scan", "--yes", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "fixed: NPY001" in fixed.stderr
    versions = venv.run("import scipy.linalg, numpy; print(scipy.__version__, numpy.__version__)")
    assert versions.returncode == 0, versions.stderr
    scipy_version, numpy_version = (Version(text) for text in versions.stdout.split())
    assert scipy_version >= Version("1.13") and numpy_version.major == 2, versions.stdout
    assert check(run_envdoctor, venv, tmp_path)[1] == []


def test_pandas_built_for_numpy_1_under_numpy_2_is_found(run_envdoctor, tmp_path):
    venv = venv_311(tmp_path / "venv", *PANDAS_OLD, then_no_deps="numpy==2.0.0")
    assert venv.run("import pandas").returncode != 0
    result, found = check(run_envdoctor, venv, tmp_path)
    assert found == [("NPY001", "pandas"), ("REQ002", "pandas")], result.stdout
    (finding,) = result.findings("NPY001")
    assert finding["fix"]["parameters"]["requirement"] == "pandas>=2.2.2"


@pytest.mark.parametrize("scipy, numpy", [
    (SCIPY_NUMPY_2, "numpy==2.0.0"),  # built for NumPy 2, on NumPy 2
    (SCIPY_NUMPY_2, "numpy==1.26.4"),  # built for NumPy 2, on NumPy 1.x above its target: works
    (SCIPY_OLD, "numpy==1.26.4"),  # built for NumPy 1.x, on NumPy 1.x
])
def test_scipy_on_a_numpy_it_was_built_for_has_no_finding(run_envdoctor, tmp_path, scipy, numpy):
    venv = venv_311(tmp_path / "venv", scipy, numpy)
    assert venv.run("import scipy.linalg").returncode == 0
    result, found = check(run_envdoctor, venv, tmp_path)
    assert result.returncode == 0 and found == [], result.stdout


# -- extension modules compiled here against NumPy's real headers ------------------------------------

EXTENSION_C = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

static PyObject *total(PyObject *self, PyObject *arg) {
    PyArrayObject *array = (PyArrayObject *)PyArray_FROM_OTF(arg, NPY_DOUBLE, NPY_ARRAY_IN_ARRAY);
    if (array == NULL) return NULL;
    double sum = 0.0, *data = (double *)PyArray_DATA(array);
    for (npy_intp i = 0; i < PyArray_SIZE(array); i++) sum += data[i];
    Py_DECREF(array);
    return PyFloat_FromDouble(sum);
}

static PyMethodDef methods[] = {{"total", total, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef definition = {PyModuleDef_HEAD_INIT, "_arraysum", NULL, -1, methods};

PyMODINIT_FUNC PyInit__arraysum(void) {
    import_array();  /* returns NULL with the ImportError when the running NumPy refuses the module */
    return PyModule_Create(&definition);
}
"""


def numpy_headers(numpy: str, folder: Path) -> Path:
    """The include folder of the real numpy wheel `numpy` (numpy==1.26.4), unpacked into folder."""
    cached_wheels([numpy])
    (wheel,) = WHEEL_CACHE.glob(f"numpy-{numpy.split('==')[1]}-cp311-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        members = [name for name in archive.namelist() if "/include/numpy/" in name]
        archive.extractall(folder, members)
    return folder / members[0].split("/include/numpy/")[0] / "include"


def arraysum_wheel(tmp_path: Path, numpy: str, requires: str, defines=()) -> Path:
    """A wheel of `arraysum` whose extension module gcc compiles against `numpy`'s headers."""
    python = require_python("3.11")
    include = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['include'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "arraysum.c"
    source.write_text(EXTENSION_C)
    built = tmp_path / ("_arraysum" + SO_SUFFIX)
    headers = numpy_headers(numpy, tmp_path / "numpy-headers")
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", *[f"-D{d}" for d in defines], f"-I{include}", f"-I{headers}",
                    str(source), "-o", str(built)], check=True, capture_output=True)
    metadata = f"Metadata-Version: 2.1\nName: arraysum\nVersion: 1.0\nRequires-Dist: {requires}\n\n"
    return write_wheel(tmp_path / "wheels", "arraysum", "1.0", {
        "arraysum/__init__.py": b"from ._arraysum import total\n",
        "arraysum/_arraysum" + SO_SUFFIX: built.read_bytes(),
        "arraysum-1.0.dist-info/METADATA": metadata.encode(),
    })


def test_unpinned_extension_built_for_numpy_1_gets_numpy_below_2(run_envdoctor, tmp_path):
    """The matplotlib 3.7 shape: no `numpy<2` in its metadata, so nothing but the binary says it."""
    wheel = arraysum_wheel(tmp_path, "numpy==1.26.4", "numpy>=1.21")
    venv = venv_311(tmp_path / "venv", "numpy==2.0.0", with_pip=True)
    venv.install_files(wheel)
    broken = venv.run("import arraysum")
    assert broken.returncode != 0 and "compiled using NumPy 1.x" in broken.stderr, broken.stderr

    result, found = check(run_envdoctor, venv, tmp_path)
    assert found == [("NPY001", "arraysum")], result.stdout
    (finding,) = result.findings("NPY001")
    assert finding["fix"]["parameters"]["requirement"] == "numpy<2"

    cached_wheels(["numpy==1.26.4"])
    fixed = fix(run_envdoctor, venv, "--no-scan", "--yes", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    works = venv.run("import arraysum, numpy; print(arraysum.total(numpy.ones(3)), numpy.__version__)")
    assert works.returncode == 0 and works.stdout.split() == ["3.0", "1.26.4"], works.stderr
    assert check(run_envdoctor, venv, tmp_path)[1] == []


def test_the_same_extension_built_for_numpy_2_has_no_finding_on_numpy_2(run_envdoctor, tmp_path):
    wheel = arraysum_wheel(tmp_path, "numpy==2.0.0", "numpy>=1.21")
    venv = venv_311(tmp_path / "venv", "numpy==2.0.0")
    venv.install_files(wheel)
    assert venv.run("import arraysum, numpy; assert arraysum.total(numpy.ones(2)) == 2.0").returncode == 0
    result, found = check(run_envdoctor, venv, tmp_path)
    assert result.returncode == 0 and found == [], result.stdout


def test_extension_built_with_numpy_2_for_a_newer_c_api_than_numpy_1_installed(run_envdoctor, tmp_path):
    """NPY_TARGET_VERSION 1.25 on NumPy 1.24.4: import_array() refuses; numpy 1.26.4 (>=1.25) works."""
    wheel = arraysum_wheel(tmp_path, "numpy==2.0.0", "numpy>=1.21", defines=("NPY_TARGET_VERSION=NPY_1_25_API_VERSION",))
    venv = venv_311(tmp_path / "venv", "numpy==1.24.4", with_pip=True)
    venv.install_files(wheel)
    broken = venv.run("import arraysum")
    assert broken.returncode != 0 and "(NumPy 1.25)" in broken.stderr, broken.stderr

    result, found = check(run_envdoctor, venv, tmp_path)
    assert found == [("NPY002", "arraysum")], result.stdout
    (finding,) = result.findings("NPY002")
    assert finding["title"] == "arraysum 1.0 is compiled for NumPy 1.25 or newer, but numpy 1.24.4 is installed"

    cached_wheels(["numpy==1.26.4"])
    fixed = fix(run_envdoctor, venv, "--no-scan", "--yes", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert venv.run("import arraysum").returncode == 0
    assert check(run_envdoctor, venv, tmp_path)[1] == []


def test_deep_confirms_by_importing_the_distribution(run_envdoctor, tmp_path):
    """`check --deep` imports the top-level module of a distribution built for the other NumPy
    major (probe/deep_probes.py) and NPY001 quotes the failure, replacing STK001's report of the same
    failed import; a NumPy 2 build is not imported."""
    broken = venv_311(tmp_path / "broken", "numpy==2.0.0")
    broken.install_files(arraysum_wheel(tmp_path / "one", "numpy==1.26.4", "numpy>=1.21"))
    result = run_envdoctor("check", "--python", broken.python, "--no-scan", "--deep", "--format", "json", cwd=tmp_path)
    assert sorted((f["code"], f["subject"]) for f in result.json["findings"]) == [("NPY001", "arraysum")], result.stdout
    (finding,) = result.findings("NPY001")
    assert "--deep: import arraysum failed: ImportError: numpy.core.multiarray failed to import" in finding["evidence"]

    healthy = venv_311(tmp_path / "healthy", "numpy==2.0.0")
    healthy.install_files(arraysum_wheel(tmp_path / "two", "numpy==2.0.0", "numpy>=1.21"))
    snapshot = tmp_path / "healthy.json"
    taken = run_envdoctor("snapshot", "--python", healthy.python, "--no-scan", "--deep", "-o", snapshot, cwd=tmp_path)
    assert taken.returncode == 0, taken.stderr
    assert [attempt["module"] for attempt in json.loads(snapshot.read_text())["deep"]["imports"]] == []
    result = run_envdoctor("check", "--facts", snapshot, "--format", "json", cwd=tmp_path)
    assert result.json["findings"] == [], result.stdout


def test_only_the_copy_import_loads_is_read_and_only_when_npy_checks_run(run_envdoctor, tmp_path):
    """arraysum built for NumPy 2 in site-packages, and a second copy built for NumPy 1 in a folder
    a .pth puts after it on sys.path: import loads the first, so the second's bytes are never
    read. A run without NPY001/NPY002 reads no extension module at all."""
    venv = venv_311(tmp_path / "venv", "numpy==2.0.0")
    venv.install_files(arraysum_wheel(tmp_path / "two", "numpy==2.0.0", "numpy>=1.21"))
    shadowed = tmp_path / "shadowed"
    pip("install", "--no-deps", "--no-index", "--target", str(shadowed), str(arraysum_wheel(tmp_path / "one", "numpy==1.26.4", "numpy>=1.21")))
    (venv.site_packages / "zz-shadowed.pth").write_text(f"{shadowed}\n")
    loaded = venv.run("import arraysum, numpy; print(arraysum.__file__, arraysum.total(numpy.ones(2)))")
    assert loaded.returncode == 0 and loaded.stdout.split() == [str(venv.site_packages / "arraysum" / "__init__.py"), "2.0"], loaded.stderr

    snapshot = tmp_path / "facts.json"
    taken = run_envdoctor("snapshot", "--python", venv.python, "--no-scan", "-o", snapshot, cwd=tmp_path)
    assert taken.returncode == 0, taken.stderr
    builds = json.loads(snapshot.read_text())["numpy_builds"]
    assert [(b["distribution"], b["numpy_1_count"], b["numpy_2_count"]) for b in builds] == [("arraysum", 0, 1)], builds
    assert builds[0]["metadata_path"].startswith(str(venv.site_packages))
    # No NPY001 about the copy import never loads; INT003 says, truly, that there are two copies.
    assert check(run_envdoctor, venv, tmp_path)[1] == [("INT003", "arraysum")]

    # Gated like the native linkage: a run of other checks reads no extension module (no verdict cache is written).
    cache = tmp_path / "fresh-cache"
    env = clean_env(ENVDOCTOR_CACHE_DIR=str(cache))
    other = run_envdoctor("check", "--python", venv.python, "--no-scan", "--select", "REQ", "--format", "json", cwd=tmp_path, env=env)
    assert other.returncode == 0 and not (cache / "scan" / "numpy-builds.json").exists(), other.stdout
    npy = run_envdoctor("check", "--python", venv.python, "--no-scan", "--select", "NPY", "--format", "json", cwd=tmp_path, env=env)
    assert npy.returncode == 0 and (cache / "scan" / "numpy-builds.json").exists(), npy.stdout
