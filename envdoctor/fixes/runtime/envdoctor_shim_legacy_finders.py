"""envdoctor shim: a PEP 451 find_spec() for sys.meta_path finders that only have find_module().

Installed by `envdoctor fix` (finding HOOK001) with a .pth line that imports it
at interpreter start; removed by `envdoctor undo`.  Python 3.12 stopped
calling find_module(), so such a finder silently serves nothing there
(sgl-project/sglang#21548).  This gives each one a find_spec() that asks
find_module() and wraps the loader it returns, and keeps doing so for finders
that packages insert later, by watching sys.meta_path.  Where no finder lacks
find_spec() it changes nothing.
"""

import importlib.util  # here, not in find_spec: importing inside a finder would recurse into it
import sys

__envdoctor_shim__ = "legacy-finders 1"


def _adapted(finder):
    if callable(getattr(finder, "find_spec", None)) or not callable(getattr(finder, "find_module", None)):
        return finder

    def find_spec(fullname, path=None, target=None):
        loader = finder.find_module(fullname, path)
        if loader is None:
            return None
        return importlib.util.spec_from_loader(fullname, loader)

    find_spec.__envdoctor_shim__ = True
    try:
        # On the finder itself, so that code looking it up by identity in
        # sys.meta_path (to remove it, say) still finds it.
        finder.find_spec = find_spec
        return finder
    except (AttributeError, TypeError):
        return _Adapter(finder, find_spec)


class _Adapter(object):
    """For a finder that does not accept a new attribute (__slots__, a C type)."""

    def __init__(self, finder, find_spec):
        self.finder = finder
        self.find_spec = find_spec

    def __getattr__(self, name):
        return getattr(self.finder, name)

    def __repr__(self):
        return "<envdoctor legacy-finder adapter for %r>" % (self.finder,)


class _MetaPath(list):
    """sys.meta_path, adapting every finder put into it."""

    def append(self, finder):
        list.append(self, _adapted(finder))

    def insert(self, index, finder):
        list.insert(self, index, _adapted(finder))

    def extend(self, finders):
        list.extend(self, [_adapted(f) for f in finders])

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            value = [_adapted(f) for f in value]
        else:
            value = _adapted(value)
        list.__setitem__(self, index, value)

    def __iadd__(self, finders):
        self.extend(finders)
        return self


def install():
    if not isinstance(sys.meta_path, _MetaPath):
        sys.meta_path = _MetaPath(_adapted(f) for f in sys.meta_path)


install()
