"""Facts: what the probe saw in the target environment, as typed data.

A Facts document is also a snapshot (`envdoctor snapshot`), so it is
versioned: FACTS_SCHEMA_VERSION changes whenever a field changes meaning or
goes away.  Sections are optional, so checks can declare which ones they need
and be reported as skipped when a snapshot lacks them.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import typing
from dataclasses import field
from functools import cached_property, lru_cache
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from envdoctor.errors import UsageError
from envdoctor.data_files import read_json
from envdoctor.model.network_facts import Network
from envdoctor.model.native_facts import NativeLinkage
from envdoctor.model.numpy_facts import NumpyBuild
from envdoctor.model.legacy_code_facts import LegacyCode
from envdoctor.model.record import Record, record
from envdoctor.model.target import Target
from envdoctor.model.toolchain_facts import JitBuild, JitToolchain, MultiGpu

FACTS_SCHEMA_VERSION = 1

# The names checks use in `needs=`; each is a field of Facts below.
SECTIONS = (
    "interpreter",
    "markers",
    "sys_path",
    "pth_files",
    "distributions",
    "shared_files",
    "import_system",
    "modules",
    "startup",
    "imports",
    "stack",
    "deep",
    "toolchain",
    "network",
    "native_linkage",
    "numpy_builds",
    "legacy_code",
)


@record
class TagInputs(Record):
    """What decides the wheel tags an interpreter supports, with its version and extension suffixes.

    The host lists the tags with packaging.tags (vocabulary/supported_tags.py)."""

    platform: str  # sysconfig.get_platform(): linux-x86_64, macosx-11.0-arm64, win-amd64
    abiflags: str = ""  # sys.abiflags: "t" free-threaded, "d" debug
    debug: bool = False
    pointer_bits: int = 64  # a 32-bit interpreter on a 64-bit kernel takes i686/armv7l wheels
    glibc: Optional[str] = None  # "2.36" (os.confstr CS_GNU_LIBC_VERSION)
    musl: Optional[str] = None  # the musl loader's path, where there is musl and no glibc
    macos: Optional[str] = None  # platform.mac_ver(): "14.5"
    # The CPU (platform.mac_ver()): a universal2 Python on arm64 takes arm64 wheels, as packaging says.
    macos_machine: Optional[str] = None


@record
class Interpreter(Record):
    executable: str
    version: str
    version_info: Tuple[int, ...]
    implementation: str
    cache_tag: Optional[str]
    prefix: str
    base_prefix: str
    exec_prefix: str
    platform: str
    in_venv: bool
    site_packages: Tuple[str, ...]
    user_site: Optional[str]
    user_site_enabled: bool
    no_site: bool
    isolated: bool
    ignore_environment: bool
    safe_path: bool
    cwd: str
    conda: bool = False
    pyvenv_cfg: Optional[Dict[str, str]] = None
    environment: Dict[str, str] = field(default_factory=dict)
    # For the import scanner: what a module file may be called, and what needs no file.
    extension_suffixes: Tuple[str, ...] = ()
    builtin_modules: Tuple[str, ...] = ()
    # PEP 668: the EXTERNALLY-MANAGED marker in the stdlib folder, when it applies (not in a venv):
    # the OS package manager owns this prefix and pip refuses to install into it.
    externally_managed: Optional[str] = None
    tag_inputs: Optional[TagInputs] = None  # None in snapshots made before it was collected


@record
class SysPathEntry(Record):
    index: int
    entry: str
    path: str
    origin: str  # cwd | pythonpath | site-packages | user-site | pth | stdlib | unknown
    kind: str  # dir | file | missing
    pth: Optional[Tuple[Any, ...]] = None  # (pth file, line) for origin == "pth"
    # The layer it belongs to: venv-site | system-site (the base interpreter's, e.g. Debian's
    # dist-packages under a --system-site-packages venv) | user-site | pythonpath | pth | cwd |
    # editable-source (an editable install's source folder) | stdlib | unknown.
    provenance: Optional[str] = None
    # Why a folder (kind dir) could not be listed ("Permission denied"): what it holds is unknown.
    unreadable: Optional[str] = None


@record
class PthLine(Record):
    line: int
    text: str
    kind: str  # comment | blank | import | path
    target: Optional[str] = None
    exists: Optional[bool] = None


@record
class PthFile(Record):
    path: str
    site_dir: str
    lines: Tuple[PthLine, ...] = ()
    error: Optional[str] = None  # why it could not be read ("Permission denied"); site skips it silently


@record
class Distribution(Record):
    name: str
    version: Optional[str]
    metadata_path: str
    kind: str  # dist-info | egg-info | egg
    location: str
    path_index: int
    metadata_version: Optional[str] = None
    requires_dist: Tuple[str, ...] = ()
    requires_python: Optional[str] = None
    provides_extra: Tuple[str, ...] = ()
    installer: Optional[str] = None
    top_level: Tuple[str, ...] = ()
    record_modules: Tuple[str, ...] = ()
    record: Optional[str] = None  # RECORD | installed-files.txt | None
    record_count: int = 0
    missing_files: Tuple[str, ...] = ()
    missing_count: int = 0
    direct_url: Optional[Dict[str, Any]] = None
    editable_mapping: Optional[Dict[str, str]] = None
    pth_files: Tuple[str, ...] = ()
    problems: Tuple[str, ...] = ()
    # RECORD files missing that are not importable code: console scripts, data and headers
    # outside site-packages, scripts-3.x/ folders, metadata extras.  missing_files/missing_count
    # hold the importable ones (modules, package files, extensions).
    missing_other: Tuple[str, ...] = ()
    missing_other_count: int = 0
    # RECORD entries found away from where pip's rule puts them, as (RECORD path, real path):
    # `pip install --target DIR` writes `../../bin/NAME` and moves bin/ into DIR.
    relocated: Tuple[Tuple[str, str], ...] = ()
    os_package: Optional[str] = None  # the dpkg package that installed its metadata folder
    # For a project installed more than once in one folder only: whether this copy's RECORD
    # hashes match the files on disk (the code is this copy's); None when not checked.
    record_hashes_match: Optional[bool] = None
    editable_source: Optional[str] = None  # an editable install's source folder
    editable_mode: Optional[str] = None  # finder | pth | unknown
    # Why its metadata folder could not be listed ("Permission denied"): nothing else is known.
    unreadable: Optional[str] = None
    # The WHEEL file's Tag lines (None: no WHEEL read) and Root-Is-Purelib, and the compiled
    # files (.so, .pyd) its RECORD lists, relative to `location` (the first 500 of compiled_count).
    wheel_tags: Optional[Tuple[str, ...]] = None
    root_is_purelib: Optional[bool] = None
    compiled_files: Tuple[str, ...] = ()
    compiled_count: int = 0

    @property
    def canonical_name(self) -> str:
        return canonicalize(self.name)

    @property
    def editable(self) -> bool:
        info = (self.direct_url or {}).get("dir_info") or {}
        return bool(info.get("editable"))

    @property
    def source_dir(self) -> Optional[str]:
        """The local folder it was installed from (direct_url.json's file:// URL), if any."""
        url = (self.direct_url or {}).get("url", "")
        return url[len("file://") :] if url.startswith("file://") else None

    @property
    def display(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name


@record
class SharedFile(Record):
    path: str
    metadata_paths: Tuple[str, ...]


@record
class FinderInfo(Record):
    module: Optional[str]
    file: Optional[str]
    repr: str
    is_class: bool
    find_spec: bool
    find_module: bool
    path: Optional[str] = None  # for path entry finders: the sys.path entry
    stub_for: Tuple[str, ...] = ()  # top-level modules a stand-in finder (envdoctor's stubs) serves
    # "class" is a keyword; it is mapped to `class_name` by from_dict/to_dict.
    class_name: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{self.module}.{self.class_name}" if self.module else self.class_name


@record
class ImportSystem(Record):
    meta_path: Tuple[FinderInfo, ...] = ()
    path_hooks: Tuple[FinderInfo, ...] = ()
    legacy_path_entry_finders: Tuple[FinderInfo, ...] = ()
    shims: Tuple[str, ...] = ()  # envdoctor shims/stubs active after start-up: "torch-patches 1", ...

    def has_shim(self, name: str) -> bool:
        return any(shim.split()[0] == name for shim in self.shims)

    @property
    def stubbed_modules(self) -> Tuple[str, ...]:
        """Top-level modules that a stand-in finder on sys.meta_path serves (envdoctor's stubs)."""
        return tuple(name for finder in self.meta_path for name in finder.stub_for)


@record
class ModuleCandidate(Record):
    path_index: int
    path: str
    kind: str  # package | namespace-portion | module | extension


@record
class ModuleResolution(Record):
    name: str
    found: bool
    origin: Optional[str] = None
    namespace: bool = False
    locations: Tuple[str, ...] = ()
    loader: Optional[str] = None
    path_index: Optional[int] = None
    error: Optional[str] = None
    candidates: Tuple[ModuleCandidate, ...] = ()
    # "listing": decided from directory listings because only CPython's own finders take
    # part; "find_spec": importlib.util.find_spec asked (see probe/_payload.py).
    resolved_by: str = "find_spec"


@record
class PthError(Record):
    """A .pth import line that raised during start-up (site printed it and moved on)."""

    path: str
    line: int
    error: str
    traceback: str = ""


@record
class StartupFailure(Record):
    """The interpreter dies or hangs during site processing; `culprit` names where."""

    kind: str  # crash | hang
    file: Optional[str]  # the .pth file, or "sitecustomize"/"usercustomize"
    line: Optional[int]
    text: Optional[str]
    returncode: Optional[int]
    stderr_tail: str = ""


@record
class Startup(Record):
    ok: bool = True
    pth_errors: Tuple[PthError, ...] = ()
    failure: Optional[StartupFailure] = None
    replayed: bool = False  # facts were collected by replaying site, skipping the culprit


@record
class ScannedCode(Record):
    """One body of code the import scanner read: a distribution or a source folder."""

    label: str  # "sglang 0.5.23" or the folder
    root: str  # the folder module names are relative to
    files: int
    parsed: int  # parsed in this run; the rest came from the cache
    distribution: Optional[str] = None
    version: Optional[str] = None


@record
class ImportProblem(Record):
    """An import in scanned code that cannot succeed against what is installed."""

    kind: str  # missing-module | missing-name | uninstalled | beyond-top-level | unparsable | unscanned
    path: str
    line: int
    importer_module: str  # the module the import statement is in
    # The import statement as written (for a module nothing provides, only its first few
    # sites keep it: a --no-deps install imports torch from thousands of places).
    statement: str
    module: str  # the absolute module imported (from)
    missing: str  # the module that does not exist, or the name the module lacks
    detail: str = ""  # why: "no module 'routing' in providerx (...)", a syntax error
    names: Tuple[str, ...] = ()  # the names imported from `module`, for the patch fixer
    scope: str = "module"  # module (runs on import) | function (runs when called)
    guarded: bool = False  # inside try/except ImportError (or Exception, or bare)
    type_checking: bool = False  # under `if TYPE_CHECKING:`
    # an undecided question about the environment (a flag the scanner cannot compute, `__main__`),
    # or a module the package leaves out; a branch the caller picks is not conditional
    conditional: bool = False
    eager: bool = False  # runs whenever the importer's top-level package is imported
    # Other scanned packages whose own import runs this statement: "import fla.layers
    # (flash-linear-attention 0.5.2)" for a module-level import in fla-core's fla.ops; and the
    # importer's own public subpackages whose import runs it when its top-level import does not
    # ("import liger_kernel.transformers (liger_kernel 0.8.5)", scan/public_entries.py).
    reached_by: Tuple[str, ...] = ()
    importer: Optional[str] = None  # the scanned distribution (or folder label)
    importer_version: Optional[str] = None
    provider: Optional[str] = None  # the distribution that provides the top-level module
    provider_version: Optional[str] = None
    # Modules that define the missing name (or, for a missing module, its imported names):
    # "name=module" entries; one home per name makes the patch fixer applicable.
    homes: Tuple[str, ...] = ()


@record
class ImportScan(Record):
    scanned: Tuple[ScannedCode, ...] = ()
    problems: Tuple[ImportProblem, ...] = ()
    imports: int = 0  # import sites looked at
    seconds: float = 0.0


# ---------------------------------------------------------------------------
# The ML stack: the machine's accelerators and the builds installed for them.
# Every fact says where it came from (`source`), so a finding can show it.
# ---------------------------------------------------------------------------


@record
class TorchBuild(Record):
    """torch as its files describe it (torch/version.py read as text, never imported)."""

    version: Optional[str]
    local: Optional[str]  # the build tag: cu130, rocm6.4, cpu, or None
    cuda: Optional[str]  # the CUDA runtime torch was built for ("13.0"), None for CPU/ROCm
    hip: Optional[str]
    git_version: Optional[str] = None
    source: str = ""  # the version.py read


@record
class Gpu(Record):
    index: int
    name: str
    capability: Optional[str] = None  # "9.0"
    memory_mib: Optional[int] = None
    uuid: Optional[str] = None


@record
class Nvidia(Record):
    driver_version: Optional[str] = None  # "580.95.05"
    driver_source: str = ""
    cuda_driver_version: Optional[str] = None  # the newest CUDA the driver runs ("13.0")
    cuda_source: str = ""
    gpus: Tuple[Gpu, ...] = ()
    gpus_source: str = ""
    errors: Tuple[str, ...] = ()  # what could not be read, and why


@record
class CudaToolkit(Record):
    """The toolkit JIT builds use (CUDA_HOME, nvcc): not the runtime torch ships with."""

    home: Optional[str]
    version: Optional[str]
    source: str = ""


@record
class Rocm(Record):
    version: Optional[str] = None
    path: Optional[str] = None
    source: str = ""
    gfx_targets: Tuple[str, ...] = ()  # one per GPU node in KFD's topology: gfx942, ...
    gfx_source: str = ""


@record
class Apple(Record):
    macos_version: Optional[str]
    machine: str  # the target interpreter's architecture: arm64 or x86_64
    translated: Optional[bool] = None  # running under Rosetta 2
    source: str = ""


@record
class LibraryFile(Record):
    """A CUDA/NCCL/cuDNN library file found in an LD_LIBRARY_PATH folder or LD_PRELOAD."""

    path: str
    library: str  # cudart | nccl | cudnn | cublas | cuda | nvrtc
    version: Optional[str] = None  # from the file name: "12", "2.21.5"
    via: str = "LD_LIBRARY_PATH"  # or LD_PRELOAD
    position: int = 0  # its folder's position in LD_LIBRARY_PATH


@record
class Stack(Record):
    torch: Optional[TorchBuild] = None
    nvidia: Optional[Nvidia] = None
    cuda_toolkit: Optional[CudaToolkit] = None
    rocm: Optional[Rocm] = None
    apple: Optional[Apple] = None
    libraries: Tuple[LibraryFile, ...] = ()
    # Submodules present in selected stack packages' folders (partial-install checks).
    package_files: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def nvidia_gpus(self) -> Tuple[Gpu, ...]:
        return self.nvidia.gpus if self.nvidia else ()

    @property
    def amd_gpus(self) -> Tuple[str, ...]:
        """The gfx target of each AMD GPU (KFD topology)."""
        return self.rocm.gfx_targets if self.rocm else ()


# ---------------------------------------------------------------------------
# Deep probes (--deep): what only importing the stack can tell.
# ---------------------------------------------------------------------------


@record
class ImportAttempt(Record):
    module: str
    ok: bool
    seconds: float = 0.0
    error: Optional[str] = None  # "ImportError: ..." (last line), or why the probe died
    outcome: str = "ok"  # ok | error | crash | timeout
    meta_path_added: Tuple[FinderInfo, ...] = ()


@record
class TorchRuntime(Record):
    version: Optional[str] = None
    cuda: Optional[str] = None
    hip: Optional[str] = None
    cuda_available: Optional[bool] = None
    device_count: int = 0
    arch_list: Tuple[str, ...] = ()  # torch.cuda.get_arch_list(): sm_90, compute_90, gfx942
    devices: Tuple[Gpu, ...] = ()  # as torch numbers them (after CUDA_VISIBLE_DEVICES)
    kernel: Optional[str] = None  # "ok", or the error of a one-element kernel launch
    mps_built: Optional[bool] = None
    mps_available: Optional[bool] = None
    nccl_version: Optional[str] = None
    cudnn_version: Optional[int] = None
    libraries: Tuple[str, ...] = ()  # CUDA/NCCL/cuDNN libraries mapped into the process
    error: Optional[str] = None


@record
class TritonRuntime(Record):
    version: Optional[str] = None
    kernel: Optional[str] = None  # "ok", the error, or "skipped: <why>"
    backend: Optional[str] = None


@record
class Deep(Record):
    imports: Tuple[ImportAttempt, ...] = ()
    torch: Optional[TorchRuntime] = None
    triton: Optional[TritonRuntime] = None
    seconds: float = 0.0
    jit_build: Optional[JitBuild] = None  # model/toolchain_facts.py
    multi_gpu: Optional[MultiGpu] = None


@record
class Facts(Record):
    schema_version: int
    envdoctor_version: str
    target: Target
    interpreter: Optional[Interpreter] = None
    markers: Optional[Dict[str, str]] = None
    sys_path: Optional[Tuple[SysPathEntry, ...]] = None
    pth_files: Optional[Tuple[PthFile, ...]] = None
    distributions: Optional[Tuple[Distribution, ...]] = None
    shared_files: Optional[Tuple[SharedFile, ...]] = None
    import_system: Optional[ImportSystem] = None
    modules: Optional[Dict[str, ModuleResolution]] = None
    startup: Optional[Startup] = None
    imports: Optional[ImportScan] = None
    stack: Optional[Stack] = None
    deep: Optional[Deep] = None
    toolchain: Optional[JitToolchain] = None  # model/toolchain_facts.py
    network: Optional[Network] = None  # interfaces and RDMA devices (model/network_facts.py)
    native_linkage: Optional[NativeLinkage] = None  # the stack's extensions as ld.so loads them
    numpy_builds: Optional[Tuple[NumpyBuild, ...]] = None  # model/numpy_facts.py
    legacy_code: Optional[LegacyCode] = None

    def has(self, section: str) -> bool:
        return getattr(self, section, None) is not None

    def to_dict(self) -> Dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Facts":
        return from_dict(cls, data)

    @classmethod
    def load(cls, path: str, option: str = "--facts") -> "Facts":
        """A snapshot file (`envdoctor snapshot -o`) read back; anything that is not one is a
        UsageError naming `option` and the path."""
        return cls.from_document(read_json(path, option), path, option)

    @classmethod
    def from_document(cls, data: Any, path: str, option: str = "--facts") -> "Facts":
        """A snapshot document already parsed from JSON (`fleet --from` reads it inside a node
        document), checked as `load` checks a file."""
        if not isinstance(data, dict) or "schema_version" not in data or not isinstance(data.get("target"), dict):
            raise UsageError(f"{option} {path}: not an envdoctor snapshot (no schema_version/target)")
        version = data["schema_version"]
        if not isinstance(version, int) or version > FACTS_SCHEMA_VERSION:
            raise UsageError(
                f"{option} {path}: snapshot schema {version!r} is not one this envdoctor reads "
                f"(up to {FACTS_SCHEMA_VERSION}); upgrade envdoctor"
            )
        try:
            return cls.from_dict(data)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise UsageError(f"{option} {path}: malformed snapshot ({exc})") from exc

    # Conveniences that several checks share, derived once per Facts.
    @cached_property
    def distributions_by_name(self) -> Dict[str, Tuple[Distribution, ...]]:
        """Every copy of each project (canonical name), in sys.path order."""
        distributions = self.distributions or ()
        if _LAST_GROUPING[0] is distributions:  # see _LAST_GROUPING
            return _LAST_GROUPING[1]
        groups: Dict[str, list] = {}
        for dist in distributions:
            groups.setdefault(dist.canonical_name, []).append(dist)
        grouped = {name: tuple(copies) for name, copies in groups.items()}
        _LAST_GROUPING[:] = [distributions, grouped]
        return grouped

    def active_distributions(self) -> Dict[str, Distribution]:
        """The distribution import machinery sees for each name: the first on sys.path.
        One dict per Facts (about 30 checks ask): callers must not change it."""
        return self._active_distributions

    @cached_property
    def _active_distributions(self) -> Dict[str, Distribution]:
        grouped = self.distributions_by_name
        if _LAST_ACTIVE[0] is grouped:
            return _LAST_ACTIVE[1]
        active = {name: copies[0] for name, copies in grouped.items()}
        _LAST_ACTIVE[:] = [grouped, active]
        return active

    def sys_path_entry(self, index: Optional[int]) -> Optional[SysPathEntry]:
        if index is None or not self.sys_path or not 0 <= index < len(self.sys_path):
            return None
        return self.sys_path[index]


# A run replaces its Facts several times (dataclasses.replace: the NumPy builds, the import scan,
# the legacy-code scan), and each new Facts shares the old one's distributions tuple.  Grouping
# 1,000 distributions by name took ~5 ms each time; the last grouping is kept with the very tuple
# (and dict) it was made from, and reused only for that same object.
_LAST_GROUPING: list = [None, None]
_LAST_ACTIVE: list = [None, None]


@lru_cache(maxsize=None)
def canonicalize(name: str) -> str:
    """PEP 503 normalisation (as packaging.utils.canonicalize_name), cached: checks ask often."""
    return _SEPARATORS.sub("-", name).lower()


_SEPARATORS = re.compile(r"[-_.]+")


# ---------------------------------------------------------------------------
# JSON <-> dataclasses.  Explicit about the few renamed keys, generic otherwise.
# ---------------------------------------------------------------------------

_RENAMED = {"class": "class_name"}
_RENAMED_BACK = {v: k for k, v in _RENAMED.items()}


def to_dict(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {
            _RENAMED_BACK.get(f.name, f.name): to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)
        }
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


def from_dict(tp: Any, data: Any) -> Any:
    """Build `tp` from JSON data; unknown keys are ignored (newer snapshots), missing ones default."""
    return _converter(tp)(data)


def _identity(value: Any) -> Any:
    return value


@lru_cache(maxsize=None)
def _converter(tp: Any):
    """One conversion function per type, built once: a snapshot of 1,000 distributions
    holds ~20,000 values, and inspecting type hints for each of them costs more than the probe."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union:  # Optional[X]
        inner = _converter(next(a for a in args if a is not type(None)))
        if inner is _identity:
            return _identity  # Optional[str] and the like: nothing to convert, no call per value
        return lambda data: None if data is None else inner(data)
    if dataclasses.is_dataclass(tp):
        return _record_converter(tp)
    if origin is tuple:
        return _tuple_converter(_converter(args[0]) if args else _identity)
    if origin in (dict, Dict):
        return _dict_converter(_converter(args[1]) if len(args) == 2 else _identity)
    return _identity


def _record_converter(tp: Any):
    hints = typing.get_type_hints(tp, vars(sys.modules[tp.__module__]))
    declared = dataclasses.fields(tp)
    # JSON key -> field name, and the keys whose values need converting: most values
    # (strings, numbers, None) are taken as they are, without a call each.
    names = {f.name: f.name for f in declared}
    names.update({key: name for key, name in _RENAMED.items() if name in names})
    converting = {key: _converter(hints[name]) for key, name in names.items()}
    converting = {key: convert for key, convert in converting.items() if convert is not _identity}
    defaults = {f.name: f.default for f in declared if f.default is not dataclasses.MISSING}
    factories = [(f.name, f.default_factory) for f in declared if f.default_factory is not dataclasses.MISSING]
    required = frozenset(f.name for f in declared) - defaults.keys() - {name for name, _ in factories}
    make = object.__new__

    def convert_record(data):
        if type(data) is not dict and not isinstance(data, Mapping):  # JSON gives dicts; the ABC check is slow
            raise TypeError(f"{tp.__name__}: expected an object, got {type(data).__name__}")
        values = dict(defaults)
        for key, value in data.items():
            name = names.get(key)
            if name is None:
                continue  # written by a newer envdoctor: ignored
            convert = converting.get(key)
            values[name] = value if convert is None or value is None else convert(value)
        for name, factory in factories:
            if name not in values:
                values[name] = factory()
        if not required <= values.keys():
            raise TypeError(f"{tp.__name__}: missing {', '.join(sorted(required - values.keys()))}")
        # What Record.__init__ does, without its argument binding: half the cost of
        # reading a large snapshot.  None of these records has a __post_init__ (a test
        # keeps it so).
        instance = make(tp)
        instance.__dict__.update(values)
        return instance

    return convert_record


def _tuple_converter(item: Callable[[Any], Any]):
    def convert_tuple(data):
        if not isinstance(data, (list, tuple)):
            raise TypeError(f"expected a list, got {type(data).__name__}")
        return tuple(item(v) for v in data) if item is not _identity else tuple(data)

    return convert_tuple


def _dict_converter(value_type: Callable[[Any], Any]):
    def convert_dict(data):
        if not isinstance(data, Mapping):
            raise TypeError(f"expected an object, got {type(data).__name__}")
        return {k: value_type(v) for k, v in data.items()} if value_type is not _identity else dict(data)

    return convert_dict

