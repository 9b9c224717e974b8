"""Where the deep probes keep the bytecode of what they import (probe/in_target/bytecode.py).

A folder of the user's cache, given to the deep probes as PYTHONPYCACHEPREFIX: an image built
without bytecode compiles torch from source on every import, and the second `--deep` run reads
it from here instead.  Never inside the environment under test (the probe checks that too).
Where the user's environment sets PYTHONPYCACHEPREFIX itself, that choice stands and the
probes write no bytecode at all.
"""

from __future__ import annotations

import os
from typing import Dict, Mapping, Optional

from envdoctor.vocabulary.cache_files import cache_folder


def bytecode_prefix(user: Mapping[str, str] = os.environ) -> Optional[str]:
    """The folder the deep probes may write bytecode to; None where the user chose their own."""
    if user.get("PYTHONPYCACHEPREFIX"):
        return None
    return os.path.abspath(cache_folder("bytecode"))


def bytecode_environment(prefix: Optional[str]) -> Dict[str, str]:
    """What a deep probe's environment gets for `prefix` (also read by the processes it starts)."""
    return {"PYTHONPYCACHEPREFIX": prefix} if prefix else {}
