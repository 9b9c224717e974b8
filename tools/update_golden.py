"""Rewrite tests/data/golden/findings.* from what the reporters render now, after an intended change.

    python tools/update_golden.py          # write the files that differ, and name them
    python tools/update_golden.py --check  # exit 1 if any differs, writing nothing

Then review `git diff tests/data/golden` before committing.  This is the only way the golden files
change: tests/unit/test_reporters.py only compares, so no test run can pass by writing its own
expectation.  The findings and the context rendered are the test's own (one definition).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))  # run as a script from anywhere: `tests` is imported from the checkout


def rendered() -> dict:
    """golden file -> the text the reporters render for the test's findings."""
    import os

    from envdoctor.report import Format, render
    from tests.unit.test_reporters import GOLDEN, SUFFIXES, context, stable

    from tests.unit.test_text_report import rendered as text_reports

    os.environ.pop("GITHUB_WORKSPACE", None)  # as the test runs it: paths are not made workspace-relative
    texts = {GOLDEN / f"findings.{SUFFIXES[fmt]}": stable(fmt, render(fmt, context())) for fmt in Format}
    return {**texts, **text_reports()}


def main(argv) -> int:
    check_only = "--check" in argv
    texts = rendered()
    stale = [path for path, text in texts.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    for path in stale:
        print(f"{'differs' if check_only else 'wrote'}: {path.relative_to(REPOSITORY)}")
    if not check_only:
        for path in stale:
            path.parent.mkdir(exist_ok=True)
            path.write_text(texts[path], encoding="utf-8")
    return 1 if check_only and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
