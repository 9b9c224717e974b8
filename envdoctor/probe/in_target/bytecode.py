# Bytecode for the deep probes' imports, kept in the host's cache folder, never beside the sources.
#
# The deep probes run under -B: they must write nothing into the environment they test.  But
# an environment without its own bytecode then compiles every module from source on every
# import.  Container images are built that way (PYTHONDONTWRITEBYTECODE=1; the H200 image has
# no .pyc for torch or sympy), and there a `--deep` import of the stack spent a third of its
# time compiling: 13.5-14.2 s against 8.9-10.2 s with bytecode kept elsewhere.
#
# The host sets PYTHONPYCACHEPREFIX to a folder of its cache (probe/bytecode_cache.py).  Python
# then reads and writes bytecode there, under each source's absolute path, instead of in
# __pycache__; it validates each file against its source's mtime and size as it does in
# __pycache__, so an edited module is compiled again.  Writing is turned back on only when
# that prefix is the one in effect (3.8 and newer have it) and lies outside every folder the
# interpreter imports from or was installed in.
import os
import sys


def _within(path, folder):
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def write_bytecode_outside(prefix):
    """Let this process write bytecode, under `prefix` only; False where that is not safe."""
    if not prefix or getattr(sys, "pycache_prefix", None) != prefix:
        return False
    real = os.path.realpath(prefix)
    # '' (the working directory `-c` puts first) is where the user stands, not the environment;
    # a folder named on sys.path (an editable project's root) is the environment's, wherever it is.
    folders = [sys.prefix, sys.exec_prefix, getattr(sys, "base_prefix", sys.prefix)]
    folders += [entry for entry in sys.path if entry]
    for folder in folders:
        if _within(real, os.path.realpath(folder)):
            return False
    sys.dont_write_bytecode = False
    return True
