# envdoctor payload part: how an import finder is described in facts.
#
# Not imported by envdoctor: the target interpreter runs it ahead of
# _payload.py (the facts probe) and of _deep.py (the deep import probe),
# which both use it (probe/start.py's BOOTSTRAP).
# Standard library only, Python 3.8 syntax.
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
