"""The first releases of a distribution known to have fixed a Python-upgrade breakage.

Data for the PYU and HOOK002 findings and their fixes: the fix upgrades to the release named
here, and only where it is named (no guessing a fix from the latest release).  Each entry was
checked by reading the files of the fixed release and of the one before it (the wheels).
Keys: (canonical distribution name, what broke) where what broke is the module, the
module.name, "pkg_resources" or "legacy-finder".
"""

from typing import Dict, NamedTuple, Optional, Tuple


class FixedRelease(NamedTuple):
    version: str
    reference: str


FIXED_RELEASES: Dict[Tuple[str, str], FixedRelease] = {
    # six 1.16.0's _SixMetaPathImporter defines find_spec(); 1.15.0's has only find_module().
    ("six", "legacy-finder"): FixedRelease("1.16.0", "https://pypi.org/project/six/1.16.0/"),
    # urllib3 1.26.5 vendors six 1.16.0 (urllib3/packages/six.py); 1.26.4 still vendors six 1.12.0.
    ("urllib3", "legacy-finder"): FixedRelease("1.26.5", "https://pypi.org/project/urllib3/1.26.5/"),
    # pyfiglet 1.0.0 no longer imports pkg_resources; 0.8.post1 does, in pyfiglet/__init__.py.
    ("pyfiglet", "pkg_resources"): FixedRelease("1.0.0", "https://pypi.org/project/pyfiglet/1.0.0/"),
}


def fixed_release(distribution: str, what: str) -> Optional[FixedRelease]:
    return FIXED_RELEASES.get((distribution, what))
