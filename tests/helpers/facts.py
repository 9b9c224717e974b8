"""Build Facts for unit tests of checks: only the fields a test cares about."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

from envdoctor.model.facts import FACTS_SCHEMA_VERSION, Facts

SITE = "/venv/lib/python3.11/site-packages"
CWD = "/work/proj"

MARKERS = {
    "implementation_name": "cpython", "implementation_version": "3.11.7", "os_name": "posix",
    "platform_machine": "x86_64", "platform_release": "6.1.0", "platform_system": "Linux",
    "platform_version": "#1 SMP", "python_full_version": "3.11.7",
    "platform_python_implementation": "CPython", "python_version": "3.11", "sys_platform": "linux",
}


def dist(name: str, version: str = "1.0", *, requires: Iterable[str] = (), location: str = SITE, path_index: int = 2,
         top_level: Optional[Iterable[str]] = None, **extra: Any) -> Dict[str, Any]:
    module = name.lower().replace("-", "_")
    data = {
        "name": name, "version": version, "metadata_path": f"{location}/{module}-{version}.dist-info",
        "kind": "dist-info", "location": location, "path_index": path_index,
        "requires_dist": list(requires), "record": "RECORD", "record_count": 3,
        "top_level": list(top_level if top_level is not None else [module]),
        "record_modules": list(top_level if top_level is not None else [module]),
    }
    data.update(extra)
    return data


def interpreter(version=(3, 11, 7)) -> Dict[str, Any]:
    return {
        "executable": "/venv/bin/python", "version": ".".join(map(str, version)), "version_info": list(version),
        "implementation": "cpython", "cache_tag": "cpython-311", "prefix": "/venv", "base_prefix": "/usr",
        "exec_prefix": "/venv", "platform": "linux", "in_venv": True, "site_packages": [SITE], "user_site": None,
        "user_site_enabled": False, "no_site": False, "isolated": False, "ignore_environment": False,
        "safe_path": False, "cwd": CWD,
    }


def sys_path() -> list:
    return [
        {"index": 0, "entry": "", "path": CWD, "origin": "cwd", "kind": "dir"},
        {"index": 1, "entry": "/usr/lib/python3.11", "path": "/usr/lib/python3.11", "origin": "stdlib", "kind": "dir"},
        {"index": 2, "entry": SITE, "path": SITE, "origin": "site-packages", "kind": "dir"},
    ]


def module(name: str, origin: Optional[str] = None, *, namespace: bool = False, locations=(), path_index=None,
           candidates=(), loader="importlib.machinery.SourceFileLoader") -> Dict[str, Any]:
    return {
        "name": name, "found": True, "origin": origin, "namespace": namespace, "locations": list(locations),
        "loader": None if namespace else loader, "path_index": path_index, "candidates": list(candidates),
    }


def finder(cls: str, module_name: str, *, find_spec: bool = True, find_module: bool = False, file=None) -> Dict[str, Any]:
    return {"class": cls, "module": module_name, "file": file, "repr": f"<{module_name}.{cls} object>", "is_class": False,
            "find_spec": find_spec, "find_module": find_module}


def make_facts(*, dists=(), modules=None, pth_files=(), meta_path=None, version=(3, 11, 7), markers=None,
               startup=None, shared_files=(), path=None, legacy_path_entry_finders=(), imports=None,
               stack=None, deep=None, environment=None) -> Facts:
    default_meta = [finder("BuiltinImporter", "_frozen_importlib"), finder("PathFinder", "_frozen_importlib_external")]
    data = {
        "schema_version": FACTS_SCHEMA_VERSION, "envdoctor_version": "test",
        "target": {"python": "/venv/bin/python", "cwd": CWD, "source": "--python"},
        "interpreter": interpreter(version),
        "markers": dict(MARKERS, **(markers or {})),
        "sys_path": path or sys_path(),
        "pth_files": list(pth_files),
        "distributions": list(dists),
        "shared_files": list(shared_files),
        "import_system": {"meta_path": meta_path if meta_path is not None else default_meta, "path_hooks": [],
                          "legacy_path_entry_finders": list(legacy_path_entry_finders)},
        "modules": modules or {},
        "startup": startup or {"ok": True, "pth_errors": []},
        "imports": imports,
        "stack": stack if stack is not None else {},
        "deep": deep,
    }
    if environment:
        data["interpreter"]["environment"] = dict(environment)
    return Facts.from_dict(data)


def torch_version_py(version: str, cuda=None, hip=None) -> Dict[str, Any]:
    """stack.torch as the probe reads torch/version.py."""
    local = version.split("+", 1)[1] if "+" in version else None
    return {"version": version, "local": local, "cuda": cuda, "hip": hip, "source": f"{SITE}/torch/version.py"}


def nvidia(*gpus, driver="580.95.05", cuda="13.0") -> Dict[str, Any]:
    """stack.nvidia with GPUs given as (name, capability) pairs."""
    return {
        "driver_version": driver, "driver_source": "/proc/driver/nvidia/version",
        "cuda_driver_version": cuda, "cuda_source": "libcuda cuDriverGetVersion", "gpus_source": "NVML",
        "gpus": [{"index": i, "name": name, "capability": cap, "memory_mib": 81559, "uuid": f"GPU-{i:08d}-aaaa"}
                 for i, (name, cap) in enumerate(gpus)],
    }


H100 = ("NVIDIA H100 80GB HBM3", "9.0")


def import_problem(kind: str, module: str, missing: str, **extra) -> Dict[str, Any]:
    """One scanner problem in sglang-like code (see envdoctor.model.facts.ImportProblem)."""
    problem = {
        "kind": kind, "path": f"{SITE}/consumerx/moe.py", "line": 3, "importer_module": "consumerx.moe",
        "statement": f"from {module} import {missing}", "module": module, "missing": missing,
        "names": [missing], "importer": "consumerx", "importer_version": "2.0",
        "provider": "consumerx", "provider_version": "2.0",
    }
    problem.update(extra)
    return problem


def import_scan(*problems: Dict[str, Any]) -> Dict[str, Any]:
    return {"scanned": [{"label": "consumerx 2.0", "root": SITE, "files": 10, "parsed": 10, "distribution": "consumerx", "version": "2.0"}],
            "problems": list(problems), "imports": 40}
