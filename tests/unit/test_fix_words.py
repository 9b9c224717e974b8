"""The install fixer's note says a pinned version as one, not as "the newest release of idna==3.10"."""

from __future__ import annotations

from envdoctor.fixes.fixer_api import FixContext
from envdoctor.fixes.reinstall import install_requirement
from envdoctor.model.finding import Finding, FixProposal, Location, Severity
from tests.helpers.facts import SITE, dist, make_facts

FACTS = make_facts(dists=[dist("pip", "24.0"), dist("requests", "2.32.3", requires=["idna<4,>=2.5"]),
                          dist("pinner", "1.0", requires=["idna==3.10"]), dist("idna", "3.20")])


def _finding(requirement: str) -> Finding:
    return Finding("REQ002", "conflicting-requirement", Severity.ERROR, f"pinner 1.0 requires {requirement}",
                   subject="pinner", location=Location(path=f"{SITE}/pinner-1.0.dist-info", distribution="pinner"),
                   fix=FixProposal("reinstall", f"install {requirement}", parameters={"requirement": requirement}))


def test_a_pinned_version_is_said_plainly():
    plan = install_requirement(_finding("idna==3.10"), FixContext(FACTS))
    assert "pip installs idna 3.10, the pinned version, and moves other distributions only if they must" in plan.notes
    assert not any("newest release" in note for note in plan.notes)


def test_a_range_still_says_the_newest_release():
    """Near miss: no pin, so pip does pick the newest release the range allows."""
    facts = make_facts(dists=[dist("pip", "24.0"), dist("requests", "2.32.3", requires=["idna<4,>=2.5"])])
    plan = install_requirement(_finding("idna<4,>=2.5"), FixContext(facts))
    assert any("picks the newest release of idna<4,>=2.5" in note for note in plan.notes)


def test_an_arbitrary_equality_pin_is_said_as_its_version():
    """=== pins too: its version, without the third '='."""
    facts = make_facts(dists=[dist("pip", "24.0"), dist("pinner", "1.0", requires=["idna===3.10"])])
    plan = install_requirement(_finding("idna===3.10"), FixContext(facts))
    assert "pip installs idna 3.10, the pinned version, and moves other distributions only if they must" in plan.notes
