"""The plain-requirement fast path must agree with packaging on every input."""

import pytest
from packaging.requirements import InvalidRequirement, Requirement

from envdoctor.checks._metadata import PlainRequirement, _parse
from envdoctor.model.facts import canonicalize

CASES = [
    "numpy", "numpy>=1.22", "idna<4,>=2.5", "torch==2.13.0", "foo (>=1.0)", "foo>=1.0,", "Foo.Bar_baz~=1.2",
    "x===1.0", "x==1.0.*", "1x>=1", "a!=1.0,!=1.1", "  spaced  >= 1.0 ", "setuptools; python_version >= '3.12'",
    "a[b]>=1", "a @ https://x/y.whl", "bad req !!", "x>=1.0.*", "x>=", "x<<1", "-x>=1", "x>=1.0 ; extra == 'a'",
    "a[b, c] (>=1,<2) ; python_version >= '3.8' and extra == \"fast\"", "a[]", "a[b c]", "a[b]; platform_system == 'Linux'",
    'triton==3.6.0; platform_system == "Linux" and platform_machine == "x86_64"', "x; bogus_var == '1'", "x;",
    "x ; os_name == 'nt' or (sys_platform == 'darwin' and python_full_version < '3.12')", "x; (", "x>=1; extra == 'a' ; b",
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


@pytest.mark.parametrize("text", CASES)
def test_fast_path_matches_packaging(text):
    parsed, error = _parse(text)
    try:
        reference = Requirement(text)
    except InvalidRequirement:
        assert parsed is None and error
        return
    assert parsed is not None
    mine = parsed.requirement
    assert parsed.has_specifier == bool(str(reference.specifier))
    assert parsed.extras == tuple(sorted(canonicalize(e) for e in reference.extras))
    assert parsed.marker_uses_extra == ("extra" in str(reference.marker or ""))
    assert (mine.name, str(mine.specifier), set(mine.extras), mine.marker is None, mine.url) == (
        reference.name, str(reference.specifier), set(reference.extras), reference.marker is None, reference.url)
    if mine.marker is not None:
        assert _evaluations(mine.marker) == _evaluations(reference.marker)


def test_plain_shapes_take_the_fast_path():
    assert isinstance(_parse("idna<4,>=2.5")[0].requirement, PlainRequirement)
    assert isinstance(_parse("a[b]>=1; python_version >= '3.8'")[0].requirement, PlainRequirement)
    assert not isinstance(_parse("a @ https://x/y.whl")[0].requirement, PlainRequirement)
