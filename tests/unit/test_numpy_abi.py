"""NPY001/NPY002 on facts, and the reader of extension modules (scan/numpy_builds.py) on real files
whose bytes carry what NumPy's headers compile into a module (the e2e tests use real wheels)."""

from __future__ import annotations

import dataclasses
import os

from envdoctor.engine import run_checks
from envdoctor.model.numpy_facts import NumpyBuild
from envdoctor.registry import load_registry
from envdoctor.scan.numpy_builds import numpy_builds, read_extension
from tests.helpers.facts import SITE, dist, make_facts

SO = ".cpython-311-x86_64-linux-gnu.so"
# What the headers put in a module's read-only data (see scan/numpy_builds.py).
NUMPY_1_BYTES = b"\x7fELF...numpy.core._multiarray_umath\x00_ARRAY_API\x00numpy.core.multiarray failed to import\x00"
NUMPY_2_BYTES = (b"\x7fELF...numpy._core._multiarray_umath\x00numpy.core._multiarray_umath\x00module was compiled "
                 b"against NumPy C-API version 0x%x (NumPy 1.23) but the running NumPy has C-API version 0x%x.\x00")
# Cython's own message names numpy.core.multiarray in NumPy 2 builds too: it is no import.
NO_C_API_BYTES = b"\x7fELF...numpy.core.multiarray failed to import\x00PyInit__speedups\x00"
# A Python-level `import numpy.core._multiarray_umath` in Cython code: no C-API table asked for.
PYTHON_LEVEL_BYTES = b"\x7fELF...numpy.core._multiarray_umath\x00PyInit__speedups\x00"


def numpy_env(name="pandas", version="2.1.4", numpy="2.0.0", *, numpy_1=("pandas/_libs/lib" + SO,), numpy_2=(),
              target=None, others=()):
    facts = make_facts(dists=[dist(name, version, requires=["numpy>=1.23"]), dist("numpy", numpy), *others])
    build = NumpyBuild(distribution=name, metadata_path=f"{SITE}/{name.lower()}-{version}.dist-info",
                       numpy_1=tuple(numpy_1), numpy_1_count=len(numpy_1), numpy_2=tuple(numpy_2),
                       numpy_2_count=len(numpy_2), numpy_2_target=target)
    return dataclasses.replace(facts, numpy_builds=(build,))


def findings(facts, code):
    specs = [spec for spec in load_registry().checks if spec.code == code]
    return [f for f in run_checks(specs, facts).findings if f.code == code]


def test_numpy_1_build_under_numpy_2_is_an_error_with_the_first_numpy_2_release_as_fix():
    (finding,) = findings(numpy_env(), "NPY001")
    assert finding.severity.value == "error"
    assert finding.title == "pandas 2.1.4 is compiled against NumPy 1.x, but numpy 2.0.0 is installed"
    assert finding.fix.parameters == {"requirement": "pandas>=2.2.2", "fixer": "install-requirement"}
    assert finding.replaces == ("KB015:pandas",)


def test_the_known_rule_is_replaced_by_the_finding_with_binary_evidence():
    specs = [spec for spec in load_registry().checks if spec.code in ("NPY001", "KB015")]
    assert [f.code for f in run_checks(specs, numpy_env()).findings] == ["NPY001"]


def test_unknown_package_gets_numpy_below_2_when_nothing_needs_numpy_2():
    (finding,) = findings(numpy_env("h5py", "3.10.0", numpy_1=("h5py/defs" + SO,)), "NPY001")
    assert finding.fix.parameters["requirement"] == "numpy<2"
    assert finding.replaces == ()


def test_unknown_package_is_a_manual_fix_when_another_distribution_needs_numpy_2():
    needs_2 = dist("jax", "0.6.0", requires=["numpy>=2.0"])
    (finding,) = findings(numpy_env("h5py", "3.10.0", numpy_1=("h5py/defs" + SO,), others=(needs_2,)), "NPY001")
    assert finding.fix.kind == "manual" and "jax 0.6.0" in finding.fix.summary


def test_numpy_2_build_or_numpy_1_installed_is_not_npy001():
    assert findings(numpy_env(numpy_1=(), numpy_2=("pandas/_libs/lib" + SO,), target="1.23"), "NPY001") == []
    assert findings(numpy_env(numpy="1.26.4"), "NPY001") == []


def test_numpy_2_build_below_its_target_is_npy002_and_at_its_target_is_fine():
    below = numpy_env("scipy", "1.17.1", numpy="1.22.4", numpy_1=(), numpy_2=("scipy/_x" + SO,), target="1.23")
    (finding,) = findings(below, "NPY002")
    assert finding.title == "scipy 1.17.1 is compiled for NumPy 1.23 or newer, but numpy 1.22.4 is installed"
    assert finding.fix.parameters["requirement"] == "numpy>=1.23,<2"
    at = numpy_env("scipy", "1.17.1", numpy="1.23.5", numpy_1=(), numpy_2=("scipy/_x" + SO,), target="1.23")
    assert findings(at, "NPY002") == []


def test_read_extension_tells_the_headers_apart(tmp_path):
    cases = {"one": NUMPY_1_BYTES, "two": NUMPY_2_BYTES, "none": NO_C_API_BYTES, "empty": b"",
             "python-level": PYTHON_LEVEL_BYTES}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    assert read_extension(str(tmp_path / "one")) == ("1", None)
    assert read_extension(str(tmp_path / "two")) == ("2", "1.23")
    assert read_extension(str(tmp_path / "none")) == ("", None)
    assert read_extension(str(tmp_path / "empty")) == ("", None)
    assert read_extension(str(tmp_path / "python-level")) == ("", None)


def reader_env(site, **dist_extra):
    facts = make_facts(dists=[dist("pkg", "1.0", requires=["numpy>=1.23"], location=str(site), **dist_extra),
                              dist("numpy", "2.0.0", location=str(site))])
    return facts


def test_only_extension_modules_of_numpy_dependents_are_read_and_verdicts_are_cached(tmp_path):
    site = tmp_path / "site"
    (site / "pkg").mkdir(parents=True)
    (site / "pkg.libs").mkdir()
    module = site / "pkg" / ("_ext" + SO)
    module.write_bytes(NUMPY_1_BYTES)
    (site / "pkg.libs" / "libvendored.so").write_bytes(NUMPY_1_BYTES)  # a vendored library, not a module
    files = ["pkg/_ext" + SO, "pkg.libs/libvendored.so"]
    cache = str(tmp_path / "cache.json")
    (build,) = numpy_builds(reader_env(site, compiled_files=files), cache)
    assert (build.distribution, build.numpy_1, build.numpy_1_count, build.numpy_2_count) == ("pkg", ("pkg/_ext" + SO,), 1, 0)
    # Same size and mtime: the cached verdict stands, the bytes are not read again.
    status = os.stat(module)
    module.write_bytes(NUMPY_1_BYTES.replace(b"numpy.core.", b"numpy.xxxx."))
    os.utime(module, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert numpy_builds(reader_env(site, compiled_files=files), cache)[0].numpy_1_count == 1
    # A new mtime: read again.
    os.utime(module, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))
    assert numpy_builds(reader_env(site, compiled_files=files), cache) == ()


def test_a_distribution_without_a_numpy_dependency_is_not_read(tmp_path):
    site = tmp_path / "site"
    (site / "pkg").mkdir(parents=True)
    (site / "pkg" / ("_ext" + SO)).write_bytes(NUMPY_1_BYTES)
    facts = make_facts(dists=[dist("pkg", "1.0", location=str(site), compiled_files=["pkg/_ext" + SO])])
    assert numpy_builds(facts, str(tmp_path / "cache.json")) == ()


def test_deep_imports_the_top_level_modules_of_builds_for_the_other_numpy_major():
    from envdoctor.probe.deep_probes import deep_modules

    modules = {"pandas": {"name": "pandas", "found": True}, "scipy": {"name": "scipy", "found": True}}
    facts = make_facts(dists=[dist("pandas", "2.1.4"), dist("scipy", "1.13.1"), dist("numpy", "2.0.0")], modules=modules)
    builds = (NumpyBuild("pandas", f"{SITE}/pandas-2.1.4.dist-info", numpy_1=("x" + SO,), numpy_1_count=1),
              NumpyBuild("scipy", f"{SITE}/scipy-1.13.1.dist-info", numpy_2=("y" + SO,), numpy_2_count=1,
                         numpy_2_target="1.22"))
    assert deep_modules(dataclasses.replace(facts, numpy_builds=builds)) == ["pandas"]


def test_the_verdict_cache_lives_beside_the_scanner_caches(monkeypatch, tmp_path):
    from envdoctor.scan.cache import default_cache_dir
    from envdoctor.scan.numpy_builds import _default_cache_file

    monkeypatch.setenv("ENVDOCTOR_CACHE_DIR", str(tmp_path))
    assert _default_cache_file() == str(default_cache_dir() / "numpy-builds.json")
    monkeypatch.delenv("ENVDOCTOR_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _default_cache_file() == str(default_cache_dir() / "numpy-builds.json")
