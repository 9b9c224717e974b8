# The files a distribution installed (RECORD, or egg-info's installed-files.txt): which are
# missing, which top-level modules they provide, which module files they are.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax.
import os

from .filesystem import read_text
from .metadata_files import editable_mapping
from .module_names import module_name_from_path


def record_files(meta_dir, kind, location, present):
    """(files relative to `location`, source name, error) from RECORD or installed-files.txt."""
    if kind == "dist-info":
        record = meta_dir + os.sep + "RECORD"
        if "RECORD" not in present:
            return None, None, None
        try:
            text = read_text(record)
        except (OSError, UnicodeDecodeError) as exc:
            return None, "RECORD", "%s: %s" % (type(exc).__name__, exc)
        if '"' not in text:  # no quoted path: the first comma ends every path (5x faster than csv)
            return [line.partition(",")[0] for line in text.splitlines() if line and line[0] != ","], "RECORD", None
        import csv

        try:
            rows = list(csv.reader(text.splitlines()))
        except csv.Error as exc:
            return None, "RECORD", "%s: %s" % (type(exc).__name__, exc)
        return [row[0] for row in rows if row and row[0]], "RECORD", None
    listing = meta_dir + os.sep + "installed-files.txt"
    if "installed-files.txt" not in present:
        return None, None, None
    try:
        lines = read_text(listing).splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return None, "installed-files.txt", "%s: %s" % (type(exc).__name__, exc)
    base = os.path.relpath(meta_dir, location)
    return [os.path.normpath(os.path.join(base, line)).replace(os.sep, "/") for line in lines if line.strip()], "installed-files.txt", None


def scan_record(files, location, dist, derived, dircache, module_files):
    """Missing files, top-level modules and module files of one RECORD.

    torch's RECORD lists ~17,000 files: this is the probe's hot path.  Files are
    grouped by folder first, so each folder costs one listing and one set
    difference, and the per-file work is a split and a dict lookup.
    """
    prefix = location.rstrip(os.sep) + os.sep
    by_folder = {}  # folder relative to location ("" for location itself) -> file names, RECORD order
    for rel in files:
        if os.sep != "/" or "\\" in rel:
            rel = rel.replace("\\", "/")
        folder, _, name = rel.rpartition("/")
        if not folder:  # a file directly in site-packages
            if rel.endswith(".pth"):
                dist["pth_files"].append(prefix + rel)
            elif rel.startswith("__editable___") and rel.endswith("_finder.py"):
                mapping = editable_mapping(prefix + rel)
                if mapping is not None:
                    dist["editable_mapping"] = mapping
        names = by_folder.get(folder)
        if names is None:
            names = by_folder[folder] = []
        names.append(name)
    missing = []
    for folder, names in by_folder.items():
        if folder.endswith("__pycache__") or "__pycache__/" in folder:
            continue  # regenerable; deleting __pycache__ breaks nothing
        if folder.startswith(("/", "..", "./")) or "/../" in folder or "/./" in folder or folder.endswith(("/..", "/.")):
            directory = os.path.normpath(os.path.join(location, folder))
        else:
            directory = prefix + folder.replace("/", os.sep) if folder else prefix.rstrip(os.sep)
        listing = dircache.names(directory)
        gone = names if listing is None else set(names).difference(listing)
        if gone:
            missing.extend(directory + os.sep + name for name in names
                           if name in gone and not name.endswith((".pyc", ".pyo")))
        first = folder.split("/", 1)[0]
        module = module_name_from_path(first + "/x") if folder else None
        if folder:
            if module is not None:
                if module not in derived:
                    derived.append(module)
                module_files.extend(directory + os.sep + name for name in names)
        else:
            for name in names:
                module = module_name_from_path(name)
                if module is not None:
                    if module not in derived:
                        derived.append(module)
                    module_files.append(prefix + name)
    return missing
