# The --deep JIT build: `python -B -c BOOTSTRAP NONCE OPTIONS` compiles a one-line CUDA kernel
# with the toolkit's nvcc, for the architectures torch.utils.cpp_extension would build for
# (its own _get_cuda_arch_flags: TORCH_CUDA_ARCH_LIST as torch reads it, else the visible
# GPUs), with $CC as -ccbin as torch passes it, into the host's temporary folder (which the
# host removes); then loads the image into torch's CUDA context through the driver API
# (cuModuleLoadData: "no kernel image is available" when no code in it fits the GPU),
# launches it on a torch tensor and checks the result.
#
# Why not load_inline itself: it compiles torch's C++ headers twice (host and device), 30-60 s
# on a large machine, which would make `check --deep` an order of magnitude slower than
# importing torch.  nvcc, the host compiler it runs, the arch flags and the launch are the
# same ones a run-time build uses; ninja is judged statically (JIT005).
#
# Runs inside the target interpreter with the target's torch (a deep probe: it imports what it
# tests).  Standard library otherwise, 3.8 syntax.  OPTIONS (JSON): build_dir, nvcc, timeout.
import json
import os
import subprocess
import time

from .bytecode import write_bytecode_outside
from .emit import write_framed

KERNEL = (
    'extern "C" __global__ void envdoctor_add_one(float* x, int n) {\n'
    "    int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
    "    if (i < n) x[i] += 1.0f;\n"
    "}\n"
)
THREADS = 32


def _last_lines(text, count=6):
    return "\n".join([line for line in text.strip().splitlines() if line.strip()][-count:])


def compile_kernel(nvcc, build_dir, timeout):
    """(fatbin bytes, None) or (None, (outcome, error))."""
    from torch.utils import cpp_extension

    try:
        flags = cpp_extension._get_cuda_arch_flags()
    except Exception as exc:  # "Unknown CUDA arch (...)", as a load_inline would raise it
        return None, ("build-failed", "%s: %s" % (type(exc).__name__, exc))
    source = os.path.join(build_dir, "add_one.cu")
    image = os.path.join(build_dir, "add_one.fatbin")
    with open(source, "w") as handle:
        handle.write(KERNEL)
    ccbin = ["-ccbin", os.environ["CC"]] if os.environ.get("CC") else []
    argv = [nvcc, "--fatbin"] + ccbin + list(flags) + ["-o", image, source]
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=timeout, cwd=build_dir)
    except subprocess.TimeoutExpired:
        return None, ("timeout", "nvcc gave no answer within %gs" % timeout)
    except OSError as exc:
        return None, ("build-failed", "%s: %s" % (nvcc, exc.strerror or exc))
    if done.returncode != 0:
        return None, ("build-failed", "%s (exit status %d):\n%s" % (" ".join(argv[:2] + list(flags)), done.returncode,
                                                                    _last_lines(done.stdout)))
    with open(image, "rb") as handle:
        return handle.read(), None


def _cuda_error(libcuda, code):
    import ctypes

    text = ctypes.c_char_p()
    libcuda.cuGetErrorString(code, ctypes.byref(text))
    return "CUDA error %d: %s" % (code, (text.value or b"?").decode(errors="replace"))


def launch(image):
    """(outcome, error) of loading the image into torch's context and running it on a tensor."""
    import ctypes

    import torch

    values = torch.zeros(THREADS, device="cuda")
    torch.cuda.synchronize()  # torch's primary context is now current on this thread
    libcuda = ctypes.CDLL("libcuda.so.1")
    module, function = ctypes.c_void_p(), ctypes.c_void_p()
    code = libcuda.cuModuleLoadData(ctypes.byref(module), ctypes.c_char_p(image))
    if code == 0:
        code = libcuda.cuModuleGetFunction(ctypes.byref(function), module, b"envdoctor_add_one")
    if code != 0:
        return "launch-failed", _cuda_error(libcuda, code)
    pointer, count = ctypes.c_void_p(values.data_ptr()), ctypes.c_int(THREADS)
    arguments = (ctypes.c_void_p * 2)(ctypes.cast(ctypes.byref(pointer), ctypes.c_void_p),
                                      ctypes.cast(ctypes.byref(count), ctypes.c_void_p))
    code = libcuda.cuLaunchKernel(function, 1, 1, 1, THREADS, 1, 1, 0, None, arguments, None)
    if code == 0:
        code = libcuda.cuCtxSynchronize()
    if code != 0:
        return "launch-failed", _cuda_error(libcuda, code)
    got = values.cpu().tolist()
    if got != [1.0] * THREADS:
        return "wrong-result", "expected %d ones, got %r" % (THREADS, got[:4])
    return "ok", None


def main(argv):
    nonce, options = argv[1], json.loads(argv[2])
    write_bytecode_outside(options.get("bytecode_prefix"))
    started = time.perf_counter()
    image, failed = compile_kernel(options["nvcc"], options["build_dir"], options["timeout"])
    try:
        outcome, error = failed if failed else launch(image)
    except Exception as exc:  # torch without CUDA, a driver that refuses: the answer, not a crash
        outcome, error = "launch-failed", "%s: %s" % (type(exc).__name__, _last_lines(str(exc)))
    write_framed(nonce, json.dumps({
        "outcome": outcome, "error": error, "seconds": round(time.perf_counter() - started, 3),
        "arch_list": os.environ.get("TORCH_CUDA_ARCH_LIST"),
    }))
