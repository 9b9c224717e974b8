"""Facts about which NumPy C-API each distribution's extension modules were compiled against.

Read from the bytes of the extension modules (scan/numpy_builds.py), never by importing them:
the header `numpy/__multiarray_api.h` compiles into every module that calls `import_array()` the
name of the module it imports at run time, and NumPy 2's header also the C-API version it targets.
"""

from __future__ import annotations

from typing import Optional, Tuple

from envdoctor.model.record import Record, record


@record
class NumpyBuild(Record):
    """One distribution whose extension modules use NumPy's C-API."""

    distribution: str  # the name its metadata gives
    metadata_path: str  # which copy (several may be installed)
    # Extension modules (relative to the distribution's location, the first ten of each count)
    # compiled with NumPy 1.x headers: they import `numpy.core._multiarray_umath` only.
    numpy_1: Tuple[str, ...] = ()
    numpy_1_count: int = 0
    # Compiled with NumPy 2 headers: `numpy._core._multiarray_umath`, with a fallback for NumPy 1.
    numpy_2: Tuple[str, ...] = ()
    numpy_2_count: int = 0
    # The newest NumPy C-API those NumPy 2 builds target ("1.23", from NPY_FEATURE_VERSION_STRING):
    # below it, their import_array() fails.  None when no NumPy 2 build says.
    numpy_2_target: Optional[str] = None
    # Extension modules that could not be read (permission denied): not judged.
    unreadable: Tuple[str, ...] = ()
