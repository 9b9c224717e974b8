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
# environment (its bytecode goes to the host's cache folder, bytecode.py; Triton's kernel cache
# to a temporary folder the host chose).
# Standard library only besides the modules under test; which modules are torch and triton
# comes from the host's options.
import importlib
import json
import os
import re
import sys
import time

from .bytecode import write_bytecode_outside
from .emit import describe_error as _error, write_framed
from .finders import describe_finder
from .triton_kernel_probe import triton_runtime

MAPPED_LIBRARY = re.compile(
    r"/lib(cudart|nccl|cudnn|cublas|cublasLt|cuda|nvrtc|nvJitLink|amdhip64|rccl|MIOpen)(?:[-_.][^/]*)?\.so[^/]*$"
)



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


def import_one(module, torch_module, triton_module, triton_kernel=True):
    """What importing `module` in this process showed (modules imported before it stay imported).
    triton_kernel False: the host runs the Triton kernel in a process of its own, alongside."""
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
        result["triton"] = (triton_runtime(imported, torch_module) if triton_kernel
                            else {"version": getattr(imported, "__version__", None)})
    return result


def main(argv):
    nonce, modules = argv[1], json.loads(argv[2])
    options = json.loads(argv[3]) if len(argv) > 3 else {}
    write_bytecode_outside(options.get("bytecode_prefix"))
    for index, module in enumerate(modules):
        result = import_one(module, options.get("torch_module"), options.get("triton_module"),
                            not options.get("triton_kernel_elsewhere"))
        sys.stdout.flush()  # what the import printed comes before the answer's frame
        write_framed("%s-%d" % (nonce, index), json.dumps(result))
    # Leave without interpreter teardown: CUDA's and NCCL's exit handlers have hung here before.
    os._exit(0)
