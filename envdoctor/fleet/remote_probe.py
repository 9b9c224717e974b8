"""The facts probe for a node envdoctor reaches through an engine: the command with its modules
as text (the node has no copy of envdoctor's files), and its answer turned back into Facts."""

from __future__ import annotations

import functools
import os
from typing import Dict, List, Optional, Tuple

from envdoctor.errors import EnvdoctorError
from envdoctor.model.facts import Facts, Startup
from envdoctor.model.target import Target
from envdoctor.probe.command import ALL_REDUCE_PROGRAM, FACTS_PROGRAM, IN_TARGET, new_nonce, payload_argv, program_source
from envdoctor.probe.facts_document import facts_from_document, parse_pth_errors
from envdoctor.probe.frame import extract_document
from envdoctor.probe.process import stderr_tail

# Stands for the folder the node writes the probe's modules to; replaced there.
PLACEHOLDER = "@ENVDOCTOR_PROBE_FOLDER@"


@functools.lru_cache(maxsize=None)
def _sources(program) -> Dict[str, str]:
    """The program's target-side modules as text: module file name -> source (read once: every
    rank of --deep's all-reduce, and of each pair test, ships the same modules)."""
    sources = {}
    for name in program:
        with open(os.path.join(IN_TARGET, name + ".py"), encoding="utf-8") as handle:
            sources[name + ".py"] = handle.read()
    return sources


def probe_command() -> Tuple[Dict[str, str], List[str], str]:
    """(module file name -> source, argv whose paths name PLACEHOLDER, nonce)."""
    nonce = new_nonce()
    argv = payload_argv("python", "facts", nonce, keep_code=False)  # the node compiles its own: no cache there
    return _sources(FACTS_PROGRAM), [part.replace(IN_TARGET, PLACEHOLDER) for part in argv], nonce


def all_reduce_command(options: str, nonce: Optional[str] = None) -> Tuple[Dict[str, str], List[str], str]:
    """One rank of --deep's all-reduce (probe/in_target/all_reduce_probe.py), as probe_command; the
    ranks of one all-reduce share a nonce."""
    nonce = nonce or new_nonce()
    argv = ["python", "-B", "-c", program_source(ALL_REDUCE_PROGRAM, folder=PLACEHOLDER), nonce, options]
    return _sources(ALL_REDUCE_PROGRAM), argv, nonce


def answer_document(answer: dict, nonce: str) -> dict:
    """A rank's framed answer, or why there is none."""
    document = extract_document(answer.get("stdout") or "", nonce)
    if document is not None:
        return document
    return {"error": f"no answer (exit {answer.get('returncode')}): {_one_line(answer.get('stderr') or '')}"}


def _one_line(stderr: str) -> str:
    return " | ".join(stderr_tail(stderr, 3).splitlines())


def facts_from_answer(answer: dict, nonce: str, source: str) -> Tuple[Optional[Facts], Optional[str]]:
    """The node's Facts, or None and one line saying why there are none."""
    document = extract_document(answer.get("stdout") or "", nonce)
    if document is None:
        if answer.get("returncode") is None:
            return None, f"the probe gave no answer ({_one_line(answer.get('stderr') or '') or 'timed out'})"
        return None, f"the probe exited {answer['returncode']} without facts: {_one_line(answer.get('stderr') or '')}"
    target = Target(python=answer["python"], cwd=answer["cwd"], source=source)
    startup = Startup(ok=True, pth_errors=tuple(parse_pth_errors(answer.get("stderr") or "")))
    try:
        return facts_from_document(document, target, startup), None
    except EnvdoctorError as exc:
        return None, str(exc)
