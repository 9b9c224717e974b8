"""The plain-requirement fast path must agree with packaging on every input.

It sits behind packaging's own API: what it returns is a packaging Requirement, equal to
Requirement(text), on hand-picked edge cases and on every Requires-Dist line of a large
real corpus (the test wheel cache, this virtual environment, the H200 CUDA-stack snapshot).
"""

import email.parser
import json
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers.caches import clear_requirement_caches
from packaging.requirements import InvalidRequirement, Requirement

from envdoctor.model.facts import canonicalize
from envdoctor.vocabulary.requires_dist import _parse, plain_requirement
from tests.helpers.venvs import WHEEL_CACHE

DATA = Path(__file__).resolve().parents[1] / "data"

CASES = [
    "numpy", "numpy>=1.22", "idna<4,>=2.5", "torch==2.13.0", "foo (>=1.0)", "foo>=1.0,", "Foo.Bar_baz~=1.2",
    "x===1.0", "x==1.0.*", "1x>=1", "a!=1.0,!=1.1", "  spaced  >= 1.0 ", "setuptools; python_version >= '3.12'",
    "a[b]>=1", "a @ https://x/y.whl", "bad req !!", "x>=1.0.*", "x>=", "x<<1", "-x>=1", "x>=1.0 ; extra == 'a'",
    "a[b, c] (>=1,<2) ; python_version >= '3.8' and extra == \"fast\"", "a[]", "a[b c]", "a[b]; platform_system == 'Linux'",
    'triton==3.6.0; platform_system == "Linux" and platform_machine == "x86_64"', "x; bogus_var == '1'", "x;",
    "x ; os_name == 'nt' or (sys_platform == 'darwin' and python_full_version < '3.12')", "x; (", "x>=1; extra == 'a' ; b",
    "A_B[Fast_Mode]>=1; extra == 'Dev_Tools'", "x (==1.0) ; python_version<'3.10'",
]

ENVIRONMENTS = [
    {"python_version": "3.11", "python_full_version": "3.11.7", "platform_system": "Linux", "platform_machine": "x86_64",
     "os_name": "posix", "sys_platform": "linux", "extra": extra}
    for extra in ("", "a", "fast")
] + [{"python_version": "3.7", "python_full_version": "3.7.1", "platform_system": "Darwin", "platform_machine": "arm64",
      "os_name": "posix", "sys_platform": "darwin", "extra": ""}]


def _evaluations(marker):
    results = []
    for env in ENVIRONMENTS:
        try:
            results.append(marker.evaluate(env))
        except Exception as exc:
            results.append(type(exc).__name__)
    return results


def _agrees_with_packaging(text):
    parsed, error = _parse(text)
    try:
        reference = Requirement(text)
    except InvalidRequirement:
        assert parsed is None and error
        return
    assert parsed is not None
    mine = parsed.requirement
    assert type(mine) is Requirement
    assert mine == reference and str(mine) == str(reference)
    assert parsed.has_specifier == bool(str(reference.specifier))
    assert parsed.extras == tuple(sorted(canonicalize(e) for e in reference.extras))
    assert parsed.marker_uses_extra == ("extra" in str(reference.marker or ""))
    assert (mine.name, str(mine.specifier), set(mine.extras), mine.marker is None, mine.url) == (
        reference.name, str(reference.specifier), set(reference.extras), reference.marker is None, reference.url)
    if mine.marker is not None:
        assert _evaluations(mine.marker) == _evaluations(reference.marker)


@pytest.fixture(autouse=True)
def fresh_caches():
    """Parse every text anew (tests/helpers/caches.py says why)."""
    clear_requirement_caches()


@pytest.mark.parametrize("text", CASES)
def test_fast_path_matches_packaging(text):
    _agrees_with_packaging(text)


def test_plain_shapes_take_the_fast_path():
    assert plain_requirement("idna<4,>=2.5") is not None
    assert plain_requirement("a[b]>=1; python_version >= '3.8'") is not None
    assert plain_requirement("a @ https://x/y.whl") is None


def _metadata_requirements(text: str):
    return email.parser.Parser().parsestr(text, headersonly=True).get_all("Requires-Dist") or []


def real_corpus():
    """Every Requires-Dist line of the test wheel cache, this interpreter's environment and the
    H200 snapshot (198 distributions of a CUDA 13 stack)."""
    lines = set()
    for wheel in sorted(WHEEL_CACHE.glob("*.whl")) if WHEEL_CACHE.is_dir() else ():
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                if name.endswith(".dist-info/METADATA"):
                    lines.update(_metadata_requirements(archive.read(name).decode("utf-8", "replace")))
    for folder in {Path(p) for p in sys.path if p.endswith("-packages")}:
        for metadata in folder.glob("*.dist-info/METADATA"):
            lines.update(_metadata_requirements(metadata.read_text(encoding="utf-8", errors="replace")))
    snapshot = json.loads((DATA / "snapshot-h200-cuda13.json").read_text())
    for dist in snapshot["distributions"]:
        lines.update(dist.get("requires_dist", ()))
    return sorted(lines)


def test_fast_path_matches_packaging_on_a_real_corpus():
    corpus = real_corpus()
    assert len(corpus) > 2500  # the snapshot alone has 2,549 distinct lines
    fast = 0
    for text in corpus:
        _agrees_with_packaging(text)
        fast += plain_requirement(text) is not None
    assert fast > len(corpus) * 0.9  # the fast path is the common path, or it is not worth having


def test_parsing_ahead_fills_the_cache_that_the_checks_read():
    """parse_requires_dist (idle_work.py, while the probe runs) parses into the very cache entry
    parsed_requirements(dist) then finds: keyed by the tuple of lines."""
    from envdoctor.vocabulary.requires_dist import _parsed, parse_requires_dist

    lines = ("numpy>=1.26", "torch==2.11.0; sys_platform == 'linux'")
    _parsed.cache_clear()
    assert parse_requires_dist(lines) is None
    assert (_parsed.cache_info().currsize, _parsed.cache_info().misses) == (1, 1)
    good, bad = _parsed(lines)
    assert ([item.key for item in good], bad) == (["numpy", "torch"], []) and _parsed.cache_info().hits == 1
