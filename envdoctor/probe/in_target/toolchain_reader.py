# The JIT toolchain as a run-time kernel build would find it: the CUDA toolkit (in
# torch.utils.cpp_extension._find_cuda_home's order: CUDA_HOME, CUDA_PATH, the folder above
# `nvcc` on PATH, /usr/local/cuda), the release `nvcc --version` prints (what
# _check_cuda_version reads), the host compiler nvcc runs and the range the toolkit's
# crt/host_config.h accepts, ninja, the *_CUDA_ARCH_LIST variables and the JIT cache folders.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax,
# nothing imported from the packages it inspects, nothing written.  Only where something
# installed builds kernels at run time (the host's options name those modules) does it
# start a subprocess (nvcc and the compiler, each with a timeout); elsewhere it costs a few
# environment look-ups.
import os
import re
import shutil
import sys
import time

from .stack_facts import _read, _run_command

GNU_LIMIT = re.compile(r"__GNUC__\s*>\s*(\d+)")
CLANG_LIMIT = re.compile(r"__clang_major__\s*>=\s*(\d+)")
UNSUPPORTED_FLAG = "-allow-unsupported-compiler"


def triggers(modules, torch_build, options):
    """The installed modules that build kernels at run time; torch only as a CUDA build."""
    found = []
    for name in options.get("jit_modules", ()):
        if not (modules.get(name) or {}).get("found"):
            continue
        if name == options.get("torch_module"):
            cuda = (torch_build or {}).get("cuda")
            if cuda:
                found.append("%s (CUDA %s)" % (name, cuda))
        else:
            found.append(name)
    return found


def find_cuda_home():
    """(home, how it was found), in _find_cuda_home's order; (None, "") when it finds none."""
    for variable in ("CUDA_HOME", "CUDA_PATH"):
        if os.environ.get(variable):
            return os.environ[variable], variable
    nvcc = shutil.which("nvcc")
    if nvcc:
        return os.path.dirname(os.path.dirname(nvcc)), "nvcc on PATH (%s)" % nvcc
    if os.path.exists("/usr/local/cuda"):
        return "/usr/local/cuda", "/usr/local/cuda"
    return None, ""


def _nvcc_facts(home, result):
    nvcc = os.path.join(home, "bin", "nvcc")
    if not os.path.exists(nvcc):
        result["nvcc_error"] = "no %s" % nvcc
        return
    result["nvcc"] = nvcc
    code, out = _run_command([nvcc, "--version"])
    match = re.search(r"release (\d+[.]\d+)", out or "") if code == 0 else None
    if match:
        result["nvcc_version"] = match.group(1)
        result["nvcc_source"] = "%s --version" % nvcc
    else:
        result["nvcc_error"] = out if code is None else "%s --version: exit status %s" % (nvcc, code)


def host_compiler():
    """The compiler nvcc runs: torch passes $CC as -ccbin; nvcc reads NVCC_CCBIN; else gcc."""
    for variable in ("CC", "NVCC_CCBIN"):
        if os.environ.get(variable):
            command, via = os.environ[variable], variable
            break
    else:
        command, via = "gcc", "default"
    result = {"command": command, "via": via, "path": shutil.which(command)}
    if not result["path"]:
        result["error"] = "%s: not found on PATH" % command
        return result
    code, out = _run_command([result["path"], "--version"])
    first = (out or "").strip().splitlines()[:1] if code == 0 else []
    clang = re.search(r"clang version (\d+(?:\.\d+)*)", first[0]) if first else None
    plain = re.search(r"(\d+\.\d+(?:\.\d+)?)\s*$", first[0]) if first else None
    if clang:
        result["family"], result["version"] = "clang", clang.group(1)
    elif plain:
        result["family"], result["version"] = "gcc", plain.group(1)
    else:
        result["error"] = "%s --version: %s" % (command, out.strip()[-200:] if code is None else "no version in its answer")
    return result


def compiler_range(home):
    """The newest gcc and clang majors the toolkit's host_config.h lets through without #error."""
    path = os.path.join(home, "include", "crt", "host_config.h")
    text = _read(path)
    if text is None:
        return None
    result = {"source": path}
    condition = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#if"):
            condition = stripped
        elif stripped.startswith("#error") and "unsupported GNU version" in stripped:
            match = GNU_LIMIT.search(condition)
            if match:
                result["gcc_max_major"] = int(match.group(1))
        elif stripped.startswith("#error") and "unsupported clang version" in stripped:
            match = CLANG_LIMIT.search(condition)
            if match:
                result["clang_max_major"] = int(match.group(1)) - 1
    flags = os.environ.get("NVCC_APPEND_FLAGS", "") + " " + os.environ.get("NVCC_PREPEND_FLAGS", "")
    result["allow_unsupported"] = UNSUPPORTED_FLAG in flags.split() or "--allow-unsupported-compiler" in flags.split()
    return result


def cache_dirs(modules, caches):
    """Each installed JIT user's cache folder: where it is, whether this user can write there, space left."""
    found = []
    for module, variable, base_variable, default_base, below in caches:
        if not (modules.get(module) or {}).get("found"):
            continue
        if variable and os.environ.get(variable):
            path, via = os.environ[variable], variable
        else:
            base = os.environ.get(base_variable) if base_variable else None
            via = base_variable if base else "default"
            path = os.path.join(os.path.expanduser(base or default_base), *below.split("/"))
        entry = {"module": module, "path": path, "via": via}
        existing = path
        while existing and not os.path.exists(existing):
            parent = os.path.dirname(existing)
            existing = parent if parent != existing else None
        if existing:
            entry["existing"] = existing
            entry["writable"] = os.path.isdir(existing) and os.access(existing, os.W_OK | os.X_OK)
            try:
                stat = os.statvfs(existing)
                entry["free_bytes"] = stat.f_bavail * stat.f_frsize
            except OSError:
                pass
        found.append(entry)
    return found


def toolchain_facts(modules, torch_build, options):
    """The `toolchain` section; empty but for the arch-list variables where nothing builds kernels."""
    started = time.perf_counter()
    result = {
        "triggers": triggers(modules, torch_build, options),
        "arch_lists": {k: v for k, v in os.environ.items() if k.endswith("CUDA_ARCH_LIST")},
    }
    if result["triggers"]:
        home, via = find_cuda_home()
        result["cuda_home"], result["cuda_home_via"] = home, via
        if home:
            _nvcc_facts(home, result)
            result["compiler_range"] = compiler_range(home)
            result["compiler"] = host_compiler()
        result["ninja"] = shutil.which("ninja")
        beside = os.path.join(os.path.dirname(sys.executable), "ninja")
        if not result["ninja"] and os.path.exists(beside):
            result["ninja_beside_interpreter"] = beside
        result["cache_dirs"] = cache_dirs(modules, options.get("jit_caches", ()))
    result["seconds"] = round(time.perf_counter() - started, 4)
    return result
