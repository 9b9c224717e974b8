"""Real virtual environments for end-to-end tests.

Venvs are made with the interpreter's own `venv` module, without pip (fast),
and filled by the test runner's pip through `pip --python TARGET`, from a
session-wide wheel cache in ~/.cache/envdoctor-tests/wheels: each
requirement is downloaded from the index once, every later install is
offline (`--no-index --find-links`).
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Optional, Tuple

WHEEL_CACHE = Path(os.environ.get("ENVDOCTOR_TEST_WHEELS", Path.home() / ".cache" / "envdoctor-tests" / "wheels"))


def pyenv_python(minor: str) -> Optional[str]:
    """A pyenv-installed interpreter for `3.12`-style versions, or None."""
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    for root in filter(None, roots):
        found = sorted(glob.glob(os.path.join(root, "versions", f"{minor}.*", "bin", "python")))
        if found:
            return found[-1]
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == minor:
        return sys.executable
    return None


def pip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"pip {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def cached_wheels(requirements: Iterable[str]) -> Path:
    """Make sure wheels for `requirements` are in the cache; offline when they already are."""
    reqs = list(requirements)
    WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
    common = ["download", "--only-binary", ":all:", "-d", str(WHEEL_CACHE), "--find-links", str(WHEEL_CACHE), *reqs]
    if pip(*common[:1], "--no-index", *common[1:], check=False).returncode != 0:
        pip(*common)
    return WHEEL_CACHE


@dataclass
class Venv:
    root: Path
    python: Path

    @functools.cached_property
    def site_packages(self) -> Path:
        # Not with -S: before site runs, sys.prefix is still the base interpreter's.
        out = subprocess.run(
            [str(self.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True,
        )
        path = Path(out.stdout.strip())
        if not path.is_relative_to(self.root):
            raise RuntimeError(f"{path} is not inside the test venv {self.root}; refusing to touch it")
        return path

    def install(self, *requirements: str, no_deps: bool = False, extra: Iterable[str] = ()) -> None:
        """Install from the index through the wheel cache."""
        cached_wheels(requirements)
        args = ["--python", str(self.python), "install", "--no-index", "--find-links", str(WHEEL_CACHE), *extra]
        if no_deps:
            args.append("--no-deps")
        pip(*args, *requirements)

    def install_files(self, *paths: Path, extra: Iterable[str] = ()) -> None:
        """Install local wheels or project folders (their build deps must be installed already)."""
        pip("--python", str(self.python), "install", "--no-index", "--find-links", str(WHEEL_CACHE), *extra, *map(str, paths))

    def run(self, code: str, cwd: Optional[Path] = None, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.python), "-c", code], capture_output=True, text=True, cwd=cwd, env=env)


def make_venv(root: Path, python: Optional[str] = None) -> Venv:
    base = python or sys.executable
    subprocess.run([base, "-m", "venv", "--without-pip", str(root)], check=True, capture_output=True)
    venv = Venv(root=root, python=root / "bin" / "python")
    venv.site_packages  # resolved now, while the interpreter still starts
    return venv


def tree_state(root: Path) -> Dict[str, Tuple[int, str]]:
    """Every file under root with its size and content hash (symlinks by their target)."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                state[rel] = (0, "link:" + os.readlink(path))
                continue
            with open(path, "rb") as handle:
                state[rel] = (os.path.getsize(path), hashlib.sha256(handle.read()).hexdigest())
        state.update({os.path.relpath(os.path.join(dirpath, d), root) + "/": (0, "dir") for d in dirnames})
    return state
