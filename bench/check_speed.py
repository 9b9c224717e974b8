"""Time `envdoctor check` against the tools a user would otherwise run, on the same venvs.

    pip install -e '.[bench]'
    python bench/check_speed.py [--runs 7] [--workdir ~/.cache/envdoctor-bench]

Two venvs, built once and reused from --workdir:
  torch  CPython 3.11, torch==2.13.0 (CPU) + numpy, requests, pyyaml, packaging, tqdm
  1000   1,000 generated distributions (METADATA with requirements, RECORD, a module each)

Each command runs --runs times; the median wall time is reported with its
ratio to `pip check`.  Nothing here asserts: the figures go to docs/performance.md.
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


def ensure_generated_venv(workdir: Path, count: int = 1000) -> Path:
    root = workdir / f"gen{count}-venv"
    python = root / "bin" / "python"
    if (root / ".complete").exists():
        return python
    shutil.rmtree(root, ignore_errors=True)
    venv = make_venv(root)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "pip"], check=True)
    site = venv.site_packages
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


def timed(command, runs: int, cwd: Path) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


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
        results = [(name, timed(cmd, args.runs, scratch)) for name, cmd in commands(python, collect_env)]
        pip_time = dict(results)["pip check"]
        for name, seconds in results:
            print(f"| {name} | {seconds:.3f} | {seconds / pip_time:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
