"""The first release of a distribution whose wheels are built against NumPy 2 (and so import
under NumPy 1 and 2 alike), where it is known, with where that was read.

NPY001 proposes upgrading to it; the knowledge-base rule that names the same upgrade by version
alone (kb/rules/numpy.toml) is replaced by NPY001's finding, which has the compiled modules as
evidence. Sources: numpy/numpy#26191 (the ecosystem table) and the projects' release notes.
"""

from __future__ import annotations

from typing import Dict, NamedTuple, Optional


class NumpyTwoRelease(NamedTuple):
    first: str  # the first version built against NumPy 2
    rule: Optional[str]  # the knowledge-base rule (code) that says the same by version


FIRST_BUILT_FOR_NUMPY_2: Dict[str, NumpyTwoRelease] = {
    # scipy 1.13.0 (April 2024): its wheels are built against numpy 2.0.0rc1.
    "scipy": NumpyTwoRelease("1.13", "KB014"),
    # pandas 2.2.2 (April 2024): "the first release compatible with NumPy 2.0".
    "pandas": NumpyTwoRelease("2.2.2", "KB015"),
    # opencv-python 4.10.0.84 (June 2024): built with NumPy 2 for Python 3.9 and later.
    "opencv-python": NumpyTwoRelease("4.10", "KB013"),
}
