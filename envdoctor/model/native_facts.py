"""Facts about the stack's native extension modules as the dynamic linker would load them.

Collected on the host (envdoctor/linkage/) after the probe; SYM001 and SYM002 weigh them.
"""

from __future__ import annotations

from typing import Optional, Tuple

from envdoctor.model.record import Record, record

# UnresolvedReference.kind
SYMBOL = "symbol"  # an undefined symbol that no loaded object defines (at its version)
VERSION = "version"  # a version need (GLIBC_2.34) the library found does not define
LIBRARY = "library"  # a DT_NEEDED library found nowhere in the search order


@record
class LoadedLibrary(Record):
    """One DT_NEEDED entry of the object that holds a reference, and the file ld.so takes for it."""

    name: str  # the DT_NEEDED name (a soname)
    path: str
    via: str  # LD_LIBRARY_PATH, DT_RUNPATH of X, DT_RPATH of X, ld.so.cache, default directories, loaded by D


@record
class UnresolvedReference(Record):
    kind: str  # symbol | version | library
    extension: str  # the extension module's file
    module: str  # its dotted module name
    distribution: str
    distribution_version: Optional[str]
    needed_by: str  # the file whose reference fails (the extension or a library it loads)
    name: str  # the symbol, the version name, or the library's soname
    demangled: Optional[str] = None  # a C++ symbol as c++filt writes it
    version: Optional[str] = None  # the symbol's version (GLIBC_2.34), for a versioned symbol
    library: Optional[str] = None  # the soname that version belongs to: the library expected
    libraries: Tuple[LoadedLibrary, ...] = ()  # needed_by's DT_NEEDED as they were found
    # For a missing library: the extension's import sites in its own distribution ("path:line")
    # when every one is guarded by try/except ImportError (an optional backend); else empty.
    guarded_imports: Tuple[str, ...] = ()


@record
class NativeLinkage(Record):
    extensions: int = 0  # extension modules resolved
    problems: Tuple[UnresolvedReference, ...] = ()
    unreadable: Tuple[str, ...] = ()  # files that could not be read, with why
    seconds: float = 0.0
