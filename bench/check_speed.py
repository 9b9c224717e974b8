"""Time `envdoctor check` against the tools a user would otherwise run, on the same venvs.

    pip install -e '.[bench]'
    python bench/check_speed.py [--runs 7] [--workdir ~/.cache/envdoctor-bench] [--scaling]

Two venvs, built once and reused from --workdir:
  torch  CPython 3.11, torch==2.13.0 (CPU) + numpy, requests, pyyaml, packaging, tqdm
  1000   1,000 generated distributions (METADATA with requirements, RECORD, a module each)
With --scaling, generated venvs of 250 to 2,000 distributions too, and the line through the times.

Each command runs --runs times, the commands taking turns; the median wall time
is reported with its ratio to `pip check`.  Nothing here asserts: the figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.venvs import make_venv, pyenv_python  # noqa: E402

TORCH_PACKAGES = ("torch==2.13.0", "numpy", "requests", "pyyaml", "packaging", "tqdm")

# The console script's own code, with the envdoctor package taken from a given tree (startup_speed
# and peer_speed --before: both trees started the same way, like for like).
LAUNCH = "import sys; sys.path.insert(0, %r); sys.argv[0] = 'envdoctor'; from envdoctor.launch import main; main()"


def tool(name: str) -> str:
    found = Path(sys.executable).parent / name
    return str(found) if found.exists() else (shutil.which(name) or "")


def ensure_torch_venv(workdir: Path) -> Path:
    root = workdir / "torch-venv"
    python = root / "bin" / "python"
    if python.exists() and subprocess.run([python, "-c", "import importlib.metadata as m; m.version('torch')"]).returncode == 0:
        return python
    shutil.rmtree(root, ignore_errors=True)
    base = pyenv_python("3.11") or sys.executable
    subprocess.run([base, "-m", "venv", str(root)], check=True)  # with pip: `pip check` runs in it
    subprocess.run([python, "-m", "pip", "install", "-q", *TORCH_PACKAGES], check=True)
    return python


def fresh_venv(root: Path, *packages: str):
    """A new venv at `root` (any half-built one removed) with pip and `packages` installed; its Venv."""
    shutil.rmtree(root, ignore_errors=True)
    venv = make_venv(root)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(root / "bin" / "python"), "install", "-q", "pip",
                    *packages], check=True)
    return venv


def ensure_generated_venv(workdir: Path, count: int = 1000) -> Path:
    root = workdir / f"gen{count}-venv"
    python = root / "bin" / "python"
    if (root / ".complete").exists():
        return python
    site = fresh_venv(root).site_packages
    for index in range(count):
        name = f"gen_pkg_{index:04d}"
        info = site / f"{name}-1.{index % 7}.0.dist-info"
        info.mkdir()
        requires = [f"Requires-Dist: gen-pkg-{(index * 7 + k) % count:04d}>=1.0" for k in range(1, 4)]
        requires.append(f'Requires-Dist: gen-pkg-{(index + 11) % count:04d}[extra]; python_version >= "3.8"')
        (info / "METADATA").write_text(
            "\n".join(["Metadata-Version: 2.1", f"Name: gen-pkg-{index:04d}", f"Version: 1.{index % 7}.0",
                       "Provides-Extra: extra", *requires, 'Requires-Dist: colorama; extra == "extra"']) + "\n\n"
        )
        (site / f"{name}.py").write_text(f"VALUE = {index}\n")
        (info / "INSTALLER").write_text("pip\n")
        (info / "RECORD").write_text(f"{name}.py,,\n{info.name}/METADATA,,\n{info.name}/INSTALLER,,\n{info.name}/RECORD,,\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "colorama"], check=True)
    (root / ".complete").write_text("")
    return python


def timed(rows, runs: int, cwd: Path) -> list:
    """[(name, median seconds)] for [(name, command)].  The commands take turns, run by run,
    so a slower minute on this shared machine slows all of them, not only the one it hit."""
    samples = {name: [] for name, _ in rows}
    for _ in range(runs):
        for name, command in rows:
            start = time.perf_counter()
            subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            samples[name].append(time.perf_counter() - start)
    return [(name, statistics.median(samples[name])) for name, _ in rows]


def commands(python: Path, with_collect_env: bool):
    envdoctor = tool("envdoctor")
    rows = [
        ("envdoctor check", [envdoctor, "check", "--python", str(python)]),
        ("envdoctor check --format json", [envdoctor, "check", "--python", str(python), "--format", "json"]),
        ("pip check", [str(python), "-m", "pip", "check"]),
    ]
    if tool("uv"):
        rows.append(("uv pip check", [tool("uv"), "pip", "check", "--python", str(python)]))
    if tool("pipdeptree"):
        rows.append(("pipdeptree --warn fail", [tool("pipdeptree"), "--python", str(python), "--warn", "fail"]))
    if with_collect_env:
        rows.append(("python -m torch.utils.collect_env", [str(python), "-m", "torch.utils.collect_env"]))
    return rows


def compile_envdoctor() -> None:
    """Bytecode for envdoctor's own modules, as `pip install envdoctor` leaves it.

    An editable install run with PYTHONDONTWRITEBYTECODE=1 would otherwise
    compile every module from source on every run (~100 ms), which no user pays.
    """
    import envdoctor

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(envdoctor.__file__).parent)], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path.home() / ".cache" / "envdoctor-bench")
    parser.add_argument("--scaling", action="store_true",
                        help="also time envdoctor and pip check on 250, 500, 1,000 and 2,000 generated distributions")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    compile_envdoctor()
    scratch = args.workdir / "cwd"
    scratch.mkdir(exist_ok=True)
    envs = [("torch 2.13.0 CPU venv", ensure_torch_venv(args.workdir), True),
            ("1,000 generated distributions", ensure_generated_venv(args.workdir), False)]
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; median of {args.runs} runs, wall time")
    for title, python, collect_env in envs:
        dists = subprocess.run([str(python), "-c", "import importlib.metadata as m; print(len(list(m.distributions())))"],
                               capture_output=True, text=True).stdout.strip()
        print(f"\n## {title} ({dists} distributions)\n")
        print("| command | median s | ratio to pip check |\n|---|---:|---:|")
        results = timed(commands(python, collect_env), args.runs, scratch)
        pip_time = dict(results)["pip check"]
        for name, seconds in results:
            print(f"| {name} | {seconds:.3f} | {seconds / pip_time:.2f}x |")
    if args.scaling:
        scaling(args.workdir, args.runs, scratch)
    return 0


SCALING_COUNTS = (250, 500, 1000, 2000)


def scaling(workdir: Path, runs: int, scratch: Path) -> None:
    """Time against the number of distributions, and the straight line through it.

    Linear growth shows as a line that fits (small residuals) and a per-distribution
    cost that does not grow with the count."""
    envdoctor = tool("envdoctor")
    rows = []
    for count in SCALING_COUNTS:
        python = ensure_generated_venv(workdir, count)
        (_, mine), (_, pip_time) = timed(
            [("envdoctor", [envdoctor, "check", "--python", str(python)]), ("pip", [str(python), "-m", "pip", "check"])],
            runs, scratch)
        rows.append((count, mine, pip_time))
    counts = [count for count, _, _ in rows]
    times = [mine for _, mine, _ in rows]
    mean_n, mean_t = statistics.fmean(counts), statistics.fmean(times)
    slope = sum((n - mean_n) * (t - mean_t) for n, t in zip(counts, times)) / sum((n - mean_n) ** 2 for n in counts)
    intercept = mean_t - slope * mean_n
    print("\n## envdoctor check against the number of generated distributions\n")
    print(f"Least-squares line: {intercept:.3f} s + {slope * 1000:.3f} s per 1,000 distributions.\n")
    print("| distributions | envdoctor check s | line s | pip check s | ratio to pip check |\n|---:|---:|---:|---:|---:|")
    for count, mine, pip_time in rows:
        print(f"| {count:,} | {mine:.3f} | {intercept + slope * count:.3f} | {pip_time:.3f} | {mine / pip_time:.2f}x |")


if __name__ == "__main__":
    sys.exit(main())
