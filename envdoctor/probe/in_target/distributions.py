# The installed distributions, from their metadata folders on sys.path: the METADATA or
# PKG-INFO headers (egg-info's requires.txt, a setuptools editable finder's MAPPING read
# with ast, never run), the files the RECORD lists (which are missing, which top-level
# modules they provide), the module files that two distributions both install, each
# editable install's source folder and mode, and the dpkg package that owns a distribution.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax.
import json
import os

from .filesystem import read_text
from .module_names import module_name_from_path
from .wheel_files import mark_wheel_tags

MAX_LISTED_MISSING = 200


def parse_headers(text):
    """RFC 822-style metadata headers, up to the first blank line."""
    headers = {}
    last = None
    blank = text.find("\n\n")  # the body (often a long README) is not split into lines
    for line in (text if blank < 0 else text[:blank]).splitlines():
        if not line:
            break
        if line[0] in " \t" and last is not None:
            values = headers[last]
            values[-1] = values[-1] + "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            return headers, "line %r is not a 'Key: value' header" % line[:80]
        last = key.strip().lower()
        headers.setdefault(last, []).append(value.strip())
    return headers, None


def requires_txt(text):
    """egg-info requires.txt sections -> Requires-Dist strings."""
    requirements = []
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        extra, _, marker = section.partition(":")
        conditions = []
        if extra:
            conditions.append('extra == "%s"' % extra)
        if marker:
            conditions.append("(%s)" % marker)
        requirements.append(line + ("; " + " and ".join(conditions) if conditions else ""))
    return requirements


def editable_mapping(path):
    """MAPPING of a setuptools __editable___*_finder.py, read with ast (never imported)."""
    import ast

    try:
        tree = ast.parse(read_text(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == "MAPPING" for t in targets) and node.value is not None:
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return None
            return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else None
    return None


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


def _is_code(folder, name):
    """A RECORD path (split into folder and name) that Python imports: a file under an
    importable top-level folder, or a module file directly in site-packages."""
    if folder:
        return module_name_from_path(folder.split("/", 1)[0] + "/x") is not None
    return module_name_from_path(name) is not None


def _outside(folder):
    """A RECORD folder that climbs out of the dist-info's parent (scripts, data, headers)."""
    return folder.startswith(("/", "..", "./")) or "/../" in folder or "/./" in folder or folder.endswith(("/..", "/."))


def _present_in(directory, names, dircache):
    """The names of `names` that are missing from `directory` (one listing, no stat per file)."""
    listing = dircache.names(directory)
    return names if listing is None else set(names).difference(listing)


def _missing_in_folder(location, prefix, folder, names, dircache, dist):
    """(directory, missing names) of one RECORD folder, resolved as pip resolves it: relative
    to the dist-info's parent.  `pip install --target DIR` writes scripts and data as
    `../../bin/NAME` relative to the scheme's lib/python folder and then moves that folder's
    contents and bin/ into DIR: such an entry that is absent where pip's rule points but
    present at DIR/bin/NAME is there (recorded in `relocated`), not missing."""
    if not _outside(folder):
        directory = prefix + folder.replace("/", os.sep) if folder else prefix.rstrip(os.sep)
        return directory, _present_in(directory, names, dircache)
    directory = os.path.normpath(os.path.join(location, folder))
    gone = _present_in(directory, names, dircache)
    target_dir = os.path.normpath(prefix + folder[len("../../"):]) if folder.startswith("../../") else None
    if gone and target_dir and dircache.names(target_dir) is not None:
        still_gone = _present_in(target_dir, gone, dircache)
        for name in gone:
            if name not in still_gone:
                dist["relocated"].append([folder + "/" + name, target_dir + os.sep + name])
        return target_dir, still_gone  # DIR/bin exists: that is where the missing ones belong
    return directory, gone


def _note_top_level_file(rel, prefix, dist):
    """A .pth or a setuptools editable finder that the RECORD puts directly in site-packages."""
    if rel.endswith(".pth"):
        dist["pth_files"].append(prefix + rel)
    elif rel.startswith("__editable___") and rel.endswith("_finder.py"):
        mapping = editable_mapping(prefix + rel)
        if mapping is not None:
            dist["editable_mapping"] = mapping


def _record_modules(folder, directory, prefix, names, derived, module_files):
    """The top-level modules (and their files) one RECORD folder provides."""
    if folder:
        module = module_name_from_path(folder.split("/", 1)[0] + "/x")
        if module is not None:
            if module not in derived:
                derived.append(module)
            module_files.extend(directory + os.sep + name for name in names)
        return
    for name in names:
        module = module_name_from_path(name)
        if module is not None:
            if module not in derived:
                derived.append(module)
            module_files.append(prefix + name)


def scan_record(files, location, dist, derived, dircache, module_files):
    """(missing importable files, other missing files), top-level modules and module files of one RECORD.

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
            _note_top_level_file(rel, prefix, dist)
        names = by_folder.get(folder)
        if names is None:
            names = by_folder[folder] = []
        names.append(name)
    missing_code, missing_other = [], []
    for folder, names in by_folder.items():
        if folder.endswith("__pycache__") or "__pycache__/" in folder:
            continue  # regenerable; deleting __pycache__ breaks nothing
        directory, gone = _missing_in_folder(location, prefix, folder, names, dircache, dist)
        for name in names:
            if name in gone and not name.endswith((".pyc", ".pyo")):
                missing = missing_code if not _outside(folder) and _is_code(folder, name) else missing_other
                missing.append(directory + os.sep + name)
        _record_modules(folder, directory, prefix, names, derived, module_files)
    return missing_code, missing_other


def _new_distribution(meta_dir, kind, location, path_index):
    return {
        "name": None, "version": None, "metadata_path": meta_dir, "kind": kind,
        "location": location, "path_index": path_index, "metadata_version": None,
        "requires_dist": [], "requires_python": None, "provides_extra": [],
        "installer": None, "top_level": [], "record": None, "record_count": 0,
        "missing_files": [], "missing_count": 0, "missing_other": [], "missing_other_count": 0,
        "relocated": [], "direct_url": None, "editable_mapping": None, "pth_files": [], "problems": [],
        "editable_source": None, "editable_mode": None, "os_package": None, "unreadable": None,
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
    except PermissionError as exc:  # the metadata may be fine: this user cannot check it (INT005)
        dist["unreadable"] = "%s: %s" % (os.path.basename(metadata_file), exc.strerror or exc)
        return
    except OSError as exc:  # missing, or not a file: the metadata is broken (INT002)
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
        missing_code, missing_other = scan_record(files, dist["location"], dist, derived, dircache, module_files)
        dist["missing_count"] = len(missing_code)
        dist["missing_files"] = missing_code[:MAX_LISTED_MISSING]
        dist["missing_other_count"] = len(missing_other)
        dist["missing_other"] = missing_other[:MAX_LISTED_MISSING]
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


def _normalized_name(low):
    """importlib.metadata's Prepared.normalize of a metadata folder's name part: runs of
    `-_.` become one `_` (no `re`: the probe does not import it for this)."""
    name = low.rpartition(".")[0].partition("-")[0].replace(".", "_")
    while "__" in name:
        name = name.replace("__", "_")
    return name


def _metadata_folders(location):
    """(metadata folder, kind) of every distribution installed in one sys.path folder, in the
    order importlib.metadata yields them.

    CPython's importlib/metadata/__init__.py (3.10+): FastPath.children() is os.listdir(),
    unsorted; Lookup groups the `.dist-info`/`.egg-info` children by normalized name, each
    group in listing order, in the order the names first appear.  So `version("idna")`
    reads the idna folder that the listing shows first, whatever its version: sorting the
    names here would pick another copy than Python does.  (3.8 and 3.9 search the listing
    in the same order without grouping: the order within one name is the same.)
    """
    if location.endswith(".egg") and os.path.isdir(os.path.join(location, "EGG-INFO")):
        return [(os.path.join(location, "EGG-INFO"), "egg")]
    names = os.listdir(location)  # an OSError is the caller's to report
    groups = {}
    for name in names:
        low = name.lower()
        if low.endswith((".dist-info", ".egg-info")):
            groups.setdefault(_normalized_name(low), []).append(name)
    prefix = os.path.join(location, "")  # joined by +: os.path.join is 1.3 us a name
    return [
        (prefix + name, "dist-info" if name.lower().endswith(".dist-info") else "egg-info")
        for group in groups.values() for name in group
    ]


def _read_or_report(meta_dir, kind, location, entry, dircache, module_files):
    try:
        dist = read_distribution(meta_dir, kind, location, entry["index"], dircache, module_files)
    except Exception as exc:  # unreadable in a way we did not foresee: report, never crash
        dist = {"name": os.path.basename(meta_dir), "version": None, "metadata_path": meta_dir, "kind": kind,
                "location": location, "path_index": entry["index"],
                "problems": ["cannot read metadata: %s: %s" % (type(exc).__name__, exc)]}
    return dist


def _unlistable_metadata(meta_dir, kind, location, entry):
    """The distribution importlib.metadata yields for a metadata folder that cannot be
    listed (it yields one for every matching name, without looking inside).  A folder this
    user may not read leaves the distribution unchecked (`unreadable`, INT005).  Anything
    else is broken metadata (INT002): a .dist-info that is a file, a dangling symlink (its
    metadata reads as empty: no name, no version), a symlink loop (reading its metadata
    raises OSError in importlib.metadata)."""
    dist = _new_distribution(meta_dir, kind, location, entry["index"])
    name = os.path.basename(meta_dir)
    if os.path.isfile(meta_dir):
        problem = "%s is a file, not a folder: importlib.metadata still yields a distribution for it" % name
    else:
        try:
            os.listdir(meta_dir)
            problem = None
            dist["unreadable"] = "the folder changed while it was read"
        except PermissionError as exc:
            problem = None
            dist["unreadable"] = exc.strerror or str(exc)
        except OSError as exc:
            if isinstance(exc, FileNotFoundError) and os.path.islink(meta_dir):  # dangling
                problem = "%s is a symlink to %s, which does not exist: importlib.metadata yields a distribution " \
                          "without name or version for it" % (name, os.readlink(meta_dir))
            else:
                problem = "%s cannot be listed (%s): importlib.metadata still yields a distribution for it" % (
                    name, exc.strerror or exc)
    if problem:
        dist["problems"].append(problem)
    _read_side_files(dist, meta_dir, kind, set())  # the name and version from the folder's name
    return dist


def _read_listed(meta_dir, kind, location, entry, dircache, cache):
    """(facts, module files) of one listable metadata folder, read and stamped for `cache`."""
    watch = cache.start() if cache is not None else None
    module_files = []
    try:
        dist = _read_or_report(meta_dir, kind, location, entry, dircache, module_files)
        mark_wheel_tags(dist, meta_dir, module_files, dircache)
    finally:
        if watch is not None:
            cache.finish(meta_dir, watch)
    return dist, module_files


def distributions(path_entries, dircache, cache=None):
    """The distributions of every sys.path folder; a folder that cannot be listed gets
    `unreadable` (why) on its sys.path entry rather than silently holding nothing.
    `cache` (dist_cache.DistCache) serves the distributions it proves unchanged."""
    found = []
    files_of = {}  # metadata path -> the module files its RECORD lists (None: served by the cache)
    seen_dirs = set()
    for entry in path_entries:
        location = entry["path"]
        key = os.path.normcase(os.path.realpath(location))
        if entry["kind"] != "dir" or key in seen_dirs:
            continue
        seen_dirs.add(key)
        try:
            folders = _metadata_folders(location)
        except OSError as exc:
            entry["unreadable"] = exc.strerror or str(exc)
            continue
        for meta_dir, kind in folders:
            dist = cache.cached(meta_dir) if cache is not None else None
            if dist is not None:  # proven unchanged: its module files are not cached (None)
                dist["path_index"] = entry["index"]  # a key it has: its place in the order holds
                found.append(dist)
                files_of[meta_dir] = None
                continue
            # Not a listable folder (the listing is reused), and not a single-file .egg-info
            # (a legitimate PKG-INFO, read below).
            if dircache.names(meta_dir) is None and not (kind == "egg-info" and os.path.isfile(meta_dir)):
                found.append(_unlistable_metadata(meta_dir, kind, location, entry))
                continue
            dist, files_of[meta_dir] = _read_listed(meta_dir, kind, location, entry, dircache, cache)
            found.append(dist)
    return found, shared_module_files(found, files_of, dircache)


# Keys the host's Distribution requires, or whose empty value differs from its default
# (wheel_tags: [] is "a WHEEL without tags", None "no WHEEL read").
_ALWAYS_SENT = frozenset(("name", "version", "metadata_path", "kind", "location", "path_index", "wheel_tags"))


def compact(dists, settled=()):
    """Leave out of each distribution the values that are the host's defaults (None, an empty
    list, the number 0): 1,000 distributions hold ~15,000 of them, which both sides would encode,
    decode and convert for nothing.  tests/unit/test_probe_document.py holds the rule to the
    Distribution record's defaults.  Each distribution's keys are then put in one order (sorted):
    one served from the probe's cache and one read afresh give the same text, which the host's
    replay compares (envdoctor/replay/).  The metadata paths in `settled` are distributions
    the cache served as it stored them, compact and sorted already (5 us each at 5,000)."""
    for dist in dists:
        if dist["metadata_path"] in settled:
            continue
        kept = sorted((k, v) for k, v in dist.items() if k in _ALWAYS_SENT or not (
            v is None or (type(v) is list and not v) or (type(v) is int and v == 0)))
        dist.clear()
        dist.update(kept)


def _editable_install(dist):
    """(source folder, mode) of an editable install (PEP 660 / direct_url.json), else (None, None).
    mode: "finder" (setuptools' strict or lenient MAPPING finder), "pth" (a .pth path line:
    compat mode, hatchling, flit, pdm), "unknown" (neither seen in its RECORD)."""
    direct_url = dist.get("direct_url") or {}
    if not isinstance(direct_url, dict) or not (direct_url.get("dir_info") or {}).get("editable"):
        return None, None
    url = direct_url.get("url") or ""
    source = url[len("file://"):] if url.startswith("file://") else None
    if dist.get("editable_mapping"):
        return source, "finder"
    return source, "pth" if dist.get("pth_files") else "unknown"


def mark_editable_sources(path_entries, dists):
    """Each editable install's source folder and mode; the sys.path entries that are such a
    source folder (or a folder inside it: src/ layouts) get provenance "editable-source".
    The metadata paths of the distributions given a value (compact() re-sorts their keys)."""
    sources = []
    marked = set()
    for dist in dists:
        source, mode = _editable_install(dist)
        if mode is not None:  # not an editable install: both stay at the host's default (None)
            dist["editable_source"], dist["editable_mode"] = source, mode
            marked.add(dist["metadata_path"])
        if source:
            sources.append(os.path.normcase(os.path.normpath(source)))
    for entry in path_entries:
        key = os.path.normcase(entry["path"])
        if entry.get("origin") in ("pth", "cwd", "pythonpath", "unknown") and any(
                key == source or key.startswith(source + os.sep) for source in sources):
            entry["provenance"] = "editable-source"
    return marked


def _module_files(dist, dircache):
    """The module files of a distribution served by the cache, read again from its RECORD."""
    module_files = []
    derived = []
    files, _, _ = record_files(dist["metadata_path"], dist["kind"], dist["location"], dircache.names(dist["metadata_path"]) or ())
    if files is not None:
        scan_record(files, dist["location"], _new_distribution(dist["metadata_path"], dist["kind"], dist["location"], 0),
                    derived, dircache, module_files)
    return module_files


def shared_module_files(dists, files_of, dircache):
    """Module files that two distributions' RECORDs both list: they overwrite each other
    (triton and pytorch-triton-rocm both ship triton/__init__.py).  Only distributions
    that share a top-level name can share a module file, so only those are compared
    (a distribution the cache served has its RECORD read again for it: rare)."""
    by_module = {}
    for dist in dists:
        for module in dist.get("record_modules") or ():
            by_module.setdefault(module, []).append(dist["metadata_path"])
    suspects = set(meta for metas in by_module.values() if len(metas) > 1 for meta in metas)
    owners = {}
    for dist in dists:  # sys.path order, as the metadata paths are reported
        meta_dir = dist["metadata_path"]
        if meta_dir in suspects:
            if meta_dir in files_of and files_of[meta_dir] is None:
                files_of[meta_dir] = _module_files(dist, dircache)
            for path in files_of.get(meta_dir) or ():
                owners.setdefault(path, []).append(meta_dir)
    return [{"path": path, "metadata_paths": metas} for path, metas in owners.items() if len(metas) > 1]


# Which OS package (dpkg) owns a distribution's metadata folder: such a distribution is
# installed, upgraded and removed by apt, and pip must not touch it.
#
# dpkg keeps no index from a file to its package: /var/lib/dpkg/info/PACKAGE.list lists the
# files of one package.  Reading all of them costs 75-85 ms on a Debian 12 image with 710
# packages (31 MB); reading only the python*/pypy* lists, where Debian's Python packages live
# (python3-pip, python3-cryptography, ...), costs 3-10 ms and is done only when a distribution
# lies under /usr.  A distribution shipped by a package named otherwise (linux-perf's perf
# egg-info) is not recognised: the facts then say less, never something false.  rpm's database
# is binary (no cheap read): not looked at.
DPKG_INFO = "/var/lib/dpkg/info"


def dpkg_metadata_owners(info_dir=DPKG_INFO):
    """{metadata folder path: dpkg package} for the python*/pypy* packages' metadata folders."""
    import re

    metadata_line = re.compile(br"^(/usr/[^\n]*\.(?:dist-info|egg-info))$", re.M)
    try:
        names = os.listdir(info_dir)
    except OSError:
        return {}
    owners = {}
    for name in names:
        if not (name.endswith(".list") and name.startswith(("python", "pypy"))):
            continue
        try:
            with open(os.path.join(info_dir, name), "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        package = name[: -len(".list")].split(":", 1)[0]  # python3-cffi-backend:amd64.list
        for path in metadata_line.findall(data):
            owners[path.decode("utf-8", "replace")] = package
    return owners


def mark_os_packages(dists):
    """Set `os_package` on each distribution whose metadata folder a dpkg package installed;
    the metadata paths of those (compact() re-sorts their keys)."""
    marked = set()
    if not any(dist["metadata_path"].startswith("/usr/") for dist in dists):
        return marked
    owners = dpkg_metadata_owners()
    if not owners:
        return marked
    for dist in dists:
        owner = owners.get(dist["metadata_path"])
        if owner is None and dist["metadata_path"].startswith("/usr/"):
            owner = owners.get(os.path.realpath(dist["metadata_path"]))
        if owner is not None:  # else the host's default
            dist["os_package"] = owner
            marked.add(dist["metadata_path"])
    return marked
