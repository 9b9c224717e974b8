"""A command prefix under which file permissions bind, even when the tests run as root.

root reads a mode-000 file through CAP_DAC_OVERRIDE (and lists a mode-000 folder through
CAP_DAC_READ_SEARCH), so a test of "permission denied" needs those two capabilities gone.
Two routes, tried in this order and each verified on a real mode-000 file:

1. `setpriv --bounding-set=-dac_override,-dac_read_search`: drops both from the bounding set,
   so the command runs as root without them.  It needs no user namespace, which Docker's
   default seccomp profile refuses unless the container is privileged.
2. `unshare --user --map-user=1000 --map-group=1000`: a user namespace in which root is uid
   1000, still the owner of every file the test made, without capabilities.

Modes 0400/0500 stay readable by the owner under both, as for a plain user.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from typing import List, Tuple

from tests.conftest import skip_or_fail

ROUTES: Tuple[Tuple[str, ...], ...] = (
    ("setpriv", "--bounding-set=-dac_override,-dac_read_search"),
    ("unshare", "--user", "--map-user=1000", "--map-group=1000"),
)


def permission_bound_prefix() -> List[str]:
    """[] for a user who is not root; else the first route that really denies a mode-000 file
    and allows a 0400 one; else skip (a failure under CI=true) naming why each route failed."""
    if os.geteuid() != 0:
        return []
    prefix, reasons = _first_working_route()
    if prefix is None:
        skip_or_fail("running as root, and nothing here drops root's permission override: " + "; ".join(reasons))
    return list(prefix)


@functools.lru_cache(maxsize=None)
def _first_working_route():
    reasons = []
    for route in ROUTES:
        if shutil.which(route[0]) is None:
            reasons.append(f"no `{route[0]}`")
            continue
        failure = _why_route_fails(route)
        if failure is None:
            return route, ()
        reasons.append(f"`{' '.join(route)}`: {failure}")
    return None, tuple(reasons)


def _why_route_fails(route: Tuple[str, ...]):
    with tempfile.TemporaryDirectory() as folder:
        denied, allowed = os.path.join(folder, "denied"), os.path.join(folder, "allowed")
        for path, mode in ((denied, 0o000), (allowed, 0o400)):
            with open(path, "w") as handle:
                handle.write("x")
            os.chmod(path, mode)
        reads_allowed = subprocess.run([*route, "cat", allowed], capture_output=True, text=True, timeout=60)
        if reads_allowed.returncode != 0:
            return f"cannot run a command: {reads_allowed.stderr.strip() or reads_allowed.returncode}"
        reads_denied = subprocess.run([*route, "cat", denied], capture_output=True, text=True, timeout=60)
        if reads_denied.returncode == 0:
            return "a mode-000 file is still readable"
    return None
