"""fixes/combined.py's requirement arithmetic, on plain data."""

from envdoctor.fixes.combined import _intersected


def test_requirements_on_one_distribution_are_intersected_and_bare_names_kept():
    wanted = {0: ["idna==3.10"], 1: ["idna<4,>=2.5", "tqdm"], 2: ["Six>=1.16"]}
    assert _intersected(wanted) == ["idna==3.10,<4,>=2.5", "tqdm", "Six>=1.16"]


def test_the_same_specifier_is_written_once():
    assert _intersected({0: ["numpy<2"], 1: ["numpy<2,>=1.23.2"]}) == ["numpy<2,>=1.23.2"]
