# envdoctor probe payload (the last part; see probe.start.PAYLOAD_PARTS).
#
# This file is NOT imported by envdoctor.  It runs in the *target*
# interpreter (`python -B -c BOOTSTRAP MODE NONCE OPTIONS`, probe/start.py), so:
#   * standard library only, Python 3.8 syntax;
#   * it never imports the packages it inspects (metadata is read as text,
#     modules are located with importlib.util.find_spec on top-level names);
#   * it writes nothing: no bytecode (-B), no caches, no files;
#   * its result is one JSON document between two frame lines that carry a
#     random nonce, so whatever a noisy sitecustomize or .pth prints on stdout
#     cannot corrupt it.
#
# Modes:
#   facts          collect the facts document (options may ask it to replay
#                  site processing itself, skipping a line that kills start-up)
#   trace-startup  run under `-S`, replay site processing with a progress
#                  marker before every .pth line and customize module, so the
#                  host can name the line during which the interpreter died
import json
import os
import sys

SECRET_WORDS = ("TOKEN", "KEY", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH", "COOKIE")
ENV_PREFIXES = (
    "PYTHON", "VIRTUAL_ENV", "CONDA_", "PIP_", "UV_", "LD_LIBRARY_PATH", "LD_PRELOAD",
    "CUDA_", "HIP_", "ROCR_", "ROCM_", "HSA_", "NCCL_", "TORCH_", "TRITON_", "SGLANG_",
    "VLLM_", "FLASHINFER_", "PYTORCH_", "DYLD_",
)
MAX_LISTED_MISSING = 200


def _write_raw(text):
    # os.write is unbuffered: a marker written just before the interpreter is
    # killed by a .pth line still reaches the host.
    data = text.encode("utf-8", "replace")
    while data:
        written = os.write(1, data)
        data = data[written:]


# --------------------------------------------------------------------------
# site replay: what site.addpackage does, with a hook before every line
# --------------------------------------------------------------------------

def _read_pth(fullname):
    with open(fullname, "rb") as handle:
        raw = handle.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        import locale
        return raw.decode(locale.getpreferredencoding(False), "replace")


def _make_replaying_addpackage(site, before_line, skip_line):
    def addpackage(sitedir, name, known_paths):
        # `sitedir` must keep that name: setuptools' -nspkg.pth lines read it
        # through sys._getframe(1).f_locals['sitedir'].
        reset = known_paths is None
        if reset:
            known_paths = site._init_pathinfo()
        fullname = os.path.join(sitedir, name)
        try:
            text = _read_pth(fullname)
        except OSError:
            return None if reset else known_paths
        for lineno, line in enumerate(text.splitlines(), 1):
            before_line(fullname, lineno, line)
            if skip_line == [fullname, lineno]:
                continue
            if line.startswith("#") or not line.strip():
                continue
            try:
                if line.startswith(("import ", "import\t")):
                    exec(line)
                    continue
                line = line.rstrip()
                directory, dircase = site.makepath(sitedir, line)
                if dircase not in known_paths and os.path.exists(directory):
                    sys.path.append(directory)
                    known_paths.add(dircase)
            except Exception:  # site prints it and skips the rest of the file; the replay only skips
                break
        return None if reset else known_paths

    return addpackage


def _replay_site(before_line=None, skip=None):
    """Run site.main() (we were started with -S) with traced .pth processing."""
    import site

    before_line = before_line or (lambda *args: None)
    skip_line = skip if isinstance(skip, list) else None
    site.addpackage = _make_replaying_addpackage(site, before_line, skip_line)
    for hook_name in ("execsitecustomize", "execusercustomize"):
        original = getattr(site, hook_name, None)
        if original is None:
            continue
        module = hook_name[4:]

        def traced(original=original, module=module):
            before_line(module, 0, "import " + module)
            if skip == module:
                return
            original()

        setattr(site, hook_name, traced)
    site.main()


def trace_startup(nonce):
    marker = "@@ENVDOCTOR-TRACE-%s@@ " % nonce

    def before_line(fullname, lineno, line):
        _write_raw(marker + json.dumps({"event": "line", "file": fullname, "line": lineno, "text": line}) + "\n")

    _replay_site(before_line=before_line)
    _write_raw(marker + json.dumps({"event": "done"}) + "\n")


# --------------------------------------------------------------------------
# facts
# --------------------------------------------------------------------------

def _abs(path, cwd):
    return os.path.normpath(os.path.join(cwd, path)) if path else cwd


def _is_secret_name(name):
    upper = name.upper()
    return any(word in upper for word in SECRET_WORDS)


def collect_environment():
    env = {}
    for name, value in os.environ.items():
        if not name.startswith(ENV_PREFIXES):
            continue
        env[name] = "<redacted>" if _is_secret_name(name) else value
    return env


def marker_environment():
    import platform

    def full_version(info):
        text = "%d.%d.%d" % (info.major, info.minor, info.micro)
        if info.releaselevel != "final":
            text += info.releaselevel[0] + str(info.serial)
        return text

    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": "%d.%d" % sys.version_info[:2],
        "sys_platform": sys.platform,
    }


def site_directories():
    import site

    dirs = []
    getsitepackages = getattr(site, "getsitepackages", None)
    if getsitepackages is not None:
        try:
            dirs.extend(getsitepackages())
        except Exception:
            pass
    user_site = getattr(site, "USER_SITE", None)
    user_enabled = bool(getattr(site, "ENABLE_USER_SITE", False))
    return dirs, user_site, user_enabled


def interpreter_facts(cwd, site_dirs, user_site, user_enabled):
    prefix_cfg = {}
    cfg_path = os.path.join(sys.prefix, "pyvenv.cfg")
    try:
        with open(cfg_path, "r", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, sep, value = line.partition("=")
                if sep:
                    prefix_cfg[key.strip()] = value.strip()
    except OSError:
        prefix_cfg = None
    flags = sys.flags
    return {
        "executable": sys.executable,
        "version": "%d.%d.%d" % sys.version_info[:3],
        "version_info": list(sys.version_info[:3]),
        "implementation": sys.implementation.name,
        "cache_tag": sys.implementation.cache_tag,
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "exec_prefix": sys.exec_prefix,
        "platform": sys.platform,
        "in_venv": sys.prefix != getattr(sys, "base_prefix", sys.prefix),
        "pyvenv_cfg": prefix_cfg,
        "conda": os.path.isdir(os.path.join(sys.prefix, "conda-meta")),
        "site_packages": site_dirs,
        "user_site": user_site,
        "user_site_enabled": user_enabled,
        "no_site": bool(flags.no_site),
        "isolated": bool(flags.isolated),
        "ignore_environment": bool(flags.ignore_environment),
        "safe_path": bool(getattr(flags, "safe_path", False)),
        "cwd": cwd,
        "environment": collect_environment(),
        "extension_suffixes": extension_suffixes(),
        "builtin_modules": sorted(sys.builtin_module_names),
    }


def extension_suffixes():
    try:
        import importlib.machinery as machinery

        return list(machinery.EXTENSION_SUFFIXES)
    except Exception:
        return []


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
                text = _read_pth(fullname)
            except OSError as exc:
                entry["error"] = "%s: %s" % (type(exc).__name__, exc)
                result.append(entry)
                continue
            for lineno, line in enumerate(text.splitlines(), 1):
                if line.startswith("#"):
                    kind, target, exists = "comment", None, None
                elif not line.strip():
                    kind, target, exists = "blank", None, None
                elif line.startswith(("import ", "import\t")):
                    kind, target, exists = "import", None, None
                else:
                    kind = "path"
                    target = os.path.normpath(os.path.join(sitedir, line.rstrip()))
                    exists = os.path.exists(target)
                entry["lines"].append({"line": lineno, "text": line, "kind": kind, "target": target, "exists": exists})
            result.append(entry)
    return result


def sys_path_facts(cwd, site_dirs, user_site, pth_entries):
    pythonpath = []
    if not sys.flags.ignore_environment:
        pythonpath = [_abs(p, cwd) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
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
        path = _abs(raw, cwd)
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
        entries.append({"index": index, "entry": raw, "path": path, "origin": origin, "pth": via, "kind": kind})
    return entries


def _parse_headers(text):
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


def _requires_txt(text):
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


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)  # O_BINARY: no newline translation on Windows


def _read_text(path):
    """A file's content as UTF-8 text.  os.open/os.read rather than open(): the probe reads
    three small files per distribution, and skipping the buffered file object halves that."""
    fd = os.open(path, _READ_FLAGS)
    try:
        chunks = []
        chunk = os.read(fd, 65536)
        while chunk:
            chunks.append(chunk)
            chunk = os.read(fd, 65536)
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8")


def _module_name_from_path(relpath):
    """Top-level importable name a RECORD path provides, or None."""
    first = relpath.split("/", 1)[0]
    if (not first or first.startswith("..") or first == "__pycache__" or first.endswith((".dist-info", ".egg-info", ".data", ".pth"))
            or first.startswith("__editable__")):
        return None
    if "/" in relpath:
        return first if first.isidentifier() else None
    for suffix in _module_suffixes():
        if first.endswith(suffix):
            stem = first[: -len(suffix)]
            return stem if stem.isidentifier() else None
    return None


_SUFFIXES = []


def _module_suffixes():
    if not _SUFFIXES:
        import importlib.machinery as machinery
        _SUFFIXES.extend(sorted(set(machinery.all_suffixes()), key=len, reverse=True))
    return _SUFFIXES


def _editable_mapping(path):
    """MAPPING of a setuptools __editable___*_finder.py, read with ast (never imported)."""
    import ast

    try:
        tree = ast.parse(_read_text(path))
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


class _DirCache(object):
    """Directory listings, each read once: existence tests without a stat per file."""

    def __init__(self):
        self.listings = {}

    def names(self, directory):
        listing = self.listings.get(directory, False)
        if listing is False:
            try:
                listing = set(os.listdir(directory))
            except OSError:
                listing = None
            self.listings[directory] = listing
        return listing


def _record_files(meta_dir, kind, location, present):
    """(files relative to `location`, source name, error) from RECORD or installed-files.txt."""
    if kind == "dist-info":
        record = meta_dir + os.sep + "RECORD"
        if "RECORD" not in present:
            return None, None, None
        try:
            text = _read_text(record)
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
        lines = _read_text(listing).splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return None, "installed-files.txt", "%s: %s" % (type(exc).__name__, exc)
    base = os.path.relpath(meta_dir, location)
    return [os.path.normpath(os.path.join(base, line)).replace(os.sep, "/") for line in lines if line.strip()], "installed-files.txt", None


def _scan_record(files, location, dist, derived, dircache, module_files):
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
                mapping = _editable_mapping(prefix + rel)
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
        module = _module_name_from_path(first + "/x") if folder else None
        if folder:
            if module is not None:
                if module not in derived:
                    derived.append(module)
                module_files.extend(directory + os.sep + name for name in names)
        else:
            for name in names:
                module = _module_name_from_path(name)
                if module is not None:
                    if module not in derived:
                        derived.append(module)
                    module_files.append(prefix + name)
    return missing


def read_distribution(meta_dir, kind, location, path_index, dircache, module_files):
    """One distribution's facts; the files it installs under importable names go to `module_files`."""
    dist = {
        "name": None, "version": None, "metadata_path": meta_dir, "kind": kind,
        "location": location, "path_index": path_index, "metadata_version": None,
        "requires_dist": [], "requires_python": None, "provides_extra": [],
        "installer": None, "top_level": [], "record": None, "record_count": 0,
        "missing_files": [], "missing_count": 0, "direct_url": None,
        "editable_mapping": None, "pth_files": [], "problems": [],
    }
    problems = dist["problems"]
    # One listing of the metadata folder answers every "does X exist" below without a stat.
    present = dircache.names(meta_dir) or set()  # None for a single-file .egg-info
    if kind == "dist-info":
        metadata_file = meta_dir + os.sep + "METADATA"
    elif os.path.isdir(meta_dir):
        metadata_file = meta_dir + os.sep + "PKG-INFO"
    else:
        metadata_file = meta_dir  # a single-file .egg-info is the PKG-INFO itself
    try:
        text = _read_text(metadata_file)
    except UnicodeDecodeError as exc:
        problems.append("%s is not UTF-8 text (%s at byte %d)" % (os.path.basename(metadata_file), exc.reason, exc.start))
        text = None
    except OSError as exc:
        problems.append("cannot read %s: %s" % (os.path.basename(metadata_file), exc.strerror or exc))
        text = None
    if text is not None:
        headers, error = _parse_headers(text)
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
    if kind != "dist-info" and "requires.txt" in present:
        try:
            dist["requires_dist"] = _requires_txt(_read_text(meta_dir + os.sep + "requires.txt"))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append("cannot read requires.txt: %s" % exc)
    if dist["name"] is None:
        # Fall back to the folder name so the finding can still say which one.
        base = os.path.basename(meta_dir).rsplit(".", 1)[0]
        dist["name"] = base.split("-")[0]
        dist["version"] = dist["version"] or (base.split("-")[1] if "-" in base else None)
    if "INSTALLER" in present:
        try:
            dist["installer"] = _read_text(meta_dir + os.sep + "INSTALLER").strip() or None
        except (OSError, UnicodeDecodeError):
            pass
    direct_url = meta_dir + os.sep + "direct_url.json"
    if "direct_url.json" in present:
        try:
            dist["direct_url"] = json.loads(_read_text(direct_url))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            problems.append("direct_url.json is not valid JSON: %s" % exc)
    top_level_file = meta_dir + os.sep + "top_level.txt"
    declared_top_level = None
    if "top_level.txt" in present:
        try:
            declared_top_level = [n.strip().replace("/", ".") for n in _read_text(top_level_file).splitlines() if n.strip()]
        except (OSError, UnicodeDecodeError):
            declared_top_level = None

    files, source, error = _record_files(meta_dir, kind, location, present)
    if error:
        problems.append("cannot read %s: %s" % (source, error))
    dist["record"] = source
    derived = []
    if files is not None:
        dist["record_count"] = len(files)
        missing = _scan_record(files, location, dist, derived, dircache, module_files)
        dist["missing_count"] = len(missing)
        dist["missing_files"] = missing[:MAX_LISTED_MISSING]
    top_level = declared_top_level if declared_top_level is not None else derived
    if dist["editable_mapping"]:
        top_level = list(top_level) + [n for n in dist["editable_mapping"] if n not in top_level]
    dist["top_level"] = [n for n in top_level if n and n.split(".")[0].isidentifier()]
    dist["record_modules"] = derived
    return dist


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
        if location.endswith(".egg") and os.path.isdir(os.path.join(location, "EGG-INFO")):
            candidates = [(os.path.join(location, "EGG-INFO"), "egg")]
        else:
            names = dircache.names(location) or ()
            candidates = [
                (os.path.join(location, name), "dist-info" if name.endswith(".dist-info") else "egg-info")
                for name in sorted(names) if name.endswith((".dist-info", ".egg-info"))
            ]
        for meta_dir, kind in candidates:
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


def module_candidates(name, path_entries, dircache):
    """Every place on sys.path that could provide top-level `name`, in order."""
    found = []
    for entry in path_entries:
        if entry["kind"] != "dir":
            continue
        names = dircache.names(entry["path"])
        if not names:
            continue
        if name in names:
            full = os.path.join(entry["path"], name)
            if os.path.isdir(full):
                sub = dircache.names(full) or ()
                kind = "package" if any(("__init__" + s) in sub for s in _module_suffixes()) else "namespace-portion"
                found.append({"path_index": entry["index"], "path": full, "kind": kind})
        for suffix in _module_suffixes():
            if name + suffix in names:
                kind = "module" if suffix in (".py", ".pyc") else "extension"
                found.append({"path_index": entry["index"], "path": os.path.join(entry["path"], name + suffix), "kind": kind})
    return found


def _owning_entry(name, origin, path_entries):
    """Index of the first sys.path entry holding `origin` as `name.<suffix>` or `name/__init__.<suffix>`."""
    for entry in path_entries:
        prefix = entry["path"].rstrip(os.sep) + os.sep
        if not origin.startswith(prefix):
            continue
        rest = origin[len(prefix):]
        if rest.startswith(name + os.sep) and rest.count(os.sep) == 1 or os.sep not in rest and rest.startswith(name + "."):
            return entry["index"]
    return None


class _PlainPathResolver(object):
    """Answers find_spec for top-level names from directory listings, as CPython's own
    PathFinder and FileFinder would, when nothing else takes part in the import.

    find_spec stats every sys.path entry for every name; with 1,000 distributions that is
    a quarter of the probe's time.  The listings are read anyway (for the candidates), so a
    name that only the standard finders can answer is decided from them: per sys.path entry
    in order, a folder with an `__init__` file of a loader suffix, else a file with a loader
    suffix (FileFinder's loader order: extensions, source, bytecode); a folder without
    `__init__` is a namespace portion, and those go to the real find_spec, as does every
    name the fast path cannot vouch for.  tests/e2e/test_probe_resolution.py holds the two
    to the same answers on real environments.
    """

    def __init__(self, path_entries, dircache):
        self.dircache = dircache
        self.entries = None  # None: not usable here, use find_spec for everything
        self.deferred = set()  # names a non-standard finder may answer
        self.loaders = None
        self._setup(path_entries)

    def _setup(self, path_entries):
        import importlib.machinery as machinery

        if os.environ.get("PYTHONCASEOK"):
            return  # FileFinder relaxes case matching: listings would not agree
        standard = (machinery.BuiltinImporter, machinery.FrozenImporter, machinery.PathFinder)
        for finder in sys.meta_path:
            cls = finder if isinstance(finder, type) else type(finder)
            if cls in standard:
                continue
            if getattr(cls, "__module__", "") == "_distutils_hack":
                # setuptools' finder answers only the names it has a spec_for_<name> method for.
                self.deferred.update(n[len("spec_for_"):] for n in dir(finder) if n.startswith("spec_for_"))
                continue
            return
        # Every entry's finder must be a plain FileFinder; looking up a name that does not
        # exist makes PathFinder create any that are missing, as the first import would.
        machinery.PathFinder.find_spec("__envdoctor_no_such_module__")
        entries = []
        for entry in path_entries:
            # PathFinder files the '' entry (the current folder) under os.getcwd().
            finder = sys.path_importer_cache.get(entry["entry"] or os.getcwd(), False)
            if finder is None:
                continue  # no finder for this entry: PathFinder skips it too
            if type(finder) is not machinery.FileFinder or not hasattr(finder, "_loaders"):
                return
            loaders = [(suffix, "%s.%s" % (loader.__module__, loader.__qualname__)) for suffix, loader in finder._loaders]
            if self.loaders is None:
                self.loaders = loaders
            elif loaders != self.loaders:
                return
            entries.append(entry)
        self.entries = entries

    def find(self, name):
        """The item fields for `name`, or None when find_spec must answer."""
        if self.entries is None or name in self.deferred or name in sys.builtin_module_names:
            return None
        import _imp

        if _imp.is_frozen(name):
            return None
        for entry in self.entries:
            directory = entry["path"]
            names = self.dircache.names(directory)
            if not names:
                continue
            portion = False
            if name in names:
                package = os.path.join(directory, name)
                inside = self.dircache.names(package)
                if inside is not None:
                    for suffix, loader in self.loaders:
                        init = "__init__" + suffix
                        if init in inside and os.path.isfile(os.path.join(package, init)):
                            return {"origin": os.path.join(package, init), "locations": [package],
                                    "loader": loader, "path_index": entry["index"]}
                    portion = True  # unless a module file beside it wins
            for suffix, loader in self.loaders:
                if name + suffix in names:
                    origin = os.path.join(directory, name + suffix)
                    if os.path.isfile(origin):
                        return {"origin": origin, "locations": [], "loader": loader, "path_index": entry["index"]}
            if portion:
                return None  # a namespace portion: a later entry may still win; find_spec decides
        return {"origin": None}  # not found anywhere


def resolve_modules(names, path_entries, dircache, exact=False):
    import importlib.util

    resolver = None if exact else _PlainPathResolver(path_entries, dircache)
    result = {}
    for name in sorted(names):
        if not name.isidentifier():
            continue
        item = {"name": name, "found": False, "origin": None, "namespace": False, "locations": [],
                "loader": None, "path_index": None, "error": None,
                "candidates": module_candidates(name, path_entries, dircache), "resolved_by": "find_spec"}
        result[name] = item
        fast = resolver.find(name) if resolver is not None else None
        if fast is not None:
            item["resolved_by"] = "listing"
            if fast["origin"] is not None:
                item.update(fast, found=True)
            continue
        try:
            spec = importlib.util.find_spec(name)
        except BaseException as exc:  # a finder raising must not end the probe
            item["error"] = "%s: %s" % (type(exc).__name__, exc)
            spec = None
        if spec is not None:
            item["found"] = True
            locations = list(spec.submodule_search_locations or [])
            item["locations"] = locations
            loader = spec.loader
            item["loader"] = None if loader is None else "%s.%s" % (getattr(type(loader), "__module__", "?"), type(loader).__qualname__)
            item["namespace"] = spec.origin in (None, "namespace") and spec.submodule_search_locations is not None
            item["origin"] = spec.origin if spec.has_location else None
            if item["origin"]:
                item["path_index"] = _owning_entry(name, item["origin"], path_entries)
    return result


def collect_facts(options):
    if "replay_site_skip" in options:  # started with -S by the start-up diagnosis
        _replay_site(skip=options["replay_site_skip"])
    cwd = os.getcwd()
    site_dirs, user_site, user_enabled = site_directories()
    dircache = _DirCache()
    pth = pth_files(site_dirs, user_site, user_enabled)
    path_entries = sys_path_facts(cwd, site_dirs, user_site, pth)
    dists, shared = distributions(path_entries, dircache)
    names = set()
    for dist in dists:
        names.update(n.split(".")[0] for n in dist.get("top_level") or ())
    modules = resolve_modules(names, path_entries, dircache, exact=bool(options.get("exact_modules")))
    return {
        "interpreter": interpreter_facts(cwd, site_dirs, user_site, user_enabled),
        "markers": marker_environment(),
        "sys_path": path_entries,
        "pth_files": pth,
        "distributions": dists,
        "shared_files": shared,
        "import_system": import_system(),
        "modules": modules,
        "stack": stack_facts(modules),  # defined in _stack.py, sent ahead of this file
    }


def _compact_json(document):
    # No spaces after separators (6 % smaller), and no circular-reference bookkeeping: the
    # document is a tree built here.  Both sides of the pipe parse it faster.
    return json.dumps(document, separators=(",", ":"), check_circular=False)


def main(argv):
    mode, nonce = argv[1], argv[2]
    options = json.loads(argv[3]) if len(argv) > 3 else {}
    if mode == "trace-startup":
        trace_startup(nonce)
    else:
        document = collect_facts(options)
        _write_raw("\n@@ENVDOCTOR-BEGIN-%s@@\n%s\n@@ENVDOCTOR-END-%s@@\n" % (nonce, _compact_json(document), nonce))
    # Done: skip interpreter teardown and the atexit handlers that the target's .pth
    # imports registered; the probe must not run more of the target's code than start-up does.
    os._exit(0)


main(sys.argv)
