"""envdoctor check against the tools a user would run instead, on faithful environments, in one run.

    pip install -e '.[bench]'
    python bench/peer_speed.py [--runs 5] [--workdir ~/.cache/envdoctor-bench] [--sizes 1000,5000]

Environments (built once in --workdir):
  torch      bench/check_speed.py's torch 2.13.0 CPU venv
  real       a venv of every cp311/pure wheel in the test wheel cache (newest version of each
             project, installed by uv with --no-deps): hundreds of real distributions
  faithful N N generated distributions installed as an installer leaves them: METADATA, WHEEL,
             INSTALLER, a RECORD with sha256 hashes and sizes, a module and its bytecode; each
             requires up to three distributions generated before it, so the graph is acyclic
             (pipdeptree --warn fail then times its real work, not an abort on a cycle)
Commands, taking turns run by run (ratios only: the machine is shared):
  envdoctor check --format json, cold (XDG_CACHE_HOME empty) and warm (second run, same cache),
  with --before DIR also an earlier commit's tree (both through the launch code, like for like);
  pip check of the target's own pip; of the current pip (--pip-current, a venv with pip 26.3);
  of pip 23.2.1 (--pip23, a venv with pip==23.2.1), both through `pip --python TARGET`; uv pip check; pipdeptree --warn fail; and two bare
  interpreter starts (this Python starting the target's), the floor of any two-process design.
A least-squares fit of envdoctor's times over the environments: seconds = a + b per 1,000
distributions + c per 100,000 RECORD files.  Nothing asserts: figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.check_speed import LAUNCH, compile_envdoctor, ensure_torch_venv, fresh_venv, tool  # noqa: E402
from tests.helpers.venvs import make_venv  # noqa: E402

WHEELS = Path.home() / ".cache" / "envdoctor-tests" / "wheels"
# Too large to be worth copying into a bench venv, or a second build of what torch-venv has.
SKIPPED_PROJECTS = ("torch", "nvidia", "triton", "vllm", "jax", "tensorflow", "flash", "xformers", "sglang")


def record_line(site: Path, path: Path) -> str:
    data = path.read_bytes()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path.relative_to(site).as_posix()},sha256={digest},{len(data)}"


def faithful_dist(site: Path, python_tag: str, index: int) -> None:
    """gen-pkg-NNNNN as pip installs a pure wheel: module, bytecode, METADATA, WHEEL, INSTALLER, RECORD."""
    name = f"gen_pkg_{index:05d}"
    version = f"1.{index % 7}.0"
    module = site / f"{name}.py"
    module.write_text(f'"""generated distribution {index}."""\nVALUE = {index}\n')
    cache = site / "__pycache__"
    cache.mkdir(exist_ok=True)
    pyc = cache / f"{name}.{python_tag}.pyc"
    import py_compile

    py_compile.compile(str(module), cfile=str(pyc), doraise=True)
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    requires = [f"Requires-Dist: gen-pkg-{(index * 7 + k) % index:05d}>=1.0" for k in range(1, 4) if index > k]
    if index % 5 == 0:
        requires.append('Requires-Dist: colorama; python_version >= "3.8"')
    (info / "METADATA").write_text("\n".join(
        ["Metadata-Version: 2.1", f"Name: gen-pkg-{index:05d}", f"Version: {version}", "Requires-Python: >=3.8",
         *requires]) + "\n\n")
    (info / "WHEEL").write_text("Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n\n")
    (info / "INSTALLER").write_text("pip\n")
    lines = [record_line(site, path) for path in (module, pyc, info / "METADATA", info / "WHEEL", info / "INSTALLER")]
    (info / "RECORD").write_text("\n".join([*lines, f"{info.name}/RECORD,,"]) + "\n")


def ensure_faithful_venv(workdir: Path, count: int) -> Path:
    root = workdir / f"faithful{count}-venv"
    python = root / "bin" / "python"
    if (root / ".complete").exists():
        return python
    venv = fresh_venv(root, "colorama")
    tag = subprocess.run([str(python), "-c", "import sys; print(sys.implementation.cache_tag)"], capture_output=True,
                         text=True, check=True).stdout.strip()
    for index in range(count):
        faithful_dist(venv.site_packages, tag, index)
    (root / ".complete").write_text("")
    return python


def _wheel_project(filename: str) -> str:
    return filename.split("-", 1)[0].lower().replace("_", "-")


def _installable(filename: str) -> bool:
    tags = filename[:-4].split("-")[-3:]
    python_ok = tags[0] in ("py3", "py2.py3", "cp311") or tags[1] == "abi3"
    platform_ok = tags[2] == "any" or ("linux" in tags[2] and "x86_64" in tags[2])
    return python_ok and platform_ok and not _wheel_project(filename).startswith(SKIPPED_PROJECTS)


def ensure_real_venv(workdir: Path) -> Path:
    """Every installable wheel of the test cache, newest version of each project, without resolving."""
    root = workdir / "real-venv"
    python = root / "bin" / "python"
    if (root / ".complete").exists():
        return python
    shutil.rmtree(root, ignore_errors=True)
    make_venv(root)
    newest = {}
    for wheel in sorted(WHEELS.glob("*.whl"), key=lambda path: _version_key(path.name)):
        if _installable(wheel.name):
            newest[_wheel_project(wheel.name)] = wheel
    subprocess.run([tool("uv"), "pip", "install", "-q", "--no-deps", "--no-index", "--python", str(python),
                    *map(str, newest.values())], check=True)
    subprocess.run([tool("uv"), "pip", "install", "-q", "--no-deps", "--no-index", "--python", str(python),
                    *map(str, WHEELS.glob("pip-26*.whl"))], check=True)
    (root / ".complete").write_text("")
    return python


def _version_key(filename: str):
    parts = filename.split("-")
    return parts[0].lower(), [int(piece) if piece.isdigit() else -1 for piece in re.split(r"[.+]", parts[1])]


def sizes(python: Path) -> tuple:
    """(distributions, RECORD lines) of the target."""
    program = ("import importlib.metadata as m; d = list(m.distributions()); "
               "print(len(d), sum(len((x.read_text('RECORD') or '').splitlines()) for x in d))")
    out = subprocess.run([str(python), "-c", program], capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), int(out[1])


def pip_version(python: Path) -> str:
    return subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True, text=True).stdout.split()[1:2][0]


def rows_for(python: Path, pip23: Path, pip_current: Path, before: Optional[Path], cold: bool = True):
    check_args = ["check", "--python", str(python), "--format", "json"]
    check = [tool("envdoctor"), *check_args]
    target_pip = pip_version(python)
    rows = [("envdoctor cold", check, "cold")] if cold else []
    rows.append(("envdoctor warm", check, "warm"))
    if before is not None:  # the same launch code path for both trees, like for like
        rows = [(f"envdoctor {cache} [{label}]", [sys.executable, "-c", LAUNCH % str(tree), *check_args], cache)
                for label, tree in (("now", ROOT), ("before", before)) for cache in ("cold", "warm")]
    rows += [
        (f"pip check (target's pip {target_pip})", [str(python), "-m", "pip", "check"], None),
    ]
    if pip_current.exists():
        rows.append((f"pip check (current pip {pip_version(pip_current)})",
                     [str(pip_current), "-m", "pip", "--python", str(python), "check"], None))
    if pip23.exists():
        rows.append(("pip check (pip 23.2.1)", [str(pip23), "-m", "pip", "--python", str(python), "check"], None))
    if tool("uv"):
        rows.append(("uv pip check", [tool("uv"), "pip", "check", "--python", str(python)], None))
    if tool("pipdeptree"):
        rows.append(("pipdeptree --warn fail", [tool("pipdeptree"), "--python", str(python), "--warn", "fail"], None))
    rows.append(("2 interpreter starts",
                 [sys.executable, "-c", f"import subprocess; subprocess.run([{str(python)!r}, '-c', 'pass'])"], None))
    return rows


def interleaved(rows, runs: int, scratch: Path) -> dict:
    """Median seconds per row, the rows taking turns; `cold` rows get an empty cache folder each run.

    The cache folders are made beside `scratch`, the working directory, never in it: the target's
    sys.path starts with it, so a folder made and removed there each run would change what every
    command reads (envdoctor's stored report is proven by that folder's stamp, among others)."""
    caches = scratch.parent / "caches"
    caches.mkdir(exist_ok=True)
    warm_cache = Path(tempfile.mkdtemp(prefix="warm-", dir=caches))
    samples = {name: [] for name, _, _ in rows}
    outcomes = {}
    for run in range(runs + 1):  # run 0 fills the warm cache and is not counted
        for name, command, cache in rows:
            cold = Path(tempfile.mkdtemp(prefix="cold-", dir=caches)) if cache == "cold" else None
            env = {**os.environ, "NO_COLOR": "1"}
            if cache is not None:
                env["XDG_CACHE_HOME"] = str(cold or warm_cache)
            start = time.perf_counter()
            completed = subprocess.run(command, cwd=scratch, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            elapsed = time.perf_counter() - start
            outcomes[name] = completed.returncode
            if cold is not None:
                shutil.rmtree(cold, ignore_errors=True)
            if run:
                samples[name].append(elapsed)
    shutil.rmtree(warm_cache, ignore_errors=True)
    return {name: (statistics.median(values), outcomes[name]) for name, values in samples.items()}


def fit(points) -> tuple:
    """Least squares t = a + b*dists + c*files over [(dists, files, t)] (normal equations, 3x3)."""
    xs = [(1.0, d, f) for d, f, _ in points]
    ts = [t for _, _, t in points]
    m = [[sum(x[i] * x[j] for x in xs) for j in range(3)] for i in range(3)]
    v = [sum(x[i] * t for x, t in zip(xs, ts)) for i in range(3)]
    for col in range(3):  # Gauss-Jordan with partial pivoting
        pivot = max(range(col, 3), key=lambda row: abs(m[row][col]))
        m[col], m[pivot], v[col], v[pivot] = m[pivot], m[col], v[pivot], v[col]
        for row in range(3):
            if row != col and m[col][col]:
                factor = m[row][col] / m[col][col]
                m[row] = [a - factor * b for a, b in zip(m[row], m[col])]
                v[row] -= factor * v[col]
    return tuple(v[i] / m[i][i] if m[i][i] else 0.0 for i in range(3))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path.home() / ".cache" / "envdoctor-bench")
    parser.add_argument("--sizes", default="1000,5000", help="generated distributions of the faithful venvs")
    parser.add_argument("--pip23", type=Path, default=None, help="python of a venv with pip==23.2.1 [WORKDIR/pip23-venv]")
    parser.add_argument("--pip-current", type=Path, default=None,
                        help="python of a venv with the current pip (26.3 in the wheel cache) [WORKDIR/pip26-venv]")
    parser.add_argument("--before", type=Path, default=None,
                        help="source tree of an earlier commit (git archive COMMIT | tar -x -C DIR), timed in the same run")
    parser.add_argument("--no-cold", action="store_true", help="time envdoctor warm only (a cold run of a large venv takes minutes)")
    parser.add_argument("--only", default="", help="comma-separated subset: torch,real,faithful")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    compile_envdoctor()
    scratch = args.workdir / "cwd"
    scratch.mkdir(exist_ok=True)
    pip23 = args.pip23 or args.workdir / "pip23-venv" / "bin" / "python"
    pip_current = args.pip_current or args.workdir / "pip26-venv" / "bin" / "python"
    only = set(filter(None, args.only.split(",")))
    envs = []
    if not only or "torch" in only:
        envs.append(("torch 2.13 venv", ensure_torch_venv(args.workdir)))
    if not only or "real" in only:
        envs.append(("real venv (test wheel cache)", ensure_real_venv(args.workdir)))
    if not only or "faithful" in only:
        envs += [(f"faithful, {count} generated", ensure_faithful_venv(args.workdir, int(count)))
                 for count in args.sizes.split(",")]
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}; medians of {args.runs} interleaved runs, wall time;"
          " ratios to uv pip check and to pip check of the target's pip")
    points = []
    for title, python in envs:
        dists, files = sizes(python)
        results = interleaved(rows_for(python, pip23, pip_current, args.before, not args.no_cold), args.runs, scratch)
        print(f"\n## {title}: {dists:,} distributions, {files:,} RECORD files\n")
        print("| command | median s | exit | / uv | / target's pip |\n|---|---:|---:|---:|---:|")
        uv = results.get("uv pip check", (float("nan"), 0))[0]
        target_pip = next(value for name, (value, _) in results.items() if name.startswith("pip check (target"))
        for name, (seconds, code) in results.items():
            print(f"| {name} | {seconds:.3f} | {code} | {seconds / uv:.2f} | {seconds / target_pip:.2f} |")
        suffix = " [now]" if args.before else ""
        cold_time = results[f"envdoctor cold{suffix}"][0] if f"envdoctor cold{suffix}" in results else float("nan")
        points.append((dists, files, cold_time, results[f"envdoctor warm{suffix}"][0]))
    if len(points) >= 3:
        print("\n## growth (least squares over the environments above)\n")
        for label, column in (("cold", 2), ("warm", 3)):
            a, b, c = fit([(point[0], point[1], point[column]) for point in points])
            print(f"- {label}: {a:.3f} s + {b * 1000:.3f} s per 1,000 distributions + {c * 100000:.3f} s per 100,000 RECORD files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
