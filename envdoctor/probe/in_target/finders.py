# The import system's finders, described as facts: sys.meta_path, sys.path_hooks, the
# legacy path-entry finders, and envdoctor's own shims loaded at start-up.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax.
# The facts probe (facts_entry.py) and the deep probe (deep_import.py) both describe finders.
import sys


def describe_finder(obj):
    cls = obj if isinstance(obj, type) else type(obj)
    module_name = getattr(cls, "__module__", None)
    module = sys.modules.get(module_name) if module_name else None
    try:
        text = repr(obj)
    except Exception:
        text = "<unrepresentable %s>" % cls.__name__
    return {
        "class": getattr(cls, "__qualname__", cls.__name__),
        "module": module_name,
        "file": getattr(module, "__file__", None),
        "repr": text[:200],
        "is_class": isinstance(obj, type),
        "find_spec": callable(getattr(obj, "find_spec", None)),
        "find_module": callable(getattr(obj, "find_module", None)),
        # A stand-in finder (envdoctor's stubs) names the top-level modules it serves.
        "stub_for": _stub_for(obj),
    }


def _stub_for(obj):
    try:
        names = getattr(obj, "__envdoctor_stub_for__", None) or ()
        return [str(n) for n in names if isinstance(n, str)][:20] if isinstance(names, (tuple, list)) else []
    except Exception:  # a finder with an exotic __getattr__: not a stub of ours
        return []


def import_system():
    path_entry_finders = []
    for path, finder in list(sys.path_importer_cache.items()):
        if finder is None or callable(getattr(finder, "find_spec", None)):
            continue
        described = describe_finder(finder)
        described["path"] = path
        path_entry_finders.append(described)
    # envdoctor's own shims and stubs loaded at start-up (their .pth lines ran): "torch-patches 1", ...
    shims = sorted(set(str(getattr(module, "__envdoctor_shim__", ""))
                       for name, module in list(sys.modules.items())
                       if name.startswith("envdoctor_") and getattr(module, "__envdoctor_shim__", None)))
    return {
        "shims": shims,
        "meta_path": [describe_finder(f) for f in sys.meta_path],
        "path_hooks": [describe_finder(h) for h in sys.path_hooks],
        "legacy_path_entry_finders": path_entry_finders,
    }
