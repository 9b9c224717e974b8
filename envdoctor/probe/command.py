"""The command lines the target runs: `python -B -c BOOTSTRAP ...` and the options it gets.

Light enough for launch.py, which starts the probe before anything heavy is imported:
no typing, dataclasses or json at run time.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence

from envdoctor.vocabulary import secrets, stack

# The target-side code: a package of its own, never imported by envdoctor (see its __init__.py).
IN_TARGET = os.path.join(os.path.dirname(os.path.abspath(__file__)), "in_target")
# The private package name the target-side modules get inside the target.  It is
# registered in sys.modules only, never put on sys.path.
PACKAGE = "_envdoctor_probe"

# Each program: the target-side modules loaded in this order (each after the modules it
# imports: a test reads their imports and keeps it so); the last one's main() runs.
FACTS_PROGRAM = (
    "emit", "filesystem", "module_names", "site_replay", "interpreter_facts", "sys_path", "wheel_files", "distributions",
    "dist_cache", "record_hashes", "finders", "module_resolution", "stack_facts", "toolchain_reader", "network_devices", "legacy_code_inputs", "facts_entry",
)
DEEP_PROGRAM = ("emit", "bytecode", "finders", "triton_kernel_probe", "deep_import")
# --deep on GPUs (probe/gpu_runtime_probes.py): one JIT build and launch; one rank of an all-reduce.
JIT_BUILD_PROGRAM = ("emit", "bytecode", "jit_build_probe")
ALL_REDUCE_PROGRAM = ("emit", "bytecode", "all_reduce_probe")
# --deep with triton on NVIDIA GPUs: the Triton kernel, alongside the imports.
TRITON_KERNEL_PROGRAM = ("emit", "bytecode", "triton_kernel_probe")

# The -c program.  It registers the package module and runs each part as a module of it,
# with the code the import system's own SourceFileLoader gives, never through
# sys.meta_path: the target's finders are what the probe inspects, and none of them may
# see, answer or break the probe's own imports.  The loader takes a part's bytecode from
# its __pycache__ when that was compiled for the target's Python version (pip compiles it
# at install) and compiles the source otherwise: compiling the ~60 kB probe cost the
# target 20-60 ms on every run.  It checks the bytecode's magic number and the source's
# size and mtime, and writes nothing under -B.  The machinery is taken from sys.modules,
# never imported: a cwd that holds an `importlib` must not change the probe.  Each part
# gets a spec naming its package, so its relative imports (`from .emit import write_raw`)
# find the parts already loaded in sys.modules.  Modules are made by hand rather than by
# importlib's spec_from_file_location/module_from_spec, which cost the 11 parts 0.5 ms more.
#
# With a code cache (the facts probe: probe_code_file.py), a part whose source has the mtime
# and size the cache holds runs the code the target compiled on an earlier run, and the code
# of every other part is handed to the package module (`compiled`), for the document's
# dist_cache section to carry to the host, which keeps it: a target of another Python version
# than envdoctor's (whose __pycache__ is for envdoctor's own) compiles the probe once, not on
# every run.  The cache file is only read here; a cache that is not this Python's (magic
# number), or cannot be read, is none.
BOOTSTRAP = (
    "import sys\n"
    "_envdoctor_spec = sys.modules['_frozen_importlib'].ModuleSpec\n"
    "_envdoctor_external = sys.modules['_frozen_importlib_external']\n"
    "_envdoctor_loader = _envdoctor_external.SourceFileLoader\n"
    "_envdoctor_marshal = sys.modules['marshal']\n"
    "_envdoctor_kept = {}\n"
    "if %(code_cache)r:\n"
    "    try:\n"
    "        with open(%(code_cache)r, 'rb') as _envdoctor_file:\n"
    "            _envdoctor_kept = _envdoctor_marshal.loads(_envdoctor_file.read())\n"
    "        _envdoctor_kept = _envdoctor_kept['parts'] if _envdoctor_kept['magic'] == _envdoctor_external.MAGIC_NUMBER else {}\n"
    "    except Exception:\n"
    "        _envdoctor_kept = {}\n"
    "_envdoctor_module = sys.modules[%(package)r] = type(sys)(%(package)r)\n"
    "_envdoctor_module.__path__ = []\n"
    "_envdoctor_compiled = _envdoctor_module.compiled = {}\n"
    "for _envdoctor_name, _envdoctor_path in %(parts)r:\n"
    "    _envdoctor_module = sys.modules[_envdoctor_name] = type(sys)(_envdoctor_name)\n"
    "    _envdoctor_module.__file__ = _envdoctor_path\n"
    "    _envdoctor_module.__spec__ = _envdoctor_spec(_envdoctor_name, None, origin=_envdoctor_path)\n"
    "    _envdoctor_source = _envdoctor_loader(_envdoctor_name, _envdoctor_path)\n"
    "    _envdoctor_code = None\n"
    "    if %(code_cache)r:\n"
    "        _envdoctor_stamp = _envdoctor_source.path_stats(_envdoctor_path)\n"
    "        _envdoctor_stamp = [_envdoctor_stamp['mtime'], _envdoctor_stamp['size']]\n"
    "        try:\n"
    "            _envdoctor_entry = _envdoctor_kept.get(_envdoctor_path)\n"
    "            if _envdoctor_entry[:2] == _envdoctor_stamp:\n"
    "                _envdoctor_code = _envdoctor_marshal.loads(_envdoctor_entry[2])\n"
    "        except Exception:\n"
    "            _envdoctor_code = None\n"
    "    if _envdoctor_code is None:\n"
    "        _envdoctor_code = _envdoctor_source.get_code(_envdoctor_name)\n"
    "        if %(code_cache)r:\n"
    "            _envdoctor_compiled[_envdoctor_path] = _envdoctor_stamp + [_envdoctor_marshal.dumps(_envdoctor_code)]\n"
    "    exec(_envdoctor_code, vars(_envdoctor_module))\n"
    "%(call)s"
)
CALL_MAIN = "_envdoctor_module.main(sys.argv)\n"


def program_source(program: Sequence[str], folder: str = IN_TARGET, call_main: bool = True,
                   code_cache: Optional[str] = None) -> str:
    """The -c program that loads these target-side modules, in order, and runs the last one's main();
    with `code_cache`, their code compiled by the target on an earlier run is taken from that file."""
    parts = tuple((PACKAGE + "." + name, os.path.join(folder, name + ".py")) for name in program)
    return BOOTSTRAP % {"package": PACKAGE, "parts": parts, "call": CALL_MAIN if call_main else "",
                        "code_cache": code_cache}


def new_nonce() -> str:
    return os.urandom(8).hex()


def facts_options() -> Dict[str, Any]:
    """What the facts probe needs from envdoctor's vocabulary, defined there once."""
    return {
        "environment_prefixes": stack.ENVIRONMENT_PREFIXES,
        "secret_words": secrets.SECRET_NAME_WORDS,
        "mask": secrets.MASK,
        "torch_module": stack.TORCH_MODULE,  # torch's build facts are read next to this module
        "listed_packages": stack.LISTED_PACKAGES,
        "jit_modules": stack.JIT_MODULES,  # the toolchain facts are read where one is installed
        "jit_caches": stack.JIT_CACHES,
    }


def deep_options() -> Dict[str, Any]:
    """What a deep probe needs: which imported modules get torch's and triton's runtime checks."""
    return {"torch_module": stack.TORCH_MODULE, "triton_module": stack.TRITON_MODULE}


def payload_argv(python: str, mode: str, nonce: str, options: Optional[Dict[str, Any]] = None,
                 no_site: bool = False, keep_code: bool = True) -> List[str]:
    """The facts probe (mode "facts" or "trace-startup"); `options` add to facts_options().
    `keep_code`: the bootstrap takes code kept from an earlier run and hands over what it
    compiled (probe_code_file.py); not for a probe that runs on another machine (fleet/)."""
    from envdoctor.probe.dist_cache_file import dist_cache_path
    from envdoctor.probe.probe_code_file import probe_code_path

    flags = ["-B", "-S"] if no_site else ["-B"]
    code_cache = probe_code_path(python) if keep_code else None
    return [python, *flags, "-c", program_source(FACTS_PROGRAM, code_cache=code_cache), mode, nonce,
            encode_options({**facts_options(), "dist_cache": dist_cache_path(python), **(options or {})})]


def deep_argv(python: str, nonce: str, modules: Sequence[str], bytecode_prefix: Optional[str] = None,
              triton_kernel_elsewhere: bool = False) -> List[str]:
    """The deep probe that imports `modules`, one after the other, in one process; with
    `bytecode_prefix` (also its PYTHONPYCACHEPREFIX) it keeps their bytecode there; with
    `triton_kernel_elsewhere` it leaves the Triton kernel to a process of its own."""
    import json

    options = {**deep_options(), **({"bytecode_prefix": bytecode_prefix} if bytecode_prefix else {}),
               **({"triton_kernel_elsewhere": True} if triton_kernel_elsewhere else {})}
    return [python, "-B", "-c", program_source(DEEP_PROGRAM), nonce, json.dumps(list(modules)),
            encode_options(options)]


def encode_options(options: Dict[str, Any]) -> str:
    """The options as JSON.  The vocabulary's words (ASCII, no quote or backslash), lists of
    them (nested too: the JIT caches' rows) and flags are written here directly: importing json
    costs ~3 ms (re, enum), which the early start in launch.py would pay before the probe starts.
    Anything else goes through json."""
    return "{" + ",".join('"' + key + '":' + _plain_json(value) for key, value in options.items()) + "}"


def _plain_json(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_plain_word(value):
        return '"' + value + '"'  # type: ignore[operator]
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_plain_json(item) for item in value) + "]"
    import json

    return json.dumps(value)


def _is_plain_word(value: object) -> bool:
    return isinstance(value, str) and value.isascii() and value.isprintable() and '"' not in value and "\\" not in value
