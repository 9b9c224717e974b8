"""envdoctor shim support: run a function right after a module is first imported, never importing it.

Used by envdoctor's version-guarded patches (envdoctor_shim_torch_patches):
`when_imported("torch._dynamo.convert_frame", patch)` calls `patch(module)`
once that module has executed, in whichever process imports it; a process
that never imports it pays one dict lookup per import.  Installed and removed
together with the shim that uses it.
"""

import sys

__envdoctor_shim__ = "post-import 1"

_HOOKS = {}  # module name -> callbacks not yet run


def when_imported(name, callback):
    if name in sys.modules:  # already imported (by an earlier .pth line, say)
        callback(sys.modules[name])
        return
    _HOOKS.setdefault(name, []).append(callback)
    if not any(isinstance(f, PostImportFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, PostImportFinder())


def _run_hooks(module):
    for callback in _HOOKS.pop(module.__name__, ()):
        try:
            callback(module)
        except Exception as exc:  # a patch must never break the import it rides on
            sys.stderr.write("envdoctor shim: %s for %s failed: %s: %s\n"
                             % (getattr(callback, "__name__", callback), module.__name__, type(exc).__name__, exc))


class PostImportFinder(object):
    """First on sys.meta_path: for a watched module, asks the finders after it for the spec
    and wraps the loader's exec_module so the callbacks run after the module's code."""

    def __init__(self):
        self._busy = set()

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _HOOKS or fullname in self._busy:
            return None
        self._busy.add(fullname)
        try:
            spec = None
            for finder in list(sys.meta_path):
                find = getattr(finder, "find_spec", None)
                if finder is self or find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
        finally:
            self._busy.discard(fullname)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original = loader.exec_module

        def exec_module(module):
            try:
                original(module)
            finally:
                try:  # the loader instance is this module's own: leave it as it was
                    del loader.exec_module
                except AttributeError:
                    pass
            _run_hooks(module)

        try:
            loader.exec_module = exec_module
        except (AttributeError, TypeError):  # a loader that takes no attributes: no hook
            pass
        return spec

    def __repr__(self):
        return "<envdoctor post-import hooks for %s>" % ", ".join(sorted(_HOOKS)) if _HOOKS else "<envdoctor post-import hooks>"
