"""Where the deep probes keep the bytecode of what they import (probe/in_target/bytecode.py).

A folder of the user's cache, given to the deep probes as PYTHONPYCACHEPREFIX, only for an
environment that has no bytecode of its own: an image built with PYTHONDONTWRITEBYTECODE=1
(the H200's has no .pyc for torch) compiles torch from source on every import, and the second
`--deep` run reads it from here instead.  With the prefix set, Python reads bytecode only from
it, never from __pycache__: an environment pip compiled at install keeps using its own, and
gets no prefix.  Never inside the environment under test (the probe checks that too).  Where
the user's environment sets PYTHONPYCACHEPREFIX itself, that choice stands and the probes
write no bytecode at all.
"""

from __future__ import annotations

import os
from typing import Dict, Mapping, Optional

from envdoctor.model.facts import Facts
from envdoctor.vocabulary.cache_files import cache_folder
from envdoctor.vocabulary.stack import TORCH_MODULE


def bytecode_prefix(facts: Optional[Facts] = None, user: Mapping[str, str] = os.environ) -> Optional[str]:
    """The folder the deep probes may write bytecode to; None where the user chose their own, or
    where the environment has bytecode of its own (judged on torch, the import that dominates)."""
    if user.get("PYTHONPYCACHEPREFIX"):
        return None
    if facts is not None and has_own_bytecode(facts):
        return None
    return os.path.abspath(cache_folder("bytecode"))


def has_own_bytecode(facts: Facts) -> bool:
    """Whether torch's package folder holds bytecode for the target's interpreter (its
    __pycache__/__init__.<cache tag>.pyc); False where torch or the cache tag is unknown."""
    module = (facts.modules or {}).get(TORCH_MODULE)
    tag = facts.interpreter.cache_tag if facts.interpreter else None
    if module is None or not module.origin or not tag:
        return False
    folder, file = os.path.split(module.origin)
    stem = file.rpartition(".")[0]
    return os.path.isfile(os.path.join(folder, "__pycache__", f"{stem}.{tag}.pyc"))


def bytecode_environment(prefix: Optional[str]) -> Dict[str, str]:
    """What a deep probe's environment gets for `prefix` (also read by the processes it starts)."""
    return {"PYTHONPYCACHEPREFIX": prefix} if prefix else {}
