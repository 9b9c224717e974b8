# The facts probe's entry: `python -B -c BOOTSTRAP MODE NONCE OPTIONS` (probe/command.py)
# ends in main(), which assembles the facts document from the other parts.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax.
#
# Modes:
#   facts          collect the facts document (options may ask it to replay
#                  site processing itself, skipping a line that kills start-up)
#   trace-startup  run under `-S`, replay site processing with a progress
#                  marker before every .pth line and customize module, so the
#                  host can name the line during which the interpreter died
#
# OPTIONS (JSON, from probe/command.py) carry the words this side needs and must not
# define itself: environment_prefixes, secret_words and mask (which variables are
# collected, and whose values are masked here, before they leave the target),
# torch_module and listed_packages (the stack facts); and replay_site_skip,
# exact_modules for the start-up diagnosis and the resolution test; dist_cache, the host's
# cache file of distributions proven before (dist_cache.py), read only.
import json
import os

from .dist_cache import DistCache
from .distributions import compact, distributions, mark_editable_sources, mark_os_packages
from .emit import write_framed
from .filesystem import DirCache
from .finders import import_system
from .record_hashes import mark_record_hashes
from .legacy_code_inputs import legacy_code_inputs
from .interpreter_facts import collect_environment, interpreter_facts, marker_environment, site_directories
from .module_resolution import resolve_modules
from .network_devices import network_facts
from .site_replay import replay_site, trace_startup
from .stack_facts import stack_facts
from .toolchain_reader import toolchain_facts
from .sys_path import pth_files, sys_path_facts
from .wheel_files import tag_inputs


def collect_facts(options):
    if "replay_site_skip" in options:  # started with -S by the start-up diagnosis
        replay_site(skip=options["replay_site_skip"])
    cwd = os.getcwd()
    site_dirs, user_site, user_enabled = site_directories()
    dircache = DirCache()
    pth = pth_files(site_dirs, user_site, user_enabled)
    path_entries = sys_path_facts(cwd, site_dirs, user_site, pth)
    cache = DistCache(options["dist_cache"]) if options.get("dist_cache") else None
    dists, shared = distributions(path_entries, dircache, cache)
    marked = mark_editable_sources(path_entries, dists) | mark_os_packages(dists) | mark_record_hashes(dists)
    compact(dists, cache.settled - marked if cache is not None else ())
    names = set()
    for dist in dists:
        names.update(n.split(".")[0] for n in dist.get("top_level") or ())
    modules = resolve_modules(names, path_entries, dircache, exact=bool(options.get("exact_modules")))
    environment = collect_environment(options.get("environment_prefixes", ()), options.get("secret_words", ()),
                                      options.get("mask"))
    interpreter = interpreter_facts(cwd, site_dirs, user_site, user_enabled, environment)
    interpreter["tag_inputs"] = tag_inputs()
    stack = stack_facts(modules, options.get("torch_module"), options.get("listed_packages", ()))
    return {
        "interpreter": interpreter,
        "markers": marker_environment(),
        "sys_path": path_entries,
        "pth_files": pth,
        "distributions": dists,
        "shared_files": shared,
        "import_system": import_system(),
        "modules": modules,
        "legacy_code": legacy_code_inputs(),
        "stack": stack,
        "toolchain": toolchain_facts(modules, stack["torch"], options),
        "network": network_facts(),
        "dist_cache": cache.section() if cache is not None else None,
    }


def _compiled_code():
    """The code the bootstrap compiled for this run (probe/command.py), for the host to keep
    (probe/probe_code_file.py); None when every part ran code kept from an earlier run."""
    import sys

    compiled = getattr(sys.modules[__name__.rpartition(".")[0]], "compiled", None)
    if not compiled:
        return None
    import binascii

    return {"magic": sys.modules["_frozen_importlib_external"].MAGIC_NUMBER.hex(),
            "parts": dict((path, [mtime, size, binascii.b2a_base64(code).decode("ascii").strip()])
                          for path, (mtime, size, code) in compiled.items())}


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
        if document["dist_cache"] is not None:
            code = _compiled_code()
            if code is not None:
                document["dist_cache"]["probe_code"] = code
        write_framed(nonce, _compact_json(document))
    # Done: skip interpreter teardown and the atexit handlers that the target's .pth
    # imports registered; the probe must not run more of the target's code than start-up does.
    os._exit(0)
