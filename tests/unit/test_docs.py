"""Docs come from the code: the generated check pages must match the docstrings, and the README's
test command is the one CI runs."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_check_docs_are_current():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_check_docs.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_check_page_says_when_it_is_an_error_a_warning_or_info():
    """Issue 16: each check's page states its severities and why; a page without a "Severity:"
    paragraph (a new check, a rule without severity_reason) fails the docs tool."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_check_docs", ROOT / "tools" / "gen_check_docs.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    pages = tool.render()
    assert tool.lacking_severity(pages) == []
    assert len(pages) - 1 >= 56  # every check and rule page was looked at (README.md is not a check)
    new_check = "# NEW001 new-check\n\n## Why it breaks\n\nAn import fails.\n"
    assert tool.lacking_severity({**pages, "NEW001.md": new_check}) == ["NEW001.md"]
    assert tool.lacking_severity({"NEW001.md": new_check.replace("An import", "Severity: an error: an import")}) == []


def test_the_readme_test_command_is_what_ci_runs():
    """The README's test command (the sh block after "Install the test dependencies") is exactly the
    last line of .ci/run, which the README says CI runs."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    after = readme[readme.index("Install the test dependencies"):]
    block = re.search(r"```sh\n(.*?)```", after, re.S)
    assert block, "no ```sh block after \"Install the test dependencies\" in README.md"
    command = block.group(1).strip()
    last_line = (ROOT / ".ci" / "run").read_text(encoding="utf-8").rstrip("\n").splitlines()[-1]
    assert command == last_line, f"README.md runs the tests with\n  {command}\nbut .ci/run with\n  {last_line}"


def test_text_report_in_colour_and_plain_says_the_same():
    """rich only styles; the words are the same with and without a terminal."""
    import re

    from envdoctor.engine import run_checks
    from envdoctor.registry import load_registry
    from envdoctor.report.context import ReportContext
    from envdoctor.report.text import render_text
    from tests.unit.test_checks import nsp001_pos

    facts = nsp001_pos()
    run = run_checks(load_registry().checks, facts)
    plain = render_text(ReportContext(facts=facts, run=run, color=False))
    coloured = render_text(ReportContext(facts=facts, run=run, color=True))
    assert "\x1b[" in coloured and "\x1b[" not in plain
    words = lambda text: re.sub(r"\x1b\[[0-9;]*m", "", text).split()  # noqa: E731
    assert words(plain) == words(coloured)
    assert "✖ NSP001" in plain


def test_info_findings_are_one_line_each_and_capped_without_verbose():
    from envdoctor.engine import run_checks
    from envdoctor.registry import load_registry
    from envdoctor.report.context import ReportContext
    from envdoctor.report.text import render_text
    from tests.helpers.facts import dist, import_problem, import_scan, make_facts

    problems = [import_problem("uninstalled", f"absent{i}", f"absent{i}", provider=None, scope="function") for i in range(7)]
    facts = make_facts(dists=[dist("consumerx", "2.0", top_level=["consumerx"])], imports=import_scan(*problems))
    run = run_checks([load_registry().by_code()["IMP003"]], facts)
    short = render_text(ReportContext(facts=facts, run=run, color=False))
    assert short.count("● IMP003") == 5 and "… 2 more IMP003 info findings" in short
    assert "│" not in short  # no evidence lines
    full = render_text(ReportContext(facts=facts, run=run, color=False, verbose=True))
    assert full.count("● IMP003") == 7 and "│" in full
