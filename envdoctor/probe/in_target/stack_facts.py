# The ML stack's machine and build facts: torch's build (torch/version.py parsed, never
# run), the NVIDIA driver and GPUs (NVML/libcuda through ctypes, only where a driver is
# present), the CUDA toolkit, ROCm, Apple, CUDA libraries in LD_LIBRARY_PATH/LD_PRELOAD.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax,
# nothing imported from the packages it inspects, nothing written.  Every subprocess has a
# timeout, and every fact says where it came from.  On a machine without a GPU this costs
# a few stat() calls: ctypes is only imported where an NVIDIA driver or macOS is present.
# Which module is torch and which packages' files are listed come from the host's options
# (envdoctor/vocabulary/stack.py).
#
# Test only: ENVDOCTOR_TEST_SYSROOT names a folder that stands in for "/" where this module
# reads /proc, /sys and /dev (the NVIDIA kernel module's version, /dev/nvidiactl, ROCm's KFD
# topology), so the suite runs the GPU and ROCm collection on machines without those devices
# (tests/helpers/standins.py; docs/reference/test-variables.md).  Libraries and commands are
# found the ordinary way (LD_LIBRARY_PATH, PATH).  Never set it outside envdoctor's tests.
import os
import re
import sys
import time

STACK_SUBPROCESS_TIMEOUT = 10.0
CUDA_LIBRARY_PATTERN = re.compile(
    r"^lib(cudart|nccl|cudnn|cublas|cuda|nvrtc)\.so(?:\.([0-9][0-9.]*))?$"
)


TEST_SYSROOT_VARIABLE = "ENVDOCTOR_TEST_SYSROOT"


def _system_path(path):
    """`path` under the test sysroot when one is set (tests only, see above), else `path` itself."""
    root = os.environ.get(TEST_SYSROOT_VARIABLE)
    return root.rstrip("/") + path if root else path


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def _run_command(argv):
    """(returncode, stdout) of a short command, or (None, why) on timeout or absence."""
    import subprocess

    try:
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            timeout=STACK_SUBPROCESS_TIMEOUT, universal_newlines=True,
        )
    except subprocess.TimeoutExpired:
        return None, "%s: no answer within %gs" % (argv[0], STACK_SUBPROCESS_TIMEOUT)
    except OSError as exc:
        return None, "%s: %s" % (argv[0], exc.strerror or exc)
    return done.returncode, done.stdout


def torch_build(torch_origin):
    """torch/version.py's assignments, read with ast.literal_eval: never executed."""
    if not torch_origin:
        return None
    path = os.path.join(os.path.dirname(torch_origin), "version.py")
    text = _read(path)
    if text is None:
        return None
    import ast

    values = {}
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name):
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                pass
    version = values.get("__version__")
    version = version if isinstance(version, str) else None
    return {
        "version": version,
        "local": version.split("+", 1)[1] if version and "+" in version else None,
        "cuda": values.get("cuda") if isinstance(values.get("cuda"), str) else None,
        "hip": values.get("hip") if isinstance(values.get("hip"), str) else None,
        "git_version": values.get("git_version") if isinstance(values.get("git_version"), str) else None,
        "source": path,
    }


def _nvml(result):
    """Driver version, the driver's CUDA version and the GPUs, from libnvidia-ml via ctypes."""
    import ctypes

    try:
        nvml = ctypes.CDLL("libnvidia-ml.so.1")
    except OSError as exc:
        result["errors"].append("NVML: %s" % exc)
        return False
    if nvml.nvmlInit_v2() != 0:
        result["errors"].append("NVML: nvmlInit_v2 failed")
        return False
    try:
        buffer = ctypes.create_string_buffer(96)
        if nvml.nvmlSystemGetDriverVersion(buffer, 96) == 0:
            result["driver_version"] = buffer.value.decode()
            result["driver_source"] = "NVML nvmlSystemGetDriverVersion"
        cuda = ctypes.c_int()
        if not result.get("cuda_driver_version") and nvml.nvmlSystemGetCudaDriverVersion_v2(ctypes.byref(cuda)) == 0:
            result["cuda_driver_version"] = "%d.%d" % (cuda.value // 1000, (cuda.value % 1000) // 10)
            result["cuda_source"] = "NVML nvmlSystemGetCudaDriverVersion_v2"
        count = ctypes.c_uint()
        if nvml.nvmlDeviceGetCount_v2(ctypes.byref(count)) != 0:
            result["errors"].append("NVML: nvmlDeviceGetCount_v2 failed")
            return True

        class Memory(ctypes.Structure):
            _fields_ = [("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong), ("used", ctypes.c_ulonglong)]

        gpus = []
        for index in range(count.value):
            handle = ctypes.c_void_p()
            if nvml.nvmlDeviceGetHandleByIndex_v2(index, ctypes.byref(handle)) != 0:
                result["errors"].append("NVML: no handle for GPU %d" % index)
                continue
            gpu = {"index": index, "name": "?"}
            if nvml.nvmlDeviceGetName(handle, buffer, 96) == 0:
                gpu["name"] = buffer.value.decode(errors="replace")
            major, minor = ctypes.c_int(), ctypes.c_int()
            if nvml.nvmlDeviceGetCudaComputeCapability(handle, ctypes.byref(major), ctypes.byref(minor)) == 0:
                gpu["capability"] = "%d.%d" % (major.value, minor.value)
            memory = Memory()
            if nvml.nvmlDeviceGetMemoryInfo(handle, ctypes.byref(memory)) == 0:
                gpu["memory_mib"] = memory.total // (1024 * 1024)
            if nvml.nvmlDeviceGetUUID(handle, buffer, 96) == 0:
                gpu["uuid"] = buffer.value.decode()
            gpus.append(gpu)
        result["gpus"] = gpus
        result["gpus_source"] = "NVML"
        return True
    finally:
        nvml.nvmlShutdown()


def _nvidia_smi(result):
    code, out = _run_command([
        "nvidia-smi", "--query-gpu=index,name,compute_cap,memory.total,uuid,driver_version",
        "--format=csv,noheader,nounits",
    ])
    if code != 0:
        result["errors"].append("nvidia-smi: %s" % (out if code is None else "exit status %s" % code))
        return
    gpus = []
    for line in out.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 6:
            continue
        gpu = {"index": int(parts[0]), "name": parts[1], "uuid": parts[4]}
        if re.match(r"^\d+\.\d+$", parts[2]):
            gpu["capability"] = parts[2]
        if parts[3].isdigit():
            gpu["memory_mib"] = int(parts[3])
        gpus.append(gpu)
        result.setdefault("driver_version", parts[5])
        result.setdefault("driver_source", "nvidia-smi")
    result["gpus"] = gpus
    result["gpus_source"] = "nvidia-smi --query-gpu"


def nvidia_facts():
    proc = _system_path("/proc/driver/nvidia/version")
    if not (os.path.exists(proc) or os.path.exists(_system_path("/dev/nvidiactl"))):
        return None
    result = {"errors": []}
    text = _read(proc)
    match = re.search(r"Kernel Module(?: for \S+)?\s+([0-9]+(?:\.[0-9]+)+)", text or "")
    if match:
        result["driver_version"] = match.group(1)
        result["driver_source"] = proc
    import ctypes

    try:  # cuDriverGetVersion needs no cuInit and creates no context
        libcuda = ctypes.CDLL("libcuda.so.1")
        version = ctypes.c_int()
        if libcuda.cuDriverGetVersion(ctypes.byref(version)) == 0:
            result["cuda_driver_version"] = "%d.%d" % (version.value // 1000, (version.value % 1000) // 10)
            result["cuda_source"] = "libcuda cuDriverGetVersion"
    except (OSError, AttributeError) as exc:
        result["errors"].append("libcuda: %s" % exc)
    if not _nvml(result):
        _nvidia_smi(result)
    return result


# cuda.h defines CUDA_VERSION near its top (line 263, byte 14,324 of CUDA 13.0's 1.1 MB): the
# head is read first, and the rest only when the define is not in it.
HEADER_HEAD_BYTES = 1 << 16


def _header_define(path, name):
    """The match of `#define NAME <digits>` at a line's start in a C header, or None."""
    pattern = re.compile(r"^#define %s (\d+)" % re.escape(name), re.M)
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(HEADER_HEAD_BYTES)
            whole_lines = head[:head.rfind("\n") + 1]  # a line cut at the end could cut the number too
            match = pattern.search(whole_lines)
            if match is None:
                match = pattern.search(head + handle.read())
    except OSError:
        return None
    return match


def toolkit_facts():
    home = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH")
    source = "CUDA_HOME" if os.environ.get("CUDA_HOME") else "CUDA_PATH" if home else ""
    if not home and os.path.isdir("/usr/local/cuda"):
        home, source = "/usr/local/cuda", "/usr/local/cuda"
    if not home:
        return None
    text = _read(os.path.join(home, "version.json"))
    if text:
        match = re.search(r'"cuda"\s*:\s*\{[^}]*"version"\s*:\s*"([0-9.]+)"', text)
        if match:
            return {"home": home, "version": match.group(1), "source": "%s (%s/version.json)" % (source, home)}
    match = _header_define(os.path.join(home, "include", "cuda.h"), "CUDA_VERSION")
    if match:  # 13000 -> 13.0, without starting nvcc (~40 ms)
        value = int(match.group(1))
        return {"home": home, "version": "%d.%d" % (value // 1000, (value % 1000) // 10),
                "source": "%s (%s/include/cuda.h)" % (source, home)}
    nvcc = os.path.join(home, "bin", "nvcc")
    if os.path.exists(nvcc):
        code, out = _run_command([nvcc, "--version"])
        match = re.search(r"release ([0-9.]+)", out or "") if code == 0 else None
        if match:
            return {"home": home, "version": match.group(1), "source": "%s (nvcc --version)" % source}
    return {"home": home, "version": None, "source": source}


def rocm_facts():
    path = os.environ.get("ROCM_PATH") or ("/opt/rocm" if os.path.isdir("/opt/rocm") else None)
    nodes = _system_path("/sys/class/kfd/kfd/topology/nodes")
    gfx = []
    if os.path.isdir(nodes):
        for node in sorted(os.listdir(nodes), key=lambda n: int(n) if n.isdigit() else 0):
            text = _read(os.path.join(nodes, node, "properties")) or ""
            match = re.search(r"^gfx_target_version\s+(\d+)", text, re.M)
            if match and int(match.group(1)):  # 0: a CPU node
                value = int(match.group(1))
                gfx.append("gfx%d%x%x" % (value // 10000, (value // 100) % 100, value % 100))
    if not path and not gfx:
        return None
    result = {"path": path, "gfx_targets": gfx, "gfx_source": nodes if gfx else ""}
    if path:
        version = (_read(os.path.join(path, ".info", "version")) or "").strip()
        if version:
            result["version"] = version.split("-")[0]
            result["source"] = os.path.join(path, ".info", "version")
    return result


def apple_facts():
    if sys.platform != "darwin":
        return None
    import platform

    result = {"macos_version": platform.mac_ver()[0] or None, "machine": platform.machine(), "source": "platform.mac_ver"}
    try:
        import ctypes

        libc = ctypes.CDLL("/usr/lib/libSystem.B.dylib")
        value, size = ctypes.c_int(0), ctypes.c_size_t(ctypes.sizeof(ctypes.c_int))
        if libc.sysctlbyname(b"sysctl.proc_translated", ctypes.byref(value), ctypes.byref(size), None, 0) == 0:
            result["translated"] = bool(value.value)
            result["source"] += ", sysctl.proc_translated"
        else:  # the name exists only on Apple silicon: an Intel Mac runs natively
            result["translated"] = False
    except (OSError, AttributeError):
        pass
    return result


def library_facts():
    found = []
    folders = [f for f in os.environ.get("LD_LIBRARY_PATH", "").split(":") if f]
    for position, folder in enumerate(folders):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            match = CUDA_LIBRARY_PATTERN.match(name)
            if match and match.group(2):
                found.append({"path": os.path.join(folder, name), "library": match.group(1),
                              "version": match.group(2), "via": "LD_LIBRARY_PATH", "position": position})
    for position, item in enumerate(re.split(r"[:\s]+", os.environ.get("LD_PRELOAD", ""))):
        match = CUDA_LIBRARY_PATTERN.match(os.path.basename(item)) if item else None
        if match:
            found.append({"path": item, "library": match.group(1), "version": match.group(2),
                          "via": "LD_PRELOAD", "position": position})
    return found


def package_files(modules, listed_packages):
    """The .py files of each listed package (a check compares them with what an engine imports)."""
    listed = {}
    for name in listed_packages:
        origin = (modules.get(name) or {}).get("origin")
        if not origin or not origin.endswith("__init__.py"):
            continue
        root = os.path.dirname(origin)
        files = []
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and folder.count(os.sep) - root.count(os.sep) < 3)
            relative = os.path.relpath(folder, root)
            for item in sorted(names):
                if item.endswith(".py"):
                    files.append(item if relative == "." else os.path.join(relative, item).replace(os.sep, "/"))
        listed[name] = files
    return listed


def stack_facts(modules, torch_module, listed_packages):
    """The `stack` section; `modules` are the probe's resolutions of top-level names."""
    started = time.perf_counter()
    result = {
        "torch": torch_build((modules.get(torch_module) or {}).get("origin")),
        "nvidia": nvidia_facts(),
        "cuda_toolkit": toolkit_facts(),
        "rocm": rocm_facts(),
        "apple": apple_facts(),
        "libraries": library_facts(),
        "package_files": package_files(modules, listed_packages),
    }
    result["seconds"] = round(time.perf_counter() - started, 4)
    return result
