"""Every built-in check on facts: a positive and a negative case per code, and the details."""

from __future__ import annotations

import dataclasses

import pytest

from envdoctor.engine import run_checks
from envdoctor.model.facts import TagInputs
from envdoctor.model.finding import Severity
from envdoctor.model.legacy_code_facts import LegacyCode, LegacyFinderSite, LegacyUse
from envdoctor.model.plan import InstallRequest
from envdoctor.registry import load_registry
from envdoctor.vocabulary.installer import fix_command
from tests.helpers.facts import CWD, SITE, dist, finder, import_problem, import_scan, make_facts, module


def findings(facts, code):
    spec = load_registry().by_code()[code]
    return list(run_checks([spec], facts).findings)


# --- the cases: code -> (facts with the problem, facts without it, expected subject) -------------

def req001_pos():
    return make_facts(dists=[dist("requests", "2.32.3", requires=["idna<4,>=2.5", "certifi>=2017.4.17"]), dist("certifi", "2024.2.2")])


def req001_neg():
    return make_facts(dists=[dist("requests", "2.32.3", requires=["idna<4,>=2.5"]), dist("idna", "3.7")])


def req002_pos():
    return make_facts(dists=[dist("requests", "2.32.3", requires=["idna<4,>=2.5"]), dist("idna", "2.0")])


def req003_pos():
    return make_facts(dists=[dist("futurelib", "1.0", requires_python=">=3.99")])


def req003_neg():
    return make_facts(dists=[dist("futurelib", "1.0", requires_python=">=3.8")])


def int001_pos():
    return make_facts(dists=[dist("six", "1.16.0", missing_count=1, record_count=6, missing_files=[f"{SITE}/six.py"])])


def int002_pos():
    return make_facts(dists=[dist("corrupt", "1.0", problems=["METADATA is not UTF-8 text (invalid start byte at byte 0)"])])


def int003_pos():
    return make_facts(dists=[dist("six", "1.16.0"), dist("six", "1.15.0", location="/opt/extra", path_index=0)])


def int004_pos():
    a = dist("triton", "3.1.0")
    b = dist("pytorch-triton-rocm", "3.1.0", top_level=["triton"])
    return make_facts(dists=[a, b], shared_files=[{"path": f"{SITE}/triton/__init__.py", "metadata_paths": [a["metadata_path"], b["metadata_path"]]}])


def shd001_pos():
    return make_facts(
        dists=[dist("packaging", "24.1")],
        modules={"packaging": module("packaging", f"{CWD}/packaging.py", path_index=0, candidates=[
            {"path_index": 0, "path": f"{CWD}/packaging.py", "kind": "module"},
            {"path_index": 2, "path": f"{SITE}/packaging", "kind": "package"}])},
    )


def shd001_neg():
    return make_facts(
        dists=[dist("packaging", "24.1")],
        modules={"packaging": module("packaging", f"{SITE}/packaging/__init__.py", path_index=2, candidates=[
            {"path_index": 2, "path": f"{SITE}/packaging", "kind": "package"}])},
    )


def _editable_aiter(**extra):
    return dist(
        "amd-aiter", "0.1", top_level=["aiter"], record_modules=[],
        editable_mapping={"aiter": "/sgl-workspace/aiter/aiter"},
        direct_url={"url": "file:///sgl-workspace/aiter", "dir_info": {"editable": True}}, **extra,
    )


def nsp001_pos():
    return make_facts(
        dists=[_editable_aiter()],
        modules={"aiter": module("aiter", None, namespace=True, locations=["/sgl-workspace/aiter"], candidates=[
            {"path_index": 0, "path": "/sgl-workspace/aiter", "kind": "namespace-portion"}])},
        meta_path=[finder("PathFinder", "_frozen_importlib_external"), finder("_EditableFinder", "__editable___amd_aiter_0_1_finder")],
    )


def nsp001_neg():
    return make_facts(
        dists=[_editable_aiter()],
        modules={"aiter": module("aiter", "/sgl-workspace/aiter/aiter/__init__.py", loader="SourceFileLoader")},
    )


def hook001_pos():
    return make_facts(version=(3, 12, 1), meta_path=[
        finder("StubFinder", "triton_stub", find_spec=False, find_module=True, file=f"{SITE}/triton_stub.py"),
        finder("PathFinder", "_frozen_importlib_external"),
    ], dists=[dist("triton-stub", "0.1", top_level=["triton_stub"])])


def hook001_neg():
    return make_facts(version=(3, 12, 1), meta_path=[
        finder("StubFinder", "triton_stub", find_spec=True, find_module=True), finder("PathFinder", "_frozen_importlib_external"),
    ])


def pth001_pos():
    return make_facts(pth_files=[{"path": f"{SITE}/stale.pth", "site_dir": SITE, "lines": [
        {"line": 1, "text": "/gone/src", "kind": "path", "target": "/gone/src", "exists": False}]}])


def pth001_neg():
    return make_facts(pth_files=[{"path": f"{SITE}/ok.pth", "site_dir": SITE, "lines": [
        {"line": 1, "text": "/usr", "kind": "path", "target": "/usr", "exists": True},
        {"line": 2, "text": "import sys", "kind": "import"}]}])


def pth002_pos():
    return make_facts(startup={"ok": True, "pth_errors": [
        {"path": f"{SITE}/bad.pth", "line": 1, "error": "ModuleNotFoundError: No module named 'gone_hook'", "traceback": "..."}]})


def pth003_pos():
    return make_facts(startup={"ok": False, "pth_errors": [], "replayed": True, "failure": {
        "kind": "crash", "file": f"{SITE}/evil.pth", "line": 1, "text": "import os; os._exit(3)", "returncode": 3}})


# Negatives are near-misses: the positive's environment one step away from the breakage, so a
# check that fired on anything else in those facts would fail its negative.

def int001_neg():  # the same six, every file of its RECORD present
    return make_facts(dists=[dist("six", "1.16.0", missing_count=0, record_count=6, missing_files=[])])


def int002_neg():  # the same distribution, its metadata readable
    return make_facts(dists=[dist("corrupt", "1.0", problems=[])])


def int003_neg():  # a second .dist-info at the same place on sys.path, but for another project
    return make_facts(dists=[dist("six", "1.16.0"), dist("six-compat", "1.15.0", location="/opt/extra", path_index=0)])


def int004_neg():  # the same file claimed twice, but by two copies of one project (INT003's business)
    a = dist("triton", "3.1.0")
    b = dist("triton", "3.0.0", location="/opt/extra", path_index=0)
    return make_facts(dists=[a, b], shared_files=[{"path": f"{SITE}/triton/__init__.py", "metadata_paths": [a["metadata_path"], b["metadata_path"]]}])


def int005_pos():  # a metadata folder that could not be listed
    return make_facts(dists=[dist("tiny", "1.0", unreadable="Permission denied", record=None, record_count=0)])


def int005_neg():  # the same distribution, its folder readable
    return make_facts(dists=[dist("tiny", "1.0", record=None, record_count=0)])


def pth002_neg():  # the same .pth import line, and the module it imports exists: site printed nothing
    return make_facts(
        pth_files=[{"path": f"{SITE}/bad.pth", "site_dir": SITE, "lines": [{"line": 1, "text": "import gone_hook", "kind": "import"}]}],
        startup={"ok": True, "pth_errors": []})


def pth003_neg():  # a .pth import line that runs code at start-up, and the interpreter starts
    return make_facts(
        pth_files=[{"path": f"{SITE}/evil.pth", "site_dir": SITE, "lines": [
            {"line": 1, "text": "import os; os.environ.setdefault('EVIL', '1')", "kind": "import"}]}],
        startup={"ok": True, "pth_errors": [], "replayed": False})


def _consumer_facts(*problems):
    consumer = dist("consumerx", "2.0", top_level=["consumerx"], requires=["providerx>=2", "deep-gemm; extra == 'gpu'"])
    provider = dist("providerx", "2.0", top_level=["providerx"])
    return make_facts(dists=[consumer, provider], imports=import_scan(*problems))


def imp001_pos():
    return _consumer_facts(import_problem("missing-module", "consumerx.layers.old", "consumerx.layers.old", names=["swiglu"]))


def imp002_pos():
    return _consumer_facts(import_problem(
        "missing-module", "providerx.routing", "providerx.routing", names=["topk"], provider="providerx",
        homes=["topk=providerx.topk"],
    ))


def imp003_pos():
    return _consumer_facts(
        import_problem("uninstalled", "absentlib", "absentlib", names=[], provider=None, provider_version=None, eager=True),
        import_problem("uninstalled", "absentlib.sub", "absentlib", names=[], provider=None, provider_version=None, line=9),
    )


def imp004_pos():
    return _consumer_facts(import_problem(
        "unparsable", "consumerx.bad", "consumerx.bad", importer_module="consumerx.bad", statement="",
        detail="SyntaxError: invalid syntax (line 3)", path=f"{SITE}/consumerx/bad.py"))


def imports_clean():
    return _consumer_facts()


def _wheel_facts(tags, compiled):
    """CPython 3.11 on x86_64 glibc 2.36 with markupsafe installed from a wheel with these tags."""
    facts = make_facts(dists=[dist("markupsafe", "2.1.5", wheel_tags=list(tags), root_is_purelib=False,
                                   compiled_files=list(compiled), compiled_count=len(compiled))])
    return dataclasses.replace(facts, interpreter=dataclasses.replace(
        facts.interpreter, extension_suffixes=(".cpython-311-x86_64-linux-gnu.so", ".abi3.so", ".so"),
        tag_inputs=TagInputs(platform="linux-x86_64", glibc="2.36")))


def whl001_pos():
    return _wheel_facts(["cp312-cp312-manylinux_2_17_x86_64"], ["markupsafe/_speedups.cpython-312-x86_64-linux-gnu.so"])


def whl001_neg():
    return _wheel_facts(["cp311-cp311-manylinux_2_17_x86_64"], ["markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so"])


def _legacy(version=(3, 12, 1), uses=(), finders=(), shims=()):
    facts = make_facts(version=version)
    facts = dataclasses.replace(facts, import_system=dataclasses.replace(facts.import_system, shims=tuple(shims)))
    return dataclasses.replace(facts, legacy_code=LegacyCode(uses=tuple(uses), finders=tuple(finders)))


def _use(kind, what, name, version="1.0", file="nose/importer.py"):
    return LegacyUse(kind, what, name, version, f"{SITE}/{file}", 12)


SIX_SITE = LegacyFinderSite("six", "1.15.0", "six._SixMetaPathImporter", f"{SITE}/six.py", 164, f"{SITE}/six.py", 982)


def pyu001_pos():
    return _legacy(uses=[_use("module", "imp", "nose", "1.3.7")])


def pyu002_pos():
    return _legacy(uses=[_use("name", "collections.Mapping", "attrdict", "2.0.1", "attrdict/mapping.py")])


def pyu003_pos():
    return _legacy(uses=[_use("pkg_resources", "pkg_resources", "pyfiglet", "0.8.post1", "pyfiglet/__init__.py")])


def pyu_neg():
    """The scan found nothing the target lacks (the same packages on a Python that has it all)."""
    return _legacy(version=(3, 9, 18))


def hook002_pos():
    return _legacy(finders=[SIX_SITE])


def hook002_neg():
    """The same finder site, with envdoctor's legacy-finder shim active: its modules import."""
    return _legacy(finders=[SIX_SITE], shims=["legacy-finders 1"])


CASES = {
    "REQ001": (req001_pos, req001_neg, "requests"),
    "REQ002": (req002_pos, req001_neg, "requests"),
    "REQ003": (req003_pos, req003_neg, "futurelib"),
    "INT001": (int001_pos, int001_neg, "six"),
    "INT002": (int002_pos, int002_neg, "corrupt"),
    "INT003": (int003_pos, int003_neg, "six"),
    "INT004": (int004_pos, int004_neg, "triton"),
    "INT005": (int005_pos, int005_neg, "tiny"),
    "WHL001": (whl001_pos, whl001_neg, "markupsafe"),
    "SHD001": (shd001_pos, shd001_neg, "packaging"),
    "NSP001": (nsp001_pos, nsp001_neg, "aiter"),
    "HOOK001": (hook001_pos, hook001_neg, "triton_stub.StubFinder"),
    "PTH001": (pth001_pos, pth001_neg, f"{SITE}/stale.pth"),
    "PTH002": (pth002_pos, pth002_neg, f"{SITE}/bad.pth"),
    "PTH003": (pth003_pos, pth003_neg, f"{SITE}/evil.pth"),
    "IMP001": (imp001_pos, imports_clean, "consumerx.moe -> consumerx.layers.old"),
    "IMP002": (imp002_pos, imports_clean, "consumerx.moe -> providerx.routing"),
    "IMP003": (imp003_pos, imports_clean, "consumerx -> absentlib"),
    "IMP004": (imp004_pos, imports_clean, "consumerx.bad"),
    "PYU001": (pyu001_pos, pyu_neg, "nose"),
    "PYU002": (pyu002_pos, pyu_neg, "attrdict"),
    "PYU003": (pyu003_pos, pyu_neg, "pyfiglet"),
    "HOOK002": (hook002_pos, hook002_neg, "six._SixMetaPathImporter"),
}


def test_every_registered_check_has_cases():
    from tests.unit.test_expectations import COVERED
    from tests.unit.test_nccl_checks import CASES as NCCL_CASES
    from tests.unit.test_stack_checks import CASES as STACK_CASES

    assert set(CASES) | set(STACK_CASES) | set(NCCL_CASES) | set(COVERED) == {spec.code for spec in load_registry().checks}


@pytest.mark.parametrize("code", sorted(CASES))
def test_positive(code):
    positive, _, subject = CASES[code]
    found = findings(positive(), code)
    assert [f.subject for f in found] == [subject]
    assert all(f.code == code and f.title and f.evidence for f in found)


@pytest.mark.parametrize("code", sorted(CASES))
def test_negative(code):
    _, negative, _ = CASES[code]
    assert findings(negative(), code) == []


# --- details ---------------------------------------------------------------------------------------

def test_missing_requirement_names_requirer_and_requirement():
    (finding,) = findings(req001_pos(), "REQ001")
    assert finding.title == "requests 2.32.3 requires idna<4,>=2.5, which is not installed"
    assert finding.severity is Severity.ERROR
    assert finding.fix.install == InstallRequest(("idna<4,>=2.5",))  # rendered for pip or uv: test_installer.py


def test_extra_requested_by_another_distribution_counts():
    facts = make_facts(dists=[
        dist("consumer", "1.0", requires=["provider[fast]>=1"]),
        dist("provider", "1.0", requires=['speedup>=2; extra == "fast"', 'unused; extra == "other"']),
    ])
    (finding,) = findings(facts, "REQ001")
    assert finding.subject == "provider"
    assert "speedup>=2" in finding.title
    assert "[fast]" in finding.message and "consumer 1.0" in finding.message


def test_extras_propagate_through_chains():
    facts = make_facts(dists=[
        dist("a", requires=["b[x]"]),
        dist("b", requires=['c[y]; extra == "x"']),
        dist("c", requires=['d; extra == "y"']),
    ])
    assert [f.subject for f in findings(facts, "REQ001")] == ["c"]


def test_markers_are_evaluated_for_the_target_not_envdoctor():
    facts = make_facts(dists=[dist("torch", "2.13.0", requires=['triton==3.6.0; platform_system == "Linux"'])],
                       markers={"platform_system": "Darwin", "sys_platform": "darwin"})
    assert findings(facts, "REQ001") == []
    linux = make_facts(dists=[dist("torch", "2.13.0", requires=['triton==3.6.0; platform_system == "Linux"'])])
    assert [f.subject for f in findings(linux, "REQ001")] == ["torch"]


def test_conflict_accepts_prereleases_and_local_versions():
    facts = make_facts(dists=[dist("torchvision", requires=["torch==2.13.0"]), dist("torch", "2.13.0+cpu")])
    assert findings(facts, "REQ002") == []
    pre = make_facts(dists=[dist("x", requires=["y>=1.0"]), dist("y", "2.0rc1")])
    assert findings(pre, "REQ002") == []


def test_only_the_first_copy_of_a_duplicated_distribution_requires_things():
    facts = make_facts(dists=[dist("a", "2.0"), dist("a", "1.0", requires=["missing-thing"], location="/later", path_index=3)])
    assert findings(facts, "REQ001") == []


def test_invalid_requirement_is_invalid_metadata_not_a_crash():
    facts = make_facts(dists=[dist("weird", "1.0", requires=["this is not a requirement!!"])])
    (finding,) = findings(facts, "INT002")
    assert "Requires-Dist" in finding.title
    assert findings(facts, "REQ001") == []


def test_invalid_version_is_invalid_metadata():
    (finding,) = findings(make_facts(dists=[dist("legacy", "1.0-beta-final-x")]), "INT002")
    assert "PEP 440" in finding.title


def test_duplicate_lists_both_locations():
    (finding,) = findings(int003_pos(), "INT003")
    assert "1.16.0" in finding.title and "1.15.0" in finding.title
    assert any("/opt/extra" in line for line in finding.evidence)


def test_overlapping_files_ignores_one_project_in_two_places():
    a = dist("six", "1.16.0")
    b = dist("six", "1.15.0", location="/opt/extra")
    facts = make_facts(dists=[a, b], shared_files=[{"path": "/x/six.py", "metadata_paths": [a["metadata_path"], b["metadata_path"]]}])
    assert findings(facts, "INT004") == []


def test_namespace_portions_do_not_count_as_shadowing():
    # nvidia-* wheels share the `nvidia` namespace folder; nothing is shadowed.
    facts = make_facts(
        dists=[dist("nvidia-cublas-cu12", top_level=["nvidia"])],
        modules={"nvidia": module("nvidia", None, namespace=True, locations=[f"{SITE}/nvidia"], candidates=[
            {"path_index": 2, "path": f"{SITE}/nvidia", "kind": "namespace-portion"}])},
    )
    assert findings(facts, "SHD001") == [] and findings(facts, "NSP001") == []


def test_shadowing_through_pythonpath_names_the_origin():
    path = [
        {"index": 0, "entry": "", "path": CWD, "origin": "cwd", "kind": "dir"},
        {"index": 1, "entry": "/opt/vendor", "path": "/opt/vendor", "origin": "pythonpath", "kind": "dir"},
        {"index": 2, "entry": SITE, "path": SITE, "origin": "site-packages", "kind": "dir"},
    ]
    facts = make_facts(path=path, dists=[dist("torch", "2.13.0")],
                       modules={"torch": module("torch", "/opt/vendor/torch/__init__.py", path_index=1)})
    (finding,) = findings(facts, "SHD001")
    assert "PYTHONPATH" in finding.title
    assert finding.location.path == "/opt/vendor/torch/__init__.py"


def test_namespace_masquerade_offers_compat_reinstall_from_source():
    (finding,) = findings(nsp001_pos(), "NSP001")
    assert finding.fix.kind == "reinstall"
    assert "editable_mode=compat -e /sgl-workspace/aiter" in fix_command(finding.fix, nsp001_pos())
    assert "sgl-project/sglang#22363" in finding.references


def test_legacy_finder_is_a_warning_before_312():
    facts = make_facts(version=(3, 11, 7), meta_path=[finder("Old", "oldhook", find_spec=False, find_module=True)])
    (finding,) = findings(facts, "HOOK001")
    assert finding.severity is Severity.WARNING
    assert "3.12" in finding.message


def test_legacy_finder_names_the_installing_distribution():
    (finding,) = findings(hook001_pos(), "HOOK001")
    assert finding.severity is Severity.ERROR
    assert any("installed by triton-stub 0.1" in line for line in finding.evidence)


def test_legacy_path_entry_finder_is_reported():
    facts = make_facts(version=(3, 12, 1), legacy_path_entry_finders=[
        dict(finder("OldPathFinder", "oldhook", find_spec=False, find_module=True), path="/some/entry")])
    (finding,) = findings(facts, "HOOK001")
    assert "path_importer_cache" in finding.title


def test_startup_hang_is_described_as_a_hang():
    facts = make_facts(startup={"ok": False, "failure": {"kind": "hang", "file": "sitecustomize", "line": None,
                                                         "text": "import sitecustomize", "returncode": None}})
    (finding,) = findings(facts, "PTH003")
    assert finding.title == "Python hangs at start-up in sitecustomize (no progress before the timeout)"


def test_extension_module_in_site_packages_is_not_shadowed():
    """Regression: `_cffi_backend.cpython-311-x86_64-linux-gnu.so` is cffi's own module."""
    so = f"{SITE}/_cffi_backend.cpython-311-x86_64-linux-gnu.so"
    facts = make_facts(
        dists=[dist("cffi", "2.0.0", top_level=["_cffi_backend", "cffi"])],
        modules={"_cffi_backend": module("_cffi_backend", so, path_index=2, candidates=[
            {"path_index": 2, "path": so, "kind": "extension"}])},
    )
    assert findings(facts, "SHD001") == []


# --- imports ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("context, severity", [
    ({}, Severity.ERROR),
    ({"scope": "function"}, Severity.ERROR),
    ({"type_checking": True}, Severity.INFO),
    ({"guarded": True}, Severity.WARNING),
])
def test_api_drift_severity_follows_what_happens_at_run_time(context, severity):
    facts = _consumer_facts(import_problem("missing-name", "providerx.matmul", "fused", provider="providerx", **context))
    (finding,) = findings(facts, "IMP002")
    assert finding.severity is severity


def test_guarded_import_of_a_packages_own_absent_part_is_info():
    facts = _consumer_facts(import_problem("missing-module", "consumerx.private", "consumerx.private", guarded=True))
    (finding,) = findings(facts, "IMP001")
    assert finding.severity is Severity.INFO


def test_drift_names_both_versions_and_offers_a_patch_for_a_single_new_home():
    (finding,) = findings(imp002_pos(), "IMP002")
    assert finding.title == "consumerx 2.0 imports topk from providerx.routing; providerx 2.0 (installed) has no module providerx.routing"
    assert finding.location.path.endswith("consumerx/moe.py") and finding.location.line == 3
    assert any("did you mean providerx.topk.topk?" in line for line in finding.evidence)
    assert finding.fix.kind == "patch" and not finding.fix.safe
    assert finding.fix.parameters["moves"] == {"topk": "providerx.topk"}


def test_no_patch_when_the_name_has_several_homes_or_none():
    two = _consumer_facts(import_problem(
        "missing-name", "providerx.matmul", "fused", provider="providerx", homes=["fused=providerx.a", "fused=providerx.b"]))
    none = _consumer_facts(import_problem("missing-name", "providerx.matmul", "fused", provider="providerx"))
    assert findings(two, "IMP002")[0].fix is None and findings(none, "IMP002")[0].fix is None


def test_missing_names_of_one_statement_are_one_finding():
    facts = _consumer_facts(
        import_problem("missing-name", "providerx.matmul", "a", provider="providerx", names=["a", "b"]),
        import_problem("missing-name", "providerx.matmul", "b", provider="providerx", names=["a", "b"]),
    )
    (finding,) = findings(facts, "IMP002")
    assert "has no names a, b there" in finding.title


def test_uninstalled_module_is_one_finding_with_its_sites():
    (finding,) = findings(imp003_pos(), "IMP003")
    assert finding.title == "consumerx 2.0 imports absentlib at 2 places; no installed distribution provides it"
    assert finding.severity is Severity.WARNING  # undeclared, and `import consumerx` reaches it


def test_uninstalled_module_of_a_partial_install_is_info():
    """consumerx's own requirement providerx is missing too: it may be what brings absentlib."""
    facts = make_facts(
        dists=[dist("consumerx", "2.0", top_level=["consumerx"], requires=["providerx>=2"])],
        imports=import_scan(import_problem("uninstalled", "absentlib", "absentlib", provider=None, eager=True)),
    )
    (finding,) = findings(facts, "IMP003")
    assert finding.severity is Severity.INFO and "1 of those are not installed (providerx)" in finding.message


def test_uninstalled_module_that_is_declared_or_lazy_is_info():
    declared = _consumer_facts(import_problem("uninstalled", "deep_gemm", "deep_gemm", provider=None, eager=True))
    lazy = _consumer_facts(import_problem("uninstalled", "absentlib", "absentlib", provider=None, scope="function"))
    assert findings(declared, "IMP003")[0].severity is Severity.INFO
    assert "declared in its requirements" in findings(declared, "IMP003")[0].message
    assert findings(lazy, "IMP003")[0].severity is Severity.INFO


def test_import_checks_are_skipped_without_a_scan():
    facts = make_facts(dists=[dist("idna", "3.7")])
    run = run_checks([load_registry().by_code()["IMP001"]], facts)
    assert run.findings == () or list(run.findings) == []
    assert [s.code for s in run.skipped] == ["IMP001"]


@pytest.mark.parametrize(
    "path, root, under",
    [
        ("/site/pkg", "/site/pkg", True),  # the package folder itself
        ("/site/pkg/__init__.py", "/site/pkg", True),
        ("/site/pkg/sub/mod.py", "/site/pkg/", True),  # a trailing separator on the root
        ("/site/pkg.py", "/site/pkg", True),  # the module file
        ("/site/pkg.cpython-311-x86_64-linux-gnu.so", "/site/pkg", True),  # an extension module
        ("/site/pkgextra/__init__.py", "/site/pkg", False),  # a longer name is another module
        ("/site/pkg.libs/libfoo.so", "/site/pkg", False),  # a file in a folder named pkg.<x>
        ("/other/pkg.py", "/site/pkg", False),
        ("/site", "/site/pkg", False),
    ],
)
def test_module_path_is_under_its_root(path, root, under):
    from envdoctor.checks._resolution import _is_under

    assert _is_under(path, root) is under


def test_a_requirement_in_force_through_two_extras_names_the_first_and_who_asked_for_it():
    from envdoctor.vocabulary.requirements_in_force import active_requirements

    facts = make_facts(dists=[
        dist("one", "1.0", requires=["provider[b]"]),
        dist("two", "1.0", requires=["provider[a]"]),
        dist("provider", "1.0", requires=['speedup; extra == "a" or extra == "b"', 'always; extra == "b" or python_version > "2"']),
    ])
    by_text = {item.text: item for item in active_requirements(facts) if item.requirer.name == "provider"}
    speedup = by_text['speedup; extra == "a" or extra == "b"']
    assert (speedup.via_extra, speedup.extra_requested_by) == ("a", ("two 1.0",))
    always = by_text['always; extra == "b" or python_version > "2"']
    assert (always.via_extra, always.extra_requested_by) == ("", ())


def test_int005_names_an_unreadable_sys_path_folder_and_makes_the_run_could_not_check():
    from envdoctor.errors import EXIT_OK, EXIT_USAGE
    from tests.helpers.facts import sys_path

    path = sys_path()
    path[2] = dict(path[2], unreadable="Permission denied")
    facts = make_facts(path=path)
    (finding,) = findings(facts, "INT005")
    assert finding.title == f"could not read {path[2]['path']}: Permission denied"
    assert finding.subject == path[2]["path"]
    specs = [load_registry().by_code()["INT005"]]
    assert run_checks(specs, facts).exit_code(strict=False) == EXIT_USAGE
    assert run_checks(specs, make_facts()).exit_code(strict=False) == EXIT_OK


def test_int005_says_what_breaks_for_each_kind_and_names_the_file_that_could_not_be_read():
    from envdoctor.errors import EXIT_USAGE
    from tests.helpers.facts import sys_path

    path = sys_path()
    path[2] = dict(path[2], unreadable="Permission denied")
    pth = {"path": f"{SITE}/extra.pth", "site_dir": SITE, "lines": [], "error": "Permission denied"}
    metadata = dist("tiny", "1.0", unreadable="METADATA: Permission denied")
    folder = dist("other", "2.0", unreadable="Permission denied", record=None, record_count=0)
    facts = make_facts(path=path, pth_files=[pth], dists=[metadata, folder])
    by_subject = {finding.subject: finding for finding in findings(facts, "INT005")}

    on_path = by_subject[path[2]["path"]]
    assert on_path.severity is Severity.ERROR and "cannot import anything from this folder" in on_path.message
    skipped_pth = by_subject[pth["path"]]
    assert skipped_pth.severity is Severity.ERROR and "site skips this .pth file" in skipped_pth.message
    # Unreadable metadata: the package still imports, so a warning, and no "Python cannot read them either".
    unread_file = by_subject["tiny"]
    assert unread_file.severity is Severity.WARNING
    assert unread_file.message.startswith("tiny still imports, but importlib.metadata and pip see it without name")
    metadata_file = f"{metadata['metadata_path']}/METADATA"
    assert unread_file.title == f"could not read {metadata_file}: Permission denied"
    assert unread_file.fix.summary.startswith(f"make {metadata_file} readable")  # the file, not its folder
    unread_folder = by_subject["other"]
    assert unread_folder.severity is Severity.WARNING
    assert unread_folder.fix.summary.startswith(f"make {folder['metadata_path']} readable")
    # A warning still makes the run "could not check".
    specs = [load_registry().by_code()["INT005"]]
    assert run_checks(specs, make_facts(dists=[metadata])).exit_code(strict=False) == EXIT_USAGE


def test_int005_near_miss_metadata_whose_reason_holds_a_colon_is_not_taken_for_a_file():
    odd = dist("tiny", "1.0", unreadable="Permission denied: by policy", record=None, record_count=0)
    (finding,) = findings(make_facts(dists=[odd]), "INT005")
    assert finding.title == f"could not read {odd['metadata_path']}: Permission denied: by policy"


def test_hook002_is_a_warning_before_312_and_names_the_fixed_release():
    (finding,) = findings(dataclasses.replace(hook002_pos(), interpreter=make_facts(version=(3, 11, 7)).interpreter), "HOOK002")
    assert finding.severity is Severity.WARNING and "Python 3.12 and newer will skip it" in finding.title
    (error,) = findings(hook002_pos(), "HOOK002")
    assert error.severity is Severity.ERROR and "six 1.16.0 fixed it" in error.message


def test_pyu_fix_upgrades_to_the_known_fixed_release_or_pins_setuptools():
    (figlet,) = findings(pyu003_pos(), "PYU003")
    assert figlet.fix.install == InstallRequest(("pyfiglet>=1.0.0",))
    unknown = _legacy(uses=[_use("pkg_resources", "pkg_resources", "APScheduler", "3.6.3", "apscheduler/__init__.py")])
    (aps,) = findings(unknown, "PYU003")
    assert aps.fix.install == InstallRequest(("setuptools<82",)) and not aps.fix.safe
    (nose,) = findings(pyu001_pos(), "PYU001")
    assert nose.fix is None  # no fixed release of nose is known: nothing to install
