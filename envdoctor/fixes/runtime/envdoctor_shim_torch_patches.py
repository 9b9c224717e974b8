"""envdoctor shim: version-guarded fixes for known torch bugs, applied when the affected module is imported.

Installed by `envdoctor fix` for a knowledge-base finding that names it (KB001);
removed by `envdoctor undo`.  Nothing here imports torch: each patch waits
(envdoctor_post_import) for the module it fixes, then applies only where the
running torch is older than the release that fixed the bug upstream.

A patch is a few lines of data and one function:

    TorchPatch(name, module, fixed_in, reference, apply)

`apply(module)` receives the freshly imported module and returns True when it
changed something.  Add one by appending to PATCHES.
"""

import sys
from collections import namedtuple

import envdoctor_post_import

__envdoctor_shim__ = "torch-patches 1"

TorchPatch = namedtuple("TorchPatch", "name module fixed_in reference apply")
APPLIED = []  # names of the patches applied in this process (for tests and bug reports)


def torch_release():
    """(2, 11, 0) from the imported torch's __version__ ("2.11.0+cu130"); None if unknown."""
    version = getattr(sys.modules.get("torch"), "__version__", None)
    parts = []
    for piece in str(version or "").split("+")[0].split("."):
        digits = ""
        for char in piece:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts) or None


def _picklable_items(mapping):
    import pickle

    kept = {}
    for key, value in mapping.items():
        try:
            pickle.dumps(value)
        except Exception:
            continue
        kept[key] = value
    return kept


def serialize_builtins(convert_frame):
    """torch < 2.12 leaves builtins (`type`, `len`, `__builtins_dict__...`) out of an AOT-compiled
    graph's runtime environment, so loading it fails with "Missing required external
    references" (pytorch/pytorch#177558; vLLM's forward fix: vllm-project/vllm#37234).
    Add each builtin the bytecode references, as torch 2.12 does."""
    owner = getattr(convert_frame, "GraphCaptureOutput", None)
    original = getattr(owner, "get_runtime_env", None)
    if original is None or getattr(original, "__envdoctor_patch__", False):
        return False
    import builtins

    def get_runtime_env(self):
        env = original(self)
        used = getattr(env, "used_globals", None)
        f_globals = getattr(self, "f_globals", None) or {}
        if isinstance(used, dict):
            for ref in getattr(env, "external_refs", None) or ():
                if ref in used:
                    continue
                if ref.startswith("__builtins_dict__") and ref in f_globals:
                    used[ref] = _picklable_items(f_globals[ref])
                elif hasattr(builtins, ref):
                    used[ref] = getattr(builtins, ref)
        return env

    get_runtime_env.__envdoctor_patch__ = True
    get_runtime_env.__wrapped__ = original
    get_runtime_env.__doc__ = original.__doc__
    owner.get_runtime_env = get_runtime_env
    return True


PATCHES = [
    TorchPatch("aot-builtins", "torch._dynamo.convert_frame", (2, 12),
               "vllm-project/vllm#37234, pytorch/pytorch#177558", serialize_builtins),
]


def _guarded(patch):
    def apply_if_needed(module):
        release = torch_release()
        if release is None or release[:len(patch.fixed_in)] >= patch.fixed_in:
            return  # fixed upstream in this torch (or not torch at all): leave it alone
        if patch.apply(module):
            APPLIED.append(patch.name)

    apply_if_needed.__name__ = "torch patch %s" % patch.name
    return apply_if_needed


def install():
    for patch in PATCHES:
        envdoctor_post_import.when_imported(patch.module, _guarded(patch))


install()
