"""envdoctor stub: a stand-in `triton` for machines where Triton cannot run (macOS/MPS, CPU-only).

Installed by `envdoctor fix` (findings MPS003 and STK003) with a .pth line that
imports this module at interpreter start; removed by `envdoctor undo`.  Stack
packages (SGLang, vLLM) import triton at module level even on code paths that
never launch a kernel, so without Triton their import fails before a CPU or MPS
backend is chosen (sgl-project/sglang#21551).

What it does:
- At start-up it asks the path finder whether a real triton is importable; if
  so it does nothing, ever (a real triton always wins, also one installed later
  than this stub: the check runs at every interpreter start).
- Otherwise it puts one PEP 451 finder (find_spec, create_module/exec_module;
  no find_module, which Python 3.12 no longer calls) at the end of
  sys.meta_path that serves `triton` and every `triton.*` module as a package
  of stand-ins.
- Decorators and helpers used at import time work: `triton.jit` (with the
  kernel's `arg_names`), `triton.autotune`, `triton.heuristics`, `triton.Config`,
  `triton.cdiv`, `triton.next_power_of_2`, `tl.constexpr`, dtypes, and
  `triton.runtime.autotuner.Autotuner`, which custom autotuners subclass and build
  at import (fla's CachedAutotuner).  torch imports triton whenever it can: for
  torch.compile's CPU path the stub declares no compiler backend
  (`triton.backends.backends` is empty), gives `triton_key()` a string for
  torch's cache keys, and has the `triton.language` submodules torch's
  triton_compat reads.  Anything else is a stand-in
  class: it can be imported, subclassed (`triton.runtime.KernelInterface`) and
  used in annotations, and raises a clear RuntimeError when called.
- It identifies itself: `triton.__envdoctor_stub__` is True and
  `triton.__version__` is "0.0.0+envdoctor.stub", lower than every real
  release, so `version >= ...` checks choose their no-Triton path.  It has no
  dist-info: importlib.metadata reports triton as not installed, truthfully.
"""

import importlib
import importlib.abc
import importlib.machinery
import sys

__envdoctor_shim__ = "stub-triton 1"

STUB_VERSION = "0.0.0+envdoctor.stub"
MESSAGE = (
    "%s is envdoctor's triton stub: Triton cannot run on this machine (no supported GPU), "
    "so no Triton kernel can be compiled or launched. Use the package's CPU/MPS code path, "
    "or remove the stub with `envdoctor undo`."
)


def _unavailable(name):
    raise RuntimeError(MESSAGE % name)


class _StandIn(object):
    """Base of every stand-in class: importable, subclassable, fails when used."""

    __envdoctor_stub__ = True

    def __init__(self, *args, **kwargs):
        _unavailable("%s.%s" % (type(self).__module__, type(self).__qualname__))


def _stand_in(module, name):
    return type(name, (_StandIn,), {"__module__": module, "__qualname__": name})


class _Kernel(object):
    """What @triton.jit returns: keeps the Python function, refuses to launch."""

    __envdoctor_stub__ = True

    def __init__(self, fn, **options):
        self.fn = fn
        self.options = options
        self.__name__ = getattr(fn, "__name__", "kernel")
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__module__ = getattr(fn, "__module__", None)
        self.__wrapped__ = fn
        # What a real JITFunction exposes about its parameters at definition time: custom
        # autotuners read them when a kernel is decorated, at import (fla's
        # `fla_cache_autotune` reads `fn.arg_names`).
        code = getattr(fn, "__code__", None)
        count = code.co_argcount + code.co_kwonlyargcount if code is not None else 0
        self.arg_names = list(code.co_varnames[:count]) if code is not None else []

    def __getitem__(self, grid):
        return self._launch

    def _launch(self, *args, **kwargs):
        _unavailable("triton kernel %r" % self.__name__)

    def run(self, *args, **kwargs):
        _unavailable("triton kernel %r" % self.__name__)

    def __call__(self, *args, **kwargs):
        _unavailable("triton kernel %r (called outside a kernel)" % self.__name__)

    def __repr__(self):
        return "<envdoctor stub kernel %s>" % self.__name__


class Autotuner(object):
    """triton.runtime.autotuner.Autotuner: built when a kernel is decorated (custom autotuners
    subclass it and construct it at import: fla's CachedAutotuner), refuses to tune or launch."""

    __envdoctor_stub__ = True

    def __init__(self, fn, arg_names=(), configs=(), key=(), reset_to_zero=None, restore_value=None,
                 pre_hook=None, post_hook=None, **options):
        # The attributes the real one sets in its constructor, which subclasses read in theirs.
        self.fn = fn
        self.arg_names = list(arg_names)
        self.configs = list(configs or ())
        self.keys = list(key or ())
        self.reset_to_zero = list(reset_to_zero or ())
        self.restore_value = list(restore_value or ())
        self.user_defined_pre_hook = pre_hook is not None
        self.user_defined_post_hook = post_hook is not None
        self.pre_hook, self.post_hook = pre_hook, post_hook
        self.options = options
        self.cache = {}
        self.__name__ = getattr(fn, "__name__", "kernel")

    def __getitem__(self, grid):
        return self.run

    def run(self, *args, **kwargs):
        _unavailable("triton autotuned kernel %r" % self.__name__)


def jit(fn=None, **options):
    """@triton.jit and @triton.jit(...)."""
    if fn is None:
        return lambda function: _Kernel(function, **options)
    return _Kernel(fn, **options)


def _passthrough_decorator(*args, **kwargs):
    """@triton.autotune(configs=..., key=...), @triton.heuristics({...}): the kernel unchanged."""
    return lambda kernel: kernel


class Config(object):
    __envdoctor_stub__ = True

    def __init__(self, kwargs=None, num_warps=4, num_stages=2, num_ctas=1, maxnreg=None, pre_hook=None, **extra):
        self.kwargs = dict(kwargs or {})
        self.num_warps, self.num_stages, self.num_ctas = num_warps, num_stages, num_ctas
        self.maxnreg, self.pre_hook, self.extra = maxnreg, pre_hook, extra

    def __repr__(self):
        return "Config(%r, num_warps=%r, num_stages=%r)" % (self.kwargs, self.num_warps, self.num_stages)


def cdiv(x, y):
    return (x + y - 1) // y


def next_power_of_2(n):
    n = int(n)
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


def triton_key():
    """triton.runtime.cache.triton_key: what torch's compile cache keys include (a string)."""
    return "envdoctor-stub-triton-" + STUB_VERSION


class _DType(object):
    __envdoctor_stub__ = True

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "triton.language.%s" % self.name


class constexpr(object):
    """tl.constexpr: an annotation at import time, a value holder when called."""

    __envdoctor_stub__ = True

    def __init__(self, value=None):
        self.value = value

    def __repr__(self):
        return "constexpr[%r]" % (self.value,)


DTYPES = ("int1", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float8e4nv", "float8e5", "float8e4b15", "float16", "bfloat16", "float32", "float64")

# The names each module defines beyond stand-ins; every module is a package, so any
# `import triton.a.b.c` works, and any other attribute is a stand-in class.
MODULES = {
    "triton": lambda: {
        "__version__": STUB_VERSION, "jit": jit, "autotune": _passthrough_decorator,
        "heuristics": _passthrough_decorator, "Config": Config, "cdiv": cdiv,
        "next_power_of_2": next_power_of_2, "constexpr": constexpr,
    },
    "triton.language": lambda: dict({"constexpr": constexpr, "dtype": _DType}, **{n: _DType(n) for n in DTYPES}),
    "triton.runtime": lambda: {"jit": jit, "Config": Config, "autotune": _passthrough_decorator,
                               "heuristics": _passthrough_decorator, "Autotuner": Autotuner},
    "triton.runtime.jit": lambda: {"jit": jit},
    # No compiler backend at all (torch asks `"cpu" in triton.backends.backends` before it
    # compiles for the CPU: an empty dict sends torch.compile to its C++ code path).
    "triton.backends": lambda: {"backends": {}},
    "triton.runtime.cache": lambda: {"triton_key": triton_key},
    "triton.compiler.compiler": lambda: {"triton_key": triton_key},
    "triton.runtime.autotuner": lambda: {"Config": Config, "autotune": _passthrough_decorator,
                                         "heuristics": _passthrough_decorator, "Autotuner": Autotuner},
}

# Submodules the real packages import in their __init__, so `triton.runtime.X` works after
# a bare `import triton`, as with the real one.
SUBMODULES = {
    "triton": ("language", "runtime", "compiler", "testing", "backends"),
    # torch's inductor (torch/_inductor/runtime/triton_compat.py, imported by torch._dynamo's
    # users) reads `triton.language.core.view` right after `import triton` succeeds.
    "triton.language": ("core", "extra", "math", "standard"),
    "triton.runtime": ("jit", "autotuner", "driver", "errors"),
    "triton.compiler": ("compiler", "errors"),
}


class StubLoader(importlib.abc.Loader):
    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module):
        name = module.__name__
        module.__envdoctor_stub__ = True
        module.__path__ = []  # a package: any submodule can be imported below it
        for key, value in MODULES.get(name, dict)().items():
            setattr(module, key, value)
        cache = {}

        def __getattr__(attribute):  # PEP 562: names nobody defined become stand-ins
            if attribute.startswith("__") and attribute.endswith("__"):
                raise AttributeError(attribute)
            full = "%s.%s" % (name, attribute)
            if full in sys.modules:  # a submodule imported earlier
                return sys.modules[full]
            if attribute not in cache:
                cache[attribute] = _stand_in(name, attribute)
            return cache[attribute]

        module.__getattr__ = __getattr__
        for child in SUBMODULES.get(name, ()):
            importlib.import_module("%s.%s" % (name, child))


class StubFinder(importlib.abc.MetaPathFinder):
    """Serves `triton` and `triton.*` with stand-ins, from the end of sys.meta_path."""

    __envdoctor_stub_for__ = ("triton",)  # read by envdoctor's probe: the scan treats triton as served

    def __init__(self):
        self.loader = StubLoader()

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "triton" and not fullname.startswith("triton."):
            return None
        spec = importlib.machinery.ModuleSpec(fullname, self.loader, is_package=True)
        spec.submodule_search_locations = []
        return spec

    def __repr__(self):
        return "<envdoctor triton stub finder>"


def real_triton_importable():
    """Whether the path finder finds a triton on sys.path (nothing is imported)."""
    try:
        return importlib.machinery.PathFinder.find_spec("triton") is not None
    except Exception:
        return False


def install():
    if real_triton_importable() or any(isinstance(f, StubFinder) for f in sys.meta_path):
        return
    sys.meta_path.append(StubFinder())


install()
