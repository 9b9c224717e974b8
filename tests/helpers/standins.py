"""Stand-in GPU machines for CPU test runners: what the probe reads, built for real.

The probe (envdoctor/probe/in_target/stack_facts.py) learns about GPUs from native libraries,
commands and kernel files; these builders provide each of them the way a GPU machine or a
container runtime does, so the probe's own collection code runs unchanged:

- `libnvidia-ml.so.1` and `libcuda.so.1`, compiled with `gcc -shared` from the C below and found
  through LD_LIBRARY_PATH. They export exactly the NVML and driver calls the probe makes, with
  NVML's documented signatures, and answer as the real ones answered when called the same way
  through ctypes on an H200 with driver 580.159.04: NVML_SUCCESS 0,
  NVML_ERROR_INVALID_ARGUMENT 2 for an index beyond the GPUs, NVML_ERROR_INSUFFICIENT_SIZE 7
  for a short buffer, NVML_ERROR_UNINITIALIZED 1 for a shutdown without init; cuDriverGetVersion
  gives 13000 for CUDA 13.0 and CUDA_ERROR_INVALID_VALUE 1 for a NULL pointer.
- `nvidia-smi` on PATH (the probe's fallback without NVML), printing the one query the probe
  makes as the real one prints it.
- files under a temporary root that the probe reads instead of / when ENVDOCTOR_TEST_SYSROOT
  names it: /proc/driver/nvidia/version, /dev/nvidiactl, ROCm's KFD topology under /sys.
- a ROCm installation folder (`$ROCM_PATH/.info/version`), as ROCm's installer writes it.
- a torch distribution with torch 2.13.0's real METADATA (read from the cached wheel) and a
  torch/version.py holding the build's values, the only file of torch the checks read. Its
  `__init__.py` raises, so a test also shows that `check` never imports torch.

The probe never runs `rocminfo`: the KFD topology is its only source of AMD GPUs, so there is
no rocminfo stand-in. Apple facts need `sys.platform == "darwin"` in the target and cannot be
faked on Linux.

Libraries are compiled once per source text into a cache folder for the test session.
"""

from __future__ import annotations

import glob
import hashlib
import json
import shutil
import subprocess
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

from tests.conftest import clean_env
from tests.helpers.venvs import WHEEL_CACHE, Venv, cached_wheels, make_venv
from tests.helpers.wheels import build_wheel, write_wheel

GCC = shutil.which("gcc") or "/usr/bin/gcc"
TORCH_RELEASE = "2.13.0"


@dataclass(frozen=True)
class NvidiaGpu:
    name: str
    capability: str  # "9.0"
    memory_mib: int = 81559

    def uuid(self, index: int) -> str:
        """A stable GPU-xxxxxxxx-... UUID, as NVML and nvidia-smi print them."""
        return "GPU-" + str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{index}.{self.name}"))


@dataclass(frozen=True)
class NvidiaDriver:
    version: str  # "580.159.04"
    cuda: str  # the newest CUDA it runs: "13.0"
    gpus: Tuple[NvidiaGpu, ...]
    nvml: bool = True  # False: libnvidia-ml.so.1 absent, the probe falls back to nvidia-smi

    @property
    def cuda_number(self) -> int:
        """cuDriverGetVersion's encoding: 1000 * major + 10 * minor (13.0 -> 13000)."""
        major, minor = self.cuda.split(".")
        return 1000 * int(major) + 10 * int(minor)


@dataclass(frozen=True)
class AmdGpus:
    gfx_targets: Tuple[str, ...]  # ("gfx942",)
    rocm_version: str  # $ROCM_PATH/.info/version: "6.2.4-120"


@dataclass(frozen=True)
class TorchBuild:
    """What torch/version.py says about a build: its local label, CUDA and HIP versions."""

    local: str  # cpu, cu130, rocm6.4
    cuda: Optional[str] = None
    hip: Optional[str] = None


H200 = NvidiaGpu("NVIDIA H200", "9.0", 143771)
DRIVER_580 = NvidiaDriver("580.159.04", "13.0", (H200,))
CU130, ROCM64 = TorchBuild("cu130", cuda="13.0"), TorchBuild("rocm6.4", hip="6.4.43482")

# The checks that read what a stand-in machine provides (GPUs, drivers, ROCm, environment variables).
SELECT = "GPU,ENV,KB,ROC,MPS,STK,TOR"

# Real text of /proc/driver/nvidia/version on the H200 machine, with the version substituted.
PROC_VERSION = (
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  {version}  Release Build  (nixbld@)  \n"
    "GCC version:  gcc version 15.3.0 (GCC) \n"
)

NVML_SOURCE = r"""
/* Stand-in libnvidia-ml.so.1: the NVML calls envdoctor's probe makes, nothing else. */
#include <string.h>

typedef int nvmlReturn_t;
#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_INSUFFICIENT_SIZE 7

typedef struct { const char *name; int major, minor; unsigned long long memory; const char *uuid; } gpu_t;
typedef const gpu_t *nvmlDevice_t;
typedef struct { unsigned long long total, free, used; } nvmlMemory_t;

static const char DRIVER[] = "%(driver)s";
static const int CUDA_VERSION = %(cuda)d;
static const gpu_t GPUS[] = { %(gpus)s };
static const unsigned int GPU_COUNT = %(count)d;
static int initialised = 0;

static nvmlReturn_t copy_text(const char *text, char *out, unsigned int length) {
    if (!out) return NVML_ERROR_INVALID_ARGUMENT;
    if (strlen(text) + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
    strcpy(out, text);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlInit_v2(void) { initialised++; return NVML_SUCCESS; }
nvmlReturn_t nvmlShutdown(void) {
    if (!initialised) return NVML_ERROR_UNINITIALIZED;
    initialised--;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) { return copy_text(DRIVER, version, length); }
nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *cudaDriverVersion) {
    if (!cudaDriverVersion) return NVML_ERROR_INVALID_ARGUMENT;
    *cudaDriverVersion = CUDA_VERSION;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount) {
    if (!deviceCount) return NVML_ERROR_INVALID_ARGUMENT;
    *deviceCount = GPU_COUNT;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    if (!device || index >= GPU_COUNT) return NVML_ERROR_INVALID_ARGUMENT;
    *device = &GPUS[index];
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
    if (!device) return NVML_ERROR_INVALID_ARGUMENT;
    return copy_text(device->name, name, length);
}
nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int *major, int *minor) {
    if (!device || !major || !minor) return NVML_ERROR_INVALID_ARGUMENT;
    *major = device->major;
    *minor = device->minor;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
    if (!device || !memory) return NVML_ERROR_INVALID_ARGUMENT;
    memory->total = device->memory;
    memory->used = 0;
    memory->free = device->memory;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
    if (!device) return NVML_ERROR_INVALID_ARGUMENT;
    return copy_text(device->uuid, uuid, length);
}
"""

LIBCUDA_SOURCE = r"""
/* Stand-in libcuda.so.1: cuDriverGetVersion, the one driver call envdoctor's probe makes. */
typedef int CUresult;
#define CUDA_SUCCESS 0
#define CUDA_ERROR_INVALID_VALUE 1

CUresult cuDriverGetVersion(int *driverVersion) {
    if (!driverVersion) return CUDA_ERROR_INVALID_VALUE;
    *driverVersion = %(cuda)d;
    return CUDA_SUCCESS;
}
"""

# A library that exists only to be loaded: what LD_PRELOAD names must load, or every process fails.
EMPTY_LIBRARY_SOURCE = "/* stand-in %(name)s: loads, exports nothing */\nint envdoctor_standin_%(tag)s;\n"

NVIDIA_SMI_QUERY = "--query-gpu=index,name,compute_cap,memory.total,uuid,driver_version"
NVIDIA_SMI = """#!/bin/sh
# Stand-in nvidia-smi: the one query envdoctor's probe makes, printed as the real one prints it.
if [ "$1" = "{query}" ] && [ "$2" = "--format=csv,noheader,nounits" ]; then
    cat <<'ROWS'
{rows}
ROWS
    exit 0
fi
echo "stand-in nvidia-smi: unsupported arguments: $*"
exit 2
"""


def compile_library(source: str, soname: str, cache: Path) -> Path:
    """`gcc -shared` of `source` as `soname`, once per source text (cached by its hash)."""
    folder = cache / hashlib.sha256((soname + source).encode()).hexdigest()[:16]
    library = folder / soname
    if not library.exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "source.c").write_text(source)
        building = folder / (soname + ".partial")
        subprocess.run([GCC, "-shared", "-fPIC", "-O1", f"-Wl,-soname,{soname}", "-o", str(building), str(folder / "source.c")],
                       check=True, capture_output=True, text=True)
        building.rename(library)
    return library


def _c_string(text: str) -> str:
    return json.dumps(text)  # ASCII names: a JSON string is a valid C string literal


def nvml_source(driver: NvidiaDriver) -> str:
    rows = []
    for index, gpu in enumerate(driver.gpus):
        major, minor = gpu.capability.split(".")
        rows.append("{%s, %s, %s, %dULL, %s}" % (_c_string(gpu.name), major, minor, gpu.memory_mib * 1024 * 1024,
                                                  _c_string(gpu.uuid(index))))
    return NVML_SOURCE % {"driver": driver.version, "cuda": driver.cuda_number, "gpus": ", ".join(rows),
                          "count": len(driver.gpus)}


def nvidia_smi_rows(driver: NvidiaDriver) -> str:
    return "\n".join(f"{index}, {gpu.name}, {gpu.capability}, {gpu.memory_mib}, {gpu.uuid(index)}, {driver.version}"
                     for index, gpu in enumerate(driver.gpus))


def kfd_properties(gfx_target: Optional[str]) -> str:
    """A KFD topology node's properties: gfx942 -> gfx_target_version 90402; None -> a CPU node (0)."""
    value = 0
    if gfx_target:
        digits = gfx_target[3:]
        value = int(digits[:-2]) * 10000 + int(digits[-2], 16) * 100 + int(digits[-1], 16)
    return f"cpu_cores_count {0 if gfx_target else 64}\nsimd_count {304 if gfx_target else 0}\ngfx_target_version {value}\n"


class StandinMachine:
    """One stand-in machine in a folder: its sysroot, library folder, PATH folder and ROCm."""

    def __init__(self, root: Path, cache: Path):
        self.root, self.cache = root, cache
        self.sysroot, self.lib, self.bin = root / "sysroot", root / "lib", root / "bin"
        for folder in (self.sysroot, self.lib, self.bin):
            folder.mkdir(parents=True, exist_ok=True)
        self.rocm_path: Optional[Path] = None
        self.preload: Tuple[str, ...] = ()

    def _system_file(self, path: str, text: str) -> None:
        target = self.sysroot / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def _install_library(self, source: str, soname: str) -> Path:
        installed = self.lib / soname
        shutil.copy2(compile_library(source, soname, self.cache), installed)
        return installed

    def nvidia(self, driver: NvidiaDriver) -> "StandinMachine":
        """The kernel module, its device node, libcuda, NVML (unless driver.nvml is False) and nvidia-smi."""
        self._system_file("/proc/driver/nvidia/version", PROC_VERSION.format(version=driver.version))
        self._system_file("/dev/nvidiactl", "")
        self._install_library(LIBCUDA_SOURCE % {"cuda": driver.cuda_number}, "libcuda.so.1")
        if driver.nvml:
            self._install_library(nvml_source(driver), "libnvidia-ml.so.1")
        smi = self.bin / "nvidia-smi"
        smi.write_text(NVIDIA_SMI.format(query=NVIDIA_SMI_QUERY, rows=nvidia_smi_rows(driver)))
        smi.chmod(0o755)
        return self

    def amd(self, gfx_targets: Sequence[str], rocm_version: str) -> "StandinMachine":
        """A KFD topology (node 0 the CPU, then one node per GPU) and $ROCM_PATH/.info/version."""
        nodes = "/sys/class/kfd/kfd/topology/nodes"
        for index, gfx in enumerate([None, *gfx_targets]):
            self._system_file(f"{nodes}/{index}/properties", kfd_properties(gfx))
        self.rocm_path = self.root / "opt" / "rocm"
        (self.rocm_path / ".info").mkdir(parents=True, exist_ok=True)
        (self.rocm_path / ".info" / "version").write_text(rocm_version + "\n")
        return self

    def with_gpus(self, gpus) -> "StandinMachine":
        """The machine with an NvidiaDriver's or AmdGpus' GPUs."""
        if isinstance(gpus, NvidiaDriver):
            return self.nvidia(gpus)
        return self.amd(gpus.gfx_targets, gpus.rocm_version)

    def preloaded(self, soname: str) -> Path:
        """A real shared object named `soname` (e.g. libnccl.so.2), added to LD_PRELOAD."""
        tag = hashlib.sha256(soname.encode()).hexdigest()[:8]
        source = EMPTY_LIBRARY_SOURCE % {"name": soname, "tag": tag}
        folder = self.root / "preload"
        folder.mkdir(exist_ok=True)
        library = folder / soname
        shutil.copy2(compile_library(source, soname, self.cache), library)
        self.preload += (str(library),)
        return library

    def env(self, **extra: str) -> Dict[str, str]:
        """The environment envdoctor runs in on this machine (the probe inherits it)."""
        env = clean_env(ENVDOCTOR_TEST_SYSROOT=str(self.sysroot), LD_LIBRARY_PATH=str(self.lib),
                        CUDA_HOME=str(self.root / "no-cuda-toolkit"))
        env["PATH"] = f"{self.bin}:{env.get('PATH', '/usr/bin:/bin')}"
        if self.rocm_path:
            env["ROCM_PATH"] = str(self.rocm_path)
        if self.preload:
            env["LD_PRELOAD"] = " ".join(self.preload)
        env.update(extra)
        return env


def check_on(run_envdoctor, venv: Venv, machine: StandinMachine, cwd: Path, **variables: str):
    """`envdoctor check --python VENV --select SELECT --format json` run on `machine`, with `variables`
    added to its environment."""
    return run_envdoctor("check", "--python", venv.python, "--select", SELECT, "--format", "json", cwd=cwd,
                         env=machine.env(**variables))


# --- a torch distribution with torch 2.13.0's real metadata ----------------------------------------

TORCH_INIT = 'raise ImportError("stand-in torch: only its metadata and version.py are real")\n'


def _real_torch_wheel() -> Path:
    cached_wheels([f"torch=={TORCH_RELEASE}"])
    found = sorted(glob.glob(str(WHEEL_CACHE / f"torch-{TORCH_RELEASE}+*.whl")) + glob.glob(str(WHEEL_CACHE / f"torch-{TORCH_RELEASE}-*.whl")))
    if not found:
        raise RuntimeError(f"no torch {TORCH_RELEASE} wheel in {WHEEL_CACHE}: the stand-in copies its METADATA")
    return Path(found[0])


def torch_standin_wheel(folder: Path, build: TorchBuild) -> Path:
    """torch 2.13.0+local: the real METADATA and version.py, with the build's version, cuda and hip.

    The local label (cpu, cu130, rocm6.4) is the one PyTorch's index gives the build.
    """
    with zipfile.ZipFile(_real_torch_wheel()) as real:
        info = next(n.split("/")[0] for n in real.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = real.read(f"{info}/METADATA").decode()
        version_py = real.read("torch/version.py").decode()
    version = f"{TORCH_RELEASE}+{build.local}"
    metadata = "\n".join(f"Version: {version}" if line.startswith("Version: ") else line for line in metadata.split("\n"))
    replaced = {"__version__": repr(version), "cuda: Optional[str]": repr(build.cuda), "hip: Optional[str]": repr(build.hip)}
    lines = []
    for line in version_py.splitlines():
        name = line.split(" = ", 1)[0]
        lines.append(f"{name} = {replaced[name]}" if name in replaced and " = " in line else line)
    return write_wheel(folder, "torch", version, {
        "torch/__init__.py": TORCH_INIT.encode(),
        "torch/version.py": ("\n".join(lines) + "\n").encode(),
        f"torch-{version}.dist-info/METADATA": metadata.encode(),
    })


class TorchVenvs:
    """Real venvs, one per torch build (plus other distributions by name and version), made on first use."""

    def __init__(self, root: Path):
        self.root = root
        self.made: Dict[tuple, Venv] = {}

    def venv(self, build: TorchBuild, *others: Tuple[str, str]) -> Venv:
        key = (build, others)
        if key not in self.made:
            folder = self.root / f"venv{len(self.made)}"
            wheels = [torch_standin_wheel(folder / "wheels", build)]
            wheels += [build_wheel(folder / "wheels", name, version, {f"{name.replace('-', '_')}/__init__.py": ""})
                       for name, version in others]
            venv = make_venv(folder / "venv")
            venv.install_files(*wheels, extra=["--no-deps"])
            self.made[key] = venv
        return self.made[key]


def importable_torch(version: str = "2.13.0+cpu", cuda: Optional[str] = None, prelude: str = "") -> str:
    """A torch `__init__.py` that imports: enough for the deep probe's torch_runtime
    (in_target/deep_import.py) and Triton kernel (in_target/triton_kernel_probe.py), with no GPU
    visible.  `prelude` runs first (a test records what the import saw)."""
    return prelude + (
        f"__version__ = {version!r}\n"
        "class version:\n"
        f"    cuda = {cuda!r}\n"
        "    hip = None\n"
        "class cuda:\n"
        "    is_available = staticmethod(lambda: False)\n"
        "    get_arch_list = staticmethod(lambda: [])\n"
        "class backends:\n"
        "    pass\n"
    )
