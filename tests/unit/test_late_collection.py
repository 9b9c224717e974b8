"""A target subprocess collected after its deadline (probe/process.py's Running).

--deep starts the JIT build and the all-reduce with the imports and collects them after: a run
that finished in time must give its answer then, not "no result within 60 s" (the false JIT007
and MGPU001 of the H200 run at 09:38, docs/transcripts/2026-11-30-h200x2-gpu-runtime.md); one
still running at its deadline did time out, and is ended at once.  Real processes."""

from __future__ import annotations

import sys
import time

from envdoctor.probe.process import Running

ANSWER_END = b"@@done@@"


def started(code: str, tmp_path, allowed: float) -> Running:
    return Running([sys.executable, "-c", code], str(tmp_path), time.monotonic() + allowed)


def test_a_child_that_answered_and_exited_before_a_late_collection_gives_its_answer(tmp_path):
    child = started("print('the answer @@done@@', flush=True)", tmp_path, allowed=1.0)
    time.sleep(2.5)  # the caller was busy with other children past this one's deadline
    result = child.wait(ANSWER_END)
    assert not result.timed_out, result
    assert (result.returncode, result.stdout.strip()) == (0, "the answer @@done@@")


def test_a_child_that_exited_without_answering_before_a_late_collection_is_a_crash_not_a_timeout(tmp_path):
    child = started("import sys; sys.stderr.write('boom'); sys.exit(3)", tmp_path, allowed=1.0)
    time.sleep(2.5)
    result = child.wait(ANSWER_END)
    assert (result.timed_out, result.returncode, result.stderr) == (False, 3, "boom")


def test_a_child_still_running_at_a_late_collection_timed_out_and_is_ended_at_once(tmp_path):
    child = started("import time; print('working', flush=True); time.sleep(120)", tmp_path, allowed=1.0)
    time.sleep(2.5)
    collected = time.monotonic()
    result = child.wait(ANSWER_END)
    assert result.timed_out and result.returncode is None
    assert result.stdout.strip() == "working"  # what it wrote before is kept
    assert time.monotonic() - collected < 30  # not waited for: ended at collection (generous bound)


def test_a_child_answering_in_parts_gets_a_new_deadline_with_each_part(tmp_path):
    """next_deadline: three parts 1 s apart, each within its 2.5 s, all in more than one budget."""
    code = "import time\nfor n in range(3):\n    time.sleep(1.0); print('part', n, flush=True)\nprint('@@done@@', flush=True)\n"
    child = started(code, tmp_path, allowed=2.5)
    result = child.wait(ANSWER_END, next_deadline=lambda out: time.monotonic() + 2.5)
    assert not result.timed_out, result
    assert result.stdout.split() == ["part", "0", "part", "1", "part", "2", "@@done@@"]
