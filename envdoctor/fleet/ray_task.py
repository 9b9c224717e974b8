"""The task Ray runs on each node: the facts probe, against the Python Ray's workers use there.

Standard library only, and shipped to the workers by value (ray_collector registers this module
with cloudpickle), so a node needs Ray and Python, not envdoctor.  The probe's own modules travel
as text: they are written to a fresh folder on the node, the probe runs from another empty
folder (its working directory is sys.path[0] in the target, and must not hold the probe's files),
and both folders are removed afterwards.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile


def probe_on_node(sources, argv, placeholder, python, timeout, defaults=None):
    """Run the probe `argv` (its interpreter replaced by `python` or this worker's own, and
    `placeholder` by the folder the `sources` are written to), with each of `defaults`
    (variable -> value) the node's own environment does not set; what it printed, and where."""
    folder = tempfile.mkdtemp(prefix="envdoctor-fleet-")
    try:
        code = os.path.join(folder, "probe")
        cwd = os.path.join(folder, "cwd")
        os.mkdir(code)
        os.mkdir(cwd)
        for name, text in sources.items():
            with open(os.path.join(code, name), "w", encoding="utf-8") as handle:
                handle.write(text)
        interpreter = python or sys.executable
        command = [interpreter] + [part.replace(placeholder, code) for part in argv[1:]]
        environment = dict(os.environ)
        for name, value in (defaults or {}).items():
            environment.setdefault(name, value)  # the node's own setting wins, as on one machine
        try:
            done = subprocess.run(command, cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, timeout=timeout)
            returncode, stdout, stderr = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired as expired:
            returncode, stdout, stderr = None, expired.stdout or b"", expired.stderr or b""
        except OSError as exc:
            returncode, stdout, stderr = None, b"", str(exc).encode()
        return {"hostname": socket.gethostname(), "python": interpreter, "cwd": cwd, "returncode": returncode,
                "stdout": stdout.decode("utf-8", "surrogateescape"), "stderr": stderr.decode("utf-8", "replace")}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def free_port():
    """A TCP port free on this node now: where rank 0 of --deep's all-reduce listens."""
    with socket.socket() as sock:
        sock.bind(("", 0))
        return sock.getsockname()[1]
