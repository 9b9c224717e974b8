"""Time envdoctor's import scan against pyflakes and ruff on the real sglang wheel.

    pip install -e '.[bench]'
    python bench/scan_speed.py [--runs 5] [--slow-runs 1] [--workdir ~/.cache/envdoctor-bench]

The sglang wheel (the newest release, or --sglang-version) is installed with --no-deps
into a venv built once in --workdir.  All commands read the same tree, in one run:

  envdoctor cold         `envdoctor check --select IMP --scan sglang`, empty cache dir
  envdoctor warm         the same again, nothing changed since the last run
  envdoctor file cache   per-file summaries cached, the whole-scan result not: every
                         import resolved again (what a run after `pip install x` costs)
  envdoctor --no-scan    the probe and the other checks alone, for reference
  pyflakes               pyflakes on the sglang package folder (one process)
  ruff                   ruff check --select F401,F811 --no-cache (all cores)
  ast.parse              a single process parsing every file, nothing else

Medians of wall time; ratios are printed against pyflakes (cold target: 0.2x or less)
and ruff (warm target: under 1x).  Nothing asserts: the figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional


def tool(name: str) -> str:
    found = Path(sys.executable).parent / name
    return str(found) if found.exists() else (shutil.which(name) or "")


def ensure_sglang_venv(workdir: Path, version: Optional[str]) -> Path:
    wheels = workdir / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    requirement = f"sglang=={version}" if version else "sglang"
    venv = workdir / f"sglang-{version or 'latest'}-venv"
    python = venv / "bin" / "python"
    if (venv / ".complete").exists():
        return python
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(wheels), requirement], check=True)
    found = sorted(glob.glob(str(wheels / (f"sglang-{version}-*.whl" if version else "sglang-*.whl"))))
    if not found:
        raise SystemExit(f"no sglang wheel in {wheels}")
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", found[-1]], check=True)
    (venv / ".complete").write_text(found[-1])
    return python


def package_folder(python: Path) -> Path:
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         capture_output=True, text=True, check=True)
    return Path(out.stdout.strip()) / "sglang"


def timed(command: List[str], runs: int, env: Optional[dict] = None, before=None) -> float:
    samples = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


PARSE_ALL = """
import ast, glob, sys
for path in glob.glob(sys.argv[1] + "/**/*.py", recursive=True):
    with open(path, "rb") as handle:
        ast.parse(handle.read())
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of the fast commands")
    parser.add_argument("--slow-runs", type=int, default=1, help="runs of pyflakes, ast.parse and envdoctor cold")
    parser.add_argument("--workdir", type=Path, default=Path.home() / ".cache" / "envdoctor-bench")
    parser.add_argument("--sglang-version", default=None)
    args = parser.parse_args()

    python = ensure_sglang_venv(args.workdir, args.sglang_version)
    tree = package_folder(python)
    files = glob.glob(str(tree / "**" / "*.py"), recursive=True)
    lines = sum(1 for path in files for _ in open(path, "rb"))
    version = subprocess.run([str(python), "-c", "import importlib.metadata as m; print(m.version('sglang'))"],
                             capture_output=True, text=True).stdout.strip()
    envdoctor = tool("envdoctor")
    cache = Path(tempfile.mkdtemp(prefix="envdoctor-scan-bench-"))
    env = dict(os.environ, ENVDOCTOR_CACHE_DIR=str(cache))
    scan = [envdoctor, "check", "--python", str(python), "--select", "IMP", "--scan", "sglang", "--format", "json"]

    def empty_cache():
        shutil.rmtree(cache, ignore_errors=True)

    def results_only_gone():
        shutil.rmtree(cache / "scan" / "results", ignore_errors=True)

    rows = [("envdoctor cold", timed(scan, args.slow_runs, env, before=empty_cache))]
    rows.append(("envdoctor warm", timed(scan, args.runs, env)))
    rows.append(("envdoctor file cache", timed(scan, args.runs, env, before=results_only_gone)))
    rows.append(("envdoctor --no-scan", timed([envdoctor, "check", "--python", str(python), "--no-scan", "--format", "json"], args.runs, env)))
    if tool("pyflakes"):
        rows.append(("pyflakes", timed([tool("pyflakes"), str(tree)], args.slow_runs)))
    if tool("ruff"):
        rows.append(("ruff check --select F401,F811 --no-cache", timed(
            [tool("ruff"), "check", "--select", "F401,F811", "--no-cache", "-q", str(tree)], args.runs)))
    rows.append(("ast.parse, one process", timed([sys.executable, "-c", PARSE_ALL, str(tree)], args.slow_runs)))
    shutil.rmtree(cache, ignore_errors=True)

    times = dict(rows)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; sglang {version}: "
          f"{len(files):,} files, {lines:,} lines; median wall time")
    print("\n| command | median s | vs pyflakes | vs ruff |\n|---|---:|---:|---:|")
    for name, seconds in rows:
        flakes = f"{seconds / times['pyflakes']:.2f}x" if "pyflakes" in times else "-"
        ruff = f"{seconds / times[name_ruff]:.2f}x" if (name_ruff := next((n for n in times if n.startswith("ruff")), None)) else "-"
        print(f"| {name} | {seconds:.2f} | {flakes} | {ruff} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
