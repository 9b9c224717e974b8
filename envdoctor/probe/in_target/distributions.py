# The installed distributions, from their metadata folders on sys.path, and the module
# files that two of them both install.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax.
import json
import os

from .filesystem import read_text
from .metadata_files import parse_headers, requires_txt
from .record_files import record_files, scan_record

MAX_LISTED_MISSING = 200


def _new_distribution(meta_dir, kind, location, path_index):
    return {
        "name": None, "version": None, "metadata_path": meta_dir, "kind": kind,
        "location": location, "path_index": path_index, "metadata_version": None,
        "requires_dist": [], "requires_python": None, "provides_extra": [],
        "installer": None, "top_level": [], "record": None, "record_count": 0,
        "missing_files": [], "missing_count": 0, "direct_url": None,
        "editable_mapping": None, "pth_files": [], "problems": [],
    }


def _metadata_file(meta_dir, kind):
    if kind == "dist-info":
        return meta_dir + os.sep + "METADATA"
    if os.path.isdir(meta_dir):
        return meta_dir + os.sep + "PKG-INFO"
    return meta_dir  # a single-file .egg-info is the PKG-INFO itself


def _read_core_metadata(dist, metadata_file):
    """Name, version, requirements and extras from METADATA (or PKG-INFO)."""
    problems = dist["problems"]
    try:
        text = read_text(metadata_file)
    except UnicodeDecodeError as exc:
        problems.append("%s is not UTF-8 text (%s at byte %d)" % (os.path.basename(metadata_file), exc.reason, exc.start))
        return
    except OSError as exc:
        problems.append("cannot read %s: %s" % (os.path.basename(metadata_file), exc.strerror or exc))
        return
    headers, error = parse_headers(text)
    if error:
        problems.append("%s: %s" % (os.path.basename(metadata_file), error))
    first = lambda key: (headers.get(key) or [None])[0]  # noqa: E731
    dist["name"] = first("name")
    dist["version"] = first("version")
    dist["metadata_version"] = first("metadata-version")
    dist["requires_dist"] = headers.get("requires-dist", [])
    dist["requires_python"] = first("requires-python")
    dist["provides_extra"] = headers.get("provides-extra", [])
    if not dist["name"]:
        problems.append("%s has no Name header" % os.path.basename(metadata_file))
    if not dist["version"]:
        problems.append("%s has no Version header" % os.path.basename(metadata_file))


def _read_side_files(dist, meta_dir, kind, present):
    """requires.txt (egg-info), INSTALLER and direct_url.json, where the folder has them."""
    problems = dist["problems"]
    if kind != "dist-info" and "requires.txt" in present:
        try:
            dist["requires_dist"] = requires_txt(read_text(meta_dir + os.sep + "requires.txt"))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append("cannot read requires.txt: %s" % exc)
    if dist["name"] is None:
        # Fall back to the folder name so the finding can still say which one.
        base = os.path.basename(meta_dir).rsplit(".", 1)[0]
        dist["name"] = base.split("-")[0]
        dist["version"] = dist["version"] or (base.split("-")[1] if "-" in base else None)
    if "INSTALLER" in present:
        try:
            dist["installer"] = read_text(meta_dir + os.sep + "INSTALLER").strip() or None
        except (OSError, UnicodeDecodeError):
            pass
    if "direct_url.json" in present:
        try:
            dist["direct_url"] = json.loads(read_text(meta_dir + os.sep + "direct_url.json"))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            problems.append("direct_url.json is not valid JSON: %s" % exc)


def _declared_top_level(meta_dir, present):
    """top_level.txt's names, or None without a readable one."""
    if "top_level.txt" not in present:
        return None
    try:
        return [n.strip().replace("/", ".") for n in read_text(meta_dir + os.sep + "top_level.txt").splitlines() if n.strip()]
    except (OSError, UnicodeDecodeError):
        return None


def _read_installed_files(dist, meta_dir, kind, present, dircache, module_files):
    """The RECORD's counts and missing files; returns the top-level modules it provides."""
    files, source, error = record_files(meta_dir, kind, dist["location"], present)
    if error:
        dist["problems"].append("cannot read %s: %s" % (source, error))
    dist["record"] = source
    derived = []
    if files is not None:
        dist["record_count"] = len(files)
        missing = scan_record(files, dist["location"], dist, derived, dircache, module_files)
        dist["missing_count"] = len(missing)
        dist["missing_files"] = missing[:MAX_LISTED_MISSING]
    return derived


def read_distribution(meta_dir, kind, location, path_index, dircache, module_files):
    """One distribution's facts; the files it installs under importable names go to `module_files`."""
    dist = _new_distribution(meta_dir, kind, location, path_index)
    # One listing of the metadata folder answers every "does X exist" below without a stat.
    present = dircache.names(meta_dir) or set()  # None for a single-file .egg-info
    _read_core_metadata(dist, _metadata_file(meta_dir, kind))
    _read_side_files(dist, meta_dir, kind, present)
    declared_top_level = _declared_top_level(meta_dir, present)
    derived = _read_installed_files(dist, meta_dir, kind, present, dircache, module_files)
    top_level = declared_top_level if declared_top_level is not None else derived
    if dist["editable_mapping"]:
        top_level = list(top_level) + [n for n in dist["editable_mapping"] if n not in top_level]
    dist["top_level"] = [n for n in top_level if n and n.split(".")[0].isidentifier()]
    dist["record_modules"] = derived
    return dist


def _metadata_folders(location, dircache):
    """(metadata folder, kind) of every distribution installed in one sys.path folder."""
    if location.endswith(".egg") and os.path.isdir(os.path.join(location, "EGG-INFO")):
        return [(os.path.join(location, "EGG-INFO"), "egg")]
    names = dircache.names(location) or ()
    return [
        (os.path.join(location, name), "dist-info" if name.endswith(".dist-info") else "egg-info")
        for name in sorted(names) if name.endswith((".dist-info", ".egg-info"))
    ]


def distributions(path_entries, dircache):
    found = []
    files_of = {}  # metadata path -> the module files its RECORD lists
    seen_dirs = set()
    for entry in path_entries:
        location = entry["path"]
        key = os.path.normcase(os.path.realpath(location))
        if entry["kind"] != "dir" or key in seen_dirs:
            continue
        seen_dirs.add(key)
        for meta_dir, kind in _metadata_folders(location, dircache):
            if kind == "dist-info" and dircache.names(meta_dir) is None:  # not a folder (the listing is reused)
                continue
            module_files = []
            try:
                dist = read_distribution(meta_dir, kind, location, entry["index"], dircache, module_files)
            except Exception as exc:  # unreadable in a way we did not foresee: report, never crash
                dist = {"name": os.path.basename(meta_dir), "version": None, "metadata_path": meta_dir, "kind": kind,
                        "location": location, "path_index": entry["index"],
                        "problems": ["cannot read metadata: %s: %s" % (type(exc).__name__, exc)]}
            found.append(dist)
            files_of[meta_dir] = module_files
    return found, shared_module_files(found, files_of)


def shared_module_files(dists, files_of):
    """Module files that two distributions' RECORDs both list: they overwrite each other
    (triton and pytorch-triton-rocm both ship triton/__init__.py).  Only distributions
    that share a top-level name can share a module file, so only those are compared."""
    by_module = {}
    for dist in dists:
        for module in dist.get("record_modules") or ():
            by_module.setdefault(module, []).append(dist["metadata_path"])
    suspects = set(meta for metas in by_module.values() if len(metas) > 1 for meta in metas)
    owners = {}
    for dist in dists:  # sys.path order, as the metadata paths are reported
        meta_dir = dist["metadata_path"]
        if meta_dir in suspects:
            for path in files_of.get(meta_dir, ()):
                owners.setdefault(path, []).append(meta_dir)
    return [{"path": path, "metadata_paths": metas} for path, metas in owners.items() if len(metas) > 1]
