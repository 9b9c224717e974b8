# Which top-level import name a file provides, by the loader suffixes of this interpreter.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax.

_SUFFIXES = []


def module_suffixes():
    """Every suffix a loader of this interpreter takes, longest first."""
    if not _SUFFIXES:
        import importlib.machinery as machinery
        _SUFFIXES.extend(sorted(set(machinery.all_suffixes()), key=len, reverse=True))
    return _SUFFIXES


def module_name_from_path(relpath):
    """Top-level importable name a RECORD path provides, or None."""
    first = relpath.split("/", 1)[0]
    if (not first or first.startswith("..") or first == "__pycache__" or first.endswith((".dist-info", ".egg-info", ".data", ".pth"))
            or first.startswith("__editable__")):
        return None
    if "/" in relpath:
        return first if first.isidentifier() else None
    for suffix in module_suffixes():
        if first.endswith(suffix):
            stem = first[: -len(suffix)]
            return stem if stem.isidentifier() else None
    return None
