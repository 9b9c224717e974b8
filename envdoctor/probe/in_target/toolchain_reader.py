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
import sys
import time

from .stack_facts import STACK_SUBPROCESS_TIMEOUT, _read

GNU_LIMIT = re.compile(r"__GNUC__\s*>\s*(\d+)")
CLANG_LIMIT = re.compile(r"__clang_major__\s*>=\s*(\d+)")
UNSUPPORTED_FLAG = "-allow-unsupported-compiler"


def _which(command):
    """shutil.which, imported only here: shutil brings bz2, lzma and fnmatch (3.4 ms of every
    probe's start), and only a target with something that builds kernels looks for a compiler."""
    import shutil

    return shutil.which(command)


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
    nvcc = _which("nvcc")
    if nvcc:
        return os.path.dirname(os.path.dirname(nvcc)), "nvcc on PATH (%s)" % nvcc
    if os.path.exists("/usr/local/cuda"):
        return "/usr/local/cuda", "/usr/local/cuda"
    return None, ""


class Answer(object):
    """A `--version` command started now and read later, so that nvcc and the compiler run at once
    (each starts in tens of milliseconds: together they cost the slower one, not the sum)."""

    def __init__(self, argv):
        import subprocess

        self.argv, self.process, self.failure = argv, None, None
        try:
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, universal_newlines=True)
        except OSError as exc:
            self.failure = "%s: %s" % (argv[0], exc.strerror or exc)

    def read(self):
        """(returncode, stdout), or (None, why) on timeout or a command that could not start."""
        import subprocess

        if self.process is None:
            return None, self.failure
        try:
            out, _ = self.process.communicate(timeout=STACK_SUBPROCESS_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            return None, "%s: no answer within %gs" % (self.argv[0], STACK_SUBPROCESS_TIMEOUT)
        return self.process.returncode, out


def start_nvcc(home, result):
    nvcc = os.path.join(home, "bin", "nvcc")
    if not os.path.exists(nvcc):
        result["nvcc_error"] = "no %s" % nvcc
        return None
    result["nvcc"] = nvcc
    return Answer([nvcc, "--version"])


def read_nvcc(answer, result):
    code, out = answer.read()
    match = re.search(r"release (\d+[.]\d+)", out or "") if code == 0 else None
    if match:
        result["nvcc_version"] = match.group(1)
        result["nvcc_source"] = "%s --version" % answer.argv[0]
    else:
        result["nvcc_error"] = out if code is None else "%s --version: exit status %s" % (answer.argv[0], code)


def start_host_compiler():
    """The compiler nvcc runs (torch passes $CC as -ccbin; nvcc reads NVCC_CCBIN; else gcc), and its
    `--version` started."""
    for variable in ("CC", "NVCC_CCBIN"):
        if os.environ.get(variable):
            command, via = os.environ[variable], variable
            break
    else:
        command, via = "gcc", "default"
    result = {"command": command, "via": via, "path": _which(command)}
    if not result["path"]:
        result["error"] = "%s: not found on PATH" % command
        return result, None
    return result, Answer([result["path"], "--version"])


def read_host_compiler(result, answer):
    code, out = answer.read()
    first = (out or "").strip().splitlines()[:1] if code == 0 else []
    clang = re.search(r"clang version (\d+(?:\.\d+)*)", first[0]) if first else None
    plain = re.search(r"(\d+\.\d+(?:\.\d+)?)\s*$", first[0]) if first else None
    if clang:
        result["family"], result["version"] = "clang", clang.group(1)
    elif plain:
        result["family"], result["version"] = "gcc", plain.group(1)
    else:
        result["error"] = "%s --version: %s" % (result["command"], out if code is None else "no version in its answer")
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
            nvcc = start_nvcc(home, result)
            compiler, compiler_answer = start_host_compiler()
            result["compiler_range"] = compiler_range(home)
            if nvcc is not None:
                read_nvcc(nvcc, result)
            result["compiler"] = read_host_compiler(compiler, compiler_answer) if compiler_answer else compiler
        result["ninja"] = _which("ninja")
        beside = os.path.join(os.path.dirname(sys.executable), "ninja")
        if not result["ninja"] and os.path.exists(beside):
            result["ninja_beside_interpreter"] = beside
        result["cache_dirs"] = cache_dirs(modules, options.get("jit_caches", ()))
    result["seconds"] = round(time.perf_counter() - started, 4)
    return result
