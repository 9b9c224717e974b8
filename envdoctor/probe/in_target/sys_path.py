# sys.path, entry by entry, with where each came from; and the .pth files site processed.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax.
import os
import sys

from .filesystem import read_pth


def absolute(path, cwd):
    return os.path.normpath(os.path.join(cwd, path)) if path else cwd


def _classify_pth_line(sitedir, line):
    """(kind, target, exists) of one .pth line, as site would treat it."""
    if line.startswith("#"):
        return "comment", None, None
    if not line.strip():
        return "blank", None, None
    if line.startswith(("import ", "import\t")):
        return "import", None, None
    target = os.path.normpath(os.path.join(sitedir, line.rstrip()))
    return "path", target, os.path.exists(target)


def pth_files(site_dirs, user_site, user_enabled):
    """Every .pth file site processes, in site's order, with each line classified."""
    dirs = []
    if user_enabled and user_site:
        dirs.append(user_site)
    dirs.extend(site_dirs)
    result = []
    seen = set()
    for sitedir in dirs:
        key = os.path.normcase(os.path.realpath(sitedir))
        if key in seen or not os.path.isdir(sitedir):
            continue
        seen.add(key)
        try:
            names = sorted(n for n in os.listdir(sitedir) if n.endswith(".pth") and not n.startswith("."))
        except OSError:
            continue
        for name in names:
            fullname = os.path.join(sitedir, name)
            entry = {"path": fullname, "site_dir": sitedir, "lines": [], "error": None}
            try:
                text = read_pth(fullname)
            except PermissionError as exc:  # site skips it too, but what it adds may matter: INT005
                entry["error"] = exc.strerror or str(exc)
                result.append(entry)
                continue
            except OSError:
                # A dangling symlink, a folder named *.pth, a symlink loop: site.addpackage
                # (3.8-3.13) returns on any OSError from opening the file, so Python starts
                # as if it were not there.  Nothing is lost: skip it as site does.
                continue
            for lineno, line in enumerate(text.splitlines(), 1):
                kind, target, exists = _classify_pth_line(sitedir, line)
                entry["lines"].append({"line": lineno, "text": line, "kind": kind, "target": target, "exists": exists})
            result.append(entry)
    return result


def sys_path_facts(cwd, site_dirs, user_site, pth_entries):
    pythonpath = []
    if not sys.flags.ignore_environment:
        pythonpath = [absolute(p, cwd) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    pth_added = {}
    for pth in pth_entries:
        for line in pth["lines"]:
            if line["kind"] == "path" and line["exists"]:
                pth_added.setdefault(os.path.normcase(line["target"]), [pth["path"], line["line"]])
    site_set = set(os.path.normcase(os.path.abspath(d)) for d in site_dirs)
    user_key = os.path.normcase(os.path.abspath(user_site)) if user_site else None
    pythonpath_set = set(os.path.normcase(p) for p in pythonpath)
    base_dirs = [os.path.normcase(os.path.abspath(p)) for p in (getattr(sys, "base_prefix", sys.prefix), getattr(sys, "base_exec_prefix", sys.exec_prefix))]
    safe_path = bool(getattr(sys.flags, "safe_path", False))
    entries = []
    for index, raw in enumerate(sys.path):
        path = absolute(raw, cwd)
        key = os.path.normcase(path)
        via = None
        if index == 0 and not safe_path and (raw == "" or key == os.path.normcase(cwd)):
            origin = "cwd"
        elif key in pythonpath_set:
            origin = "pythonpath"
        elif key in site_set:
            origin = "site-packages"
        elif user_key is not None and key == user_key:
            origin = "user-site"
        elif key in pth_added:
            origin, via = "pth", pth_added[key]
        elif any(key == base or key.startswith(base + os.sep) for base in base_dirs):
            origin = "stdlib"
        else:
            origin = "unknown"
        if os.path.isdir(path):
            kind = "dir"
        elif os.path.isfile(path):
            kind = "file"
        else:
            kind = "missing"
        entries.append({"index": index, "entry": raw, "path": path, "origin": origin, "pth": via, "kind": kind,
                        "provenance": provenance(origin, key)})
    return entries


def provenance(origin, key):
    """Which layer an entry belongs to: a site folder of the venv ("venv-site") or of the
    interpreter the venv was made from ("system-site": --system-site-packages, Debian's
    dist-packages), else its origin.  distributions.mark_editable_sources() later names the
    entries that are an editable install's source folder."""
    if origin != "site-packages":
        return origin
    prefix = os.path.normcase(os.path.abspath(sys.prefix))
    in_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)
    if in_venv and (key == prefix or key.startswith(prefix + os.sep)):
        return "venv-site"
    return "system-site"
