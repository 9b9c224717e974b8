# The --deep probe: import the stack's modules, one after the other, and report what only
# an import can tell.
#
# Runs inside the target interpreter (see __init__.py),
#     python -B -c BOOTSTRAP NONCE MODULES OPTIONS   (probe/command.py; MODULES a JSON list)
# torch first, so that it is imported once and every later module's import costs only what
# it adds.  Each module's answer is written as soon as it is known, framed with the nonce
# "NONCE-<its index in MODULES>": the host gives each module its own --timeout from the
# previous answer (probe/deep_probes.py), and when a module hangs or crashes the process it
# ends that one answer only; the modules after it go on in a fresh process.  An exception
# raised by an import is caught here and is that module's answer.  Unlike the facts probe it
# DOES import the modules (that is the point of --deep); it still writes nothing into the
# environment (no bytecode; Triton's kernel cache goes to a temporary folder the host chose).
# Standard library only besides the modules under test; which modules are torch and triton
# comes from the host's options.
import importlib
import json
import linecache
import os
import re
import sys
import time

from .emit import write_framed
from .finders import describe_finder

MAPPED_LIBRARY = re.compile(
    r"/lib(cudart|nccl|cudnn|cublas|cublasLt|cuda|nvrtc|nvJitLink|amdhip64|rccl|MIOpen)(?:[-_.][^/]*)?\.so[^/]*$"
)
# Compiled under a file name that linecache serves, because @triton.jit reads
# its function's source and `python -c` has no file.
TRITON_KERNEL_FILE = "/envdoctor-deep-probe/triton_add_one.py"
TRITON_KERNEL = '''
import triton
import triton.language as tl


@triton.jit
def add_one(pointer, count, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < count
    tl.store(pointer + offsets, tl.load(pointer + offsets, mask=mask) + 1, mask=mask)
'''


def _error(exc):
    text = str(exc).strip().splitlines()
    return "%s: %s" % (type(exc).__name__, text[0][:500]) if text else type(exc).__name__


def _attempt(result, key, action):
    """Store action()'s value under key; the first failure becomes result['error']."""
    try:
        result[key] = action()
    except Exception as exc:
        result.setdefault("error", "%s: %s" % (key, _error(exc)))


def mapped_libraries():
    found = []
    try:
        with open("/proc/self/maps") as handle:
            for line in handle:
                fields = line.split(None, 5)  # address perms offset dev inode [path]
                path = fields[5].strip() if len(fields) == 6 else ""
                if MAPPED_LIBRARY.search(path) and path not in found:
                    found.append(path)
    except OSError:
        pass
    return found


def launch_one_element(torch, device):
    """'ok', or what went wrong running `ones(1) + 1` on the device (.item() waits for the kernel)."""
    try:
        value = (torch.ones(1, device=device) + 1).item()
    except Exception as exc:
        return _error(exc)
    return "ok" if value == 2.0 else "wrong result: %r" % value


def torch_runtime(torch):
    result = {"version": torch.__version__, "cuda": torch.version.cuda, "hip": getattr(torch.version, "hip", None)}
    _attempt(result, "cuda_available", lambda: bool(torch.cuda.is_available()))
    _attempt(result, "arch_list", lambda: list(torch.cuda.get_arch_list()))
    if result.get("cuda_available"):
        _attempt(result, "device_count", torch.cuda.device_count)

        def describe(index):
            props = torch.cuda.get_device_properties(index)
            gfx = getattr(props, "gcnArchName", "") or ""
            return {"index": index, "name": props.name, "memory_mib": props.total_memory // (1024 * 1024),
                    "capability": gfx.split(":")[0] if result.get("hip") and gfx else "%d.%d" % (props.major, props.minor)}

        _attempt(result, "devices", lambda: [describe(index) for index in range(result.get("device_count") or 0)])
        result["kernel"] = launch_one_element(torch, "cuda")
        _attempt(result, "nccl_version", lambda: ".".join(str(p) for p in torch.cuda.nccl.version()))
        _attempt(result, "cudnn_version", torch.backends.cudnn.version)
    mps = getattr(torch.backends, "mps", None)
    if mps is not None:
        _attempt(result, "mps_built", lambda: bool(mps.is_built()))
        _attempt(result, "mps_available", lambda: bool(mps.is_available()))
        if result.get("mps_available") and not result.get("cuda_available"):
            result["kernel"] = launch_one_element(torch, "mps")
    result["libraries"] = mapped_libraries()
    return result


def triton_runtime(triton, torch_module):
    result = {"version": getattr(triton, "__version__", None)}
    try:
        torch = importlib.import_module(torch_module)
    except Exception as exc:
        result["kernel"] = "skipped: torch does not import (%s)" % _error(exc)
        return result
    if not torch.cuda.is_available():
        result["kernel"] = "skipped: no GPU visible to torch"
        return result
    try:
        lines = TRITON_KERNEL.splitlines(True)
        linecache.cache[TRITON_KERNEL_FILE] = (len(TRITON_KERNEL), None, lines, TRITON_KERNEL_FILE)
        namespace = {"__name__": "envdoctor_triton_probe"}
        exec(compile(TRITON_KERNEL, TRITON_KERNEL_FILE, "exec"), namespace)
        values = torch.zeros(16, device="cuda")
        namespace["add_one"][(1,)](values, 16, BLOCK=16)
        torch.cuda.synchronize()
        total = float(values.sum().item())
        result["kernel"] = "ok" if total == 16.0 else "wrong result: sum %r, expected 16" % total
        try:
            target = triton.runtime.driver.active.get_current_target()
            result["backend"] = "%s %s" % (target.backend, target.arch)
        except Exception:
            pass
    except Exception as exc:
        result["kernel"] = _error(exc)
    return result


def import_one(module, torch_module, triton_module):
    """What importing `module` in this process showed (modules imported before it stay imported)."""
    before = list(sys.meta_path)
    started = time.perf_counter()
    result = {"module": module}
    try:
        imported = importlib.import_module(module)
        result.update(ok=True, outcome="ok")
    except BaseException as exc:  # SystemExit and KeyboardInterrupt raised by an import are findings too
        imported = None
        result.update(ok=False, outcome="error", error=_error(exc))
    result["seconds"] = round(time.perf_counter() - started, 3)
    result["meta_path_added"] = [describe_finder(f) for f in sys.meta_path if not any(f is b for b in before)]
    if imported is not None and module == torch_module:
        result["torch"] = torch_runtime(imported)
    if imported is not None and module == triton_module:
        result["triton"] = triton_runtime(imported, torch_module)
    return result


def main(argv):
    nonce, modules = argv[1], json.loads(argv[2])
    options = json.loads(argv[3]) if len(argv) > 3 else {}
    for index, module in enumerate(modules):
        result = import_one(module, options.get("torch_module"), options.get("triton_module"))
        sys.stdout.flush()  # what the import printed comes before the answer's frame
        write_framed("%s-%d" % (nonce, index), json.dumps(result))
    # Leave without interpreter teardown: CUDA's and NCCL's exit handlers have hung here before.
    os._exit(0)
