"""Requirement evaluation on facts: versions, markers for the target, extras propagated, unmet pins.

Fast and exhaustive on purpose: tests/mutation runs these against every mutant of
vocabulary/versions.py, requires_dist.py and requirements_in_force.py.
"""

from __future__ import annotations

import pytest
from packaging.markers import Marker

from envdoctor.vocabulary import versions
from envdoctor.vocabulary.requires_dist import MarkerEvaluator, ParsedRequirement, parse_requirement, parsed_requirements
from envdoctor.vocabulary.requirements_in_force import active_requirements, unmet_requirements
from tests.helpers.caches import clear_requirement_caches
from tests.helpers.facts import dist, make_facts


@pytest.fixture(autouse=True)
def fresh_caches():
    """Parse every text anew (tests/helpers/caches.py says why)."""
    clear_requirement_caches()


@pytest.mark.parametrize("version, spec, expected", [
    ("2.0", ">=1,<3", True), ("3.0", ">=1,<3", False), ("2.12.0rc1", ">=2.11", True), ("1.0", "", True),
    ("not a version", ">=1", False), (None, ">=1", False), ("1.0", "not a spec", False), ("1.0", "==1.0", True),
])
def test_satisfies(version, spec, expected):
    assert versions.satisfies(version, spec) is expected


def test_version_helpers():
    assert versions.parse_version("2.11.0+cu130").public == "2.11.0"
    assert versions.parse_version("nope") is None and versions.parse_version(None) is None
    assert versions.release("2.11.0+cu130") == (2, 11, 0) and versions.release("x") is None
    assert versions.major_minor("2.11.0") == (2, 11) and versions.major_minor("2.11") == (2, 11) and versions.major_minor("3") == (3, 0)
    assert versions.major_minor("x") is None and versions.major_minor(None) is None
    assert versions.public("2.11.0+cu130") == "2.11.0" and versions.public("2.11.0") == "2.11.0"
    assert versions.public("") == "" and versions.public(None) is None
    assert versions.public("1+a+b") == "1"
    assert str(versions.requires_python_spec(">=3.9")) == ">=3.9" and versions.requires_python_spec("3.9+") is None
    assert versions.specifier_set(">=1") is versions.specifier_set(">=1")  # shared: parsed once


def test_parsed_requirement_fields():
    parsed = parse_requirement("Foo_Bar[Fast, Dev_X] (>=1,<2) ; python_version >= '3.8' and extra == 'gpu'")
    assert isinstance(parsed, ParsedRequirement)
    assert parsed.key == "foo-bar" and parsed.extras == ("dev-x", "fast")
    assert parsed.has_specifier is True and parsed.marker_uses_extra is True
    plain = parse_requirement("numpy")
    assert (plain.key, plain.extras, plain.has_specifier, plain.marker_uses_extra) == ("numpy", (), False, False)
    marked = parse_requirement("numpy; python_version >= '3.8'")
    assert marked.marker_uses_extra is False
    assert parse_requirement("bad req !!") is None
    good, bad = parsed_requirements(make_facts(dists=[dist("x", requires=["a>=1", "bad req !!"])]).distributions[0])
    assert [p.text for p in good] == ["a>=1"]
    assert len(bad) == 1 and bad[0].startswith("Requires-Dist 'bad req !!': ")


def test_marker_evaluator_answers_for_the_target_and_remembers():
    holds = MarkerEvaluator({"python_version": "3.11", "sys_platform": "linux"})
    # Held for the whole test, as parsed requirements hold theirs: results are keyed by id().
    new, windows, gpu, unknown = (Marker("python_version >= '3.9'"), Marker("sys_platform == 'win32'"),
                                  Marker("extra == 'gpu'"), Marker("python_version ~= 'x'"))
    assert holds.holds(new, "") is True
    assert holds.holds(windows, "") is False
    assert holds.holds(gpu, "gpu") is True and holds.holds(gpu, "") is False
    assert holds.holds(unknown, "") is None  # cannot be judged (packaging raises)
    assert holds.results[(id(gpu), "gpu")] is True and len(holds.results) == 5
    holds.environment["sys_platform"] = "win32"  # an answer is computed once per (marker, extra)
    assert holds.holds(windows, "") is False
    assert holds.environment["extra"] == ""


def _in_force(facts):
    return sorted((a.requirer.name, a.text, a.via_extra, a.extra_requested_by) for a in active_requirements(facts))


def test_extras_requested_by_installed_distributions_are_in_force():
    facts = make_facts(dists=[
        dist("app", requires=["lib[fast]>=1", "other; extra == 'never'", "old; python_version < '3'"]),
        dist("tool", requires=["lib[fast,slow]"]),
        dist("lib", "1.5", requires=["base", "speed[turbo]; extra == 'fast'", "crawl; extra == 'slow'",
                                     "unused; extra == 'docs'"]),
        dist("speed", requires=["turbo-core; extra == 'turbo'"]),
    ])
    assert _in_force(facts) == [
        ("app", "lib[fast]>=1", "", ()),
        ("lib", "base", "", ()),
        ("lib", "crawl; extra == 'slow'", "slow", ("tool 1.0",)),
        ("lib", "speed[turbo]; extra == 'fast'", "fast", ("app 1.0", "tool 1.0")),
        ("speed", "turbo-core; extra == 'turbo'", "turbo", ("lib 1.5",)),
        ("tool", "lib[fast,slow]", "", ()),
    ]
    item = next(a for a in active_requirements(facts) if a.text == "lib[fast]>=1")
    assert item.requirement.name == "lib" and item.parsed.key == "lib"


def test_an_extra_of_a_missing_distribution_is_not_followed():
    facts = make_facts(dists=[dist("app", requires=["ghost[x]"])])
    assert _in_force(facts) == [("app", "ghost[x]", "", ())]


def test_an_extra_requested_twice_is_one_requirement_via_the_first_extra():
    facts = make_facts(dists=[
        dist("a", requires=["lib[x,y]"]),
        dist("lib", requires=["both; extra == 'y' or extra == 'x'"]),
    ])
    assert _in_force(facts) == [("a", "lib[x,y]", "", ()), ("lib", "both; extra == 'y' or extra == 'x'", "x", ("a 1.0",))]


def test_unmet_requirements():
    facts = make_facts(dists=[
        dist("app", requires=["lib<2", "missing", "any-version", "weird>=1", "pre>=2", "dup<2", "again<2"]),
        dist("lib", "2.0"), dist("any-version", "0.1"), dist("weird", "not-a-version"), dist("pre", "2.1rc1"),
        dist("dup", "1.0"), dist("again", "3.0"),
    ])
    unmet = [(item.text, provider.display if provider else None) for item, provider in unmet_requirements(facts)]
    assert unmet == [("lib<2", "lib 2.0"), ("missing", None), ("again<2", "again 3.0")]


def test_metadata_found_only_through_the_working_directory_requires_nothing():
    """A build artefact's egg-info in the working directory (sys.path[0]) is not an installed
    distribution (pip's test_check_skip_work_dir_pkg): its requirements are not in force for any
    check (REQ001/REQ002, TOR001, FLI002) or fixer; the same metadata in site-packages is."""
    artefact = dist("myproject", requires=["missing-one"], location="/work", path_index=0)
    assert active_requirements(make_facts(dists=[artefact])) == []
    installed = dist("myproject", requires=["missing-one"], path_index=2)
    assert [item.text for item in active_requirements(make_facts(dists=[installed]))] == ["missing-one"]
