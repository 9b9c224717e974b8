# The --deep Triton kernel: compile and launch a one-line kernel through the target's triton and
# torch.  deep_import.py runs it after importing triton; on NVIDIA GPUs the host runs it in a
# process of its own instead, `python -B -c BOOTSTRAP NONCE OPTIONS`, alongside the deep imports
# (probe/gpu_runtime_probes.py): compiling takes a second or two that the imports need not wait for.
#
# Runs inside the target interpreter (a deep probe: it imports what it tests).  Standard library
# otherwise, 3.8 syntax.  OPTIONS (JSON): torch_module, triton_module, bytecode_prefix.  Triton's
# kernel cache goes to the temporary folder the host gives as TRITON_CACHE_DIR.
import importlib
import json
import linecache
import os

from .bytecode import write_bytecode_outside
from .emit import describe_error as _error, write_framed

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


def main(argv):
    nonce, options = argv[1], json.loads(argv[2])
    write_bytecode_outside(options.get("bytecode_prefix"))
    try:
        triton = importlib.import_module(options["triton_module"])
    except BaseException as exc:  # the deep import of triton reports this itself
        result = {"kernel": "skipped: triton does not import (%s)" % _error(exc)}
    else:
        result = triton_runtime(triton, options["torch_module"])
    write_framed(nonce, json.dumps(result))
    # Leave without interpreter teardown, as the deep import does: CUDA's exit handlers have hung.
    os._exit(0)
