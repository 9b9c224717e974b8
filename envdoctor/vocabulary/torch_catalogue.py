"""The torch catalogue: which torch builds exist, what they run on, and where they come from.

Data, not code: envdoctor/vocabulary/torch_catalogue.toml (with its references) plus the same
tables in a user's rule files (`rules = [...]` in [tool.envdoctor]), which add builds (a private
build of a release, a build label PyTorch does not publish) and point build labels at other
indexes (a mirror). A user's entry for the same release and label replaces the shipped one.
The format is docs/explanation/torch-catalogue.md.

`build_of("2.11.0+cu130")` answers what `check --with` needs to know about a torch it would
install: its CUDA (or ROCm) version, its arch list and its index.
"""

from __future__ import annotations

import functools
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

from envdoctor.data_files import read_toml
from envdoctor.errors import PluginError
from envdoctor.model.record import Record, record
from envdoctor.vocabulary.versions import major_minor, release

SHIPPED = os.path.join(os.path.dirname(__file__), "torch_catalogue.toml")
ANY_BUILD = "*"
# The keys each table may hold; anything else in a user's file is a typo that would be ignored.
TABLE_KEYS = {
    "cuda_driver": {"cuda", "linux", "windows", "minor_compatible_from"},
    "torch_index": {"build", "url"},
    "torch_release": {"releases", "companions"},
    "torch_build": {"releases", "build", "cuda", "rocm", "arch_list", "index_url"},
    "pypi_default": {"releases", "build"},
    "engine_pin": {"engine", "releases", "torch_release"},
}


@record
class PublishedBuild(Record):
    """One build of one torch release, as an index serves it."""

    release: str  # "2.11.0"
    build: str  # the local label: "cu130", "rocm6.4", "cpu"
    cuda: Optional[str]  # "13.0"; None for ROCm and CPU builds
    rocm: Optional[str]  # "6.4"
    arch_list: Tuple[str, ...]  # TORCH_CUDA_ARCH_LIST entries ("9.0", "12.0+PTX"); () when not known
    index_url: str

    @property
    def version(self) -> str:
        return f"{self.release}+{self.build}"

    @property
    def variant(self) -> str:
        """cuda | rocm | cpu, in the words of vocabulary/installed.py's torch_variant."""
        return "cuda" if self.cuda else "rocm" if self.rocm else "cpu"


@record
class CudaDriver(Record):
    """The drivers one CUDA toolkit release runs on, per platform."""

    cuda: str
    linux: str  # the toolkit's own driver: everything of this CUDA runs
    windows: str
    minor_linux: str  # the oldest driver of the family: precompiled kernels run (minor-version compatibility)
    minor_windows: str


@record
class Catalogue(Record):
    builds: Tuple[PublishedBuild, ...]
    drivers: Tuple[CudaDriver, ...]
    companions: Dict[str, Dict[str, str]]  # torch release -> {torchvision: "0.26.0", ...}
    pypi_defaults: Dict[str, str]  # torch release -> the label of PyPI's plain wheel on Linux
    engine_pins: Tuple[Tuple[str, str, str], ...] = ()  # (engine, engine release, the torch release it pins)

    def builds_of(self, torch_release: str) -> Tuple[PublishedBuild, ...]:
        return tuple(build for build in self.builds if build.release == torch_release)

    def releases(self) -> Tuple[str, ...]:
        """Every release with a build, oldest first."""
        return tuple(sorted({build.release for build in self.builds}, key=release))

    def engine_releases_for(self, engine: str, torch_release: str) -> Tuple[str, ...]:
        """The releases of `engine` that pin exactly `torch_release`, newest first."""
        found = [pin[1] for pin in self.engine_pins if pin[0] == engine and pin[2] == torch_release]
        return tuple(sorted(found, key=release, reverse=True))

    def build_of(self, version: str) -> Optional[PublishedBuild]:
        """The build a torch version names: "2.11.0+cu130", or PyPI's plain "2.9.0" (its default build)."""
        torch_release, _, label = version.partition("+")
        label = label or self.pypi_defaults.get(torch_release, "")
        for build in self.builds_of(torch_release):
            if build.build == label:
                return build
        return None

    def minimum_linux_driver(self, cuda_major: int) -> Optional[str]:
        """The oldest Linux driver that runs CUDA `cuda_major`.x under minor-version compatibility."""
        floors = [d.minor_linux for d in self.drivers if (major_minor(d.cuda) or (0, 0))[0] == cuda_major]
        return min(floors, key=release, default=None)

    def newest_cuda_for(self, driver_version: str, platform: str) -> Optional[str]:
        """The newest CUDA whose every feature runs on this driver ("linux"/"win32" platforms)."""
        have = release(driver_version)
        if have is None:
            return None
        windows = platform.startswith("win")
        fitting = [d.cuda for d in self.drivers if release(d.windows if windows else d.linux) <= have]
        return max(fitting, key=major_minor, default=None)


def _entries(data: Dict[str, Any], table: str, path: str) -> List[Dict[str, Any]]:
    entries = data.get(table, [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise PluginError(f"rule file {path}: [[{table}]] must be tables")
    for entry in entries:
        unknown = sorted(set(entry) - TABLE_KEYS[table])
        if unknown:
            raise PluginError(f"rule file {path}: [[{table}]] has unknown key(s) {', '.join(unknown)} "
                              f"(known: {', '.join(sorted(TABLE_KEYS[table]))})")
    return entries


def _releases(entry: Dict[str, Any], path: str, table: str) -> List[str]:
    value = entry.get("releases")
    releases = [value] if isinstance(value, str) else value
    if not releases or not isinstance(releases, list) or not all(isinstance(item, str) and release(item) for item in releases):
        raise PluginError(f"rule file {path}: [[{table}]] needs releases = a release or a list of them (\"2.11.0\")")
    return releases


def _text(entry: Dict[str, Any], key: str, path: str, table: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise PluginError(f"rule file {path}: [[{table}]] needs {key} = \"...\"")
    return value


def _index_urls(tables: Sequence[Tuple[Dict[str, Any], str]]) -> Dict[str, str]:
    """Build label (or "*") -> index URL pattern; later files win."""
    urls: Dict[str, str] = {}
    for data, path in tables:
        for entry in _entries(data, "torch_index", path):
            urls[_text(entry, "build", path, "torch_index")] = _text(entry, "url", path, "torch_index")
    return urls


def _builds(tables, urls: Dict[str, str]) -> Tuple[PublishedBuild, ...]:
    found: Dict[Tuple[str, str], PublishedBuild] = {}
    for data, path in tables:
        for entry in _entries(data, "torch_build", path):
            label = _text(entry, "build", path, "torch_build")
            pattern = entry.get("index_url") or urls.get(label) or urls.get(ANY_BUILD, "")
            arch_list = tuple(item for item in str(entry.get("arch_list", "")).replace(" ", ";").split(";") if item)
            for torch_release in _releases(entry, path, "torch_build"):
                found[(torch_release, label)] = PublishedBuild(
                    release=torch_release, build=label, cuda=entry.get("cuda"), rocm=entry.get("rocm"),
                    arch_list=arch_list, index_url=pattern.replace("{build}", label))
    return tuple(found.values())


def _drivers(tables) -> Tuple[CudaDriver, ...]:
    drivers = []
    for data, path in tables:
        for entry in _entries(data, "cuda_driver", path):
            minor = entry.get("minor_compatible_from") or {}
            linux, windows = _text(entry, "linux", path, "cuda_driver"), _text(entry, "windows", path, "cuda_driver")
            drivers.append(CudaDriver(_text(entry, "cuda", path, "cuda_driver"), linux, windows,
                                      minor.get("linux", linux), minor.get("windows", windows)))
    return tuple(drivers)


def _by_release(tables, table: str, key: str) -> Dict[str, Any]:
    values: Dict[str, Any] = {}
    for data, path in tables:
        for entry in _entries(data, table, path):
            for torch_release in _releases(entry, path, table):
                values[torch_release] = dict(entry[key]) if isinstance(entry.get(key), dict) else entry.get(key)
    return values


def _engine_pins(tables) -> Tuple[Tuple[str, str, str], ...]:
    pins = []
    for data, path in tables:
        for entry in _entries(data, "engine_pin", path):
            engine, torch_release = _text(entry, "engine", path, "engine_pin"), _text(entry, "torch_release", path, "engine_pin")
            releases = entry.get("releases")
            if not isinstance(releases, list) or not all(isinstance(item, str) for item in releases):
                raise PluginError(f"rule file {path}: [[engine_pin]] needs releases = [\"0.11.0\", ...]")
            pins += [(engine, item, torch_release) for item in releases]
    return tuple(pins)


def load_catalogue(rule_files: Sequence[str] = ()) -> Catalogue:
    """The shipped catalogue with the tables of `rule_files` added (files without them add nothing)."""
    return _load((SHIPPED, *rule_files))


@functools.lru_cache(maxsize=8)
def _load(paths: Tuple[str, ...]) -> Catalogue:
    tables = [(read_toml(path, "rule file"), path) for path in paths]
    return Catalogue(builds=_builds(tables, _index_urls(tables)), drivers=_drivers(tables),
                     companions=_by_release(tables, "torch_release", "companions"),
                     pypi_defaults=_by_release(tables, "pypi_default", "build"),
                     engine_pins=_engine_pins(tables))


def build_of(version: str, catalogue: Optional[Catalogue] = None) -> Optional[PublishedBuild]:
    """The build a torch version names ("2.11.0+cu130"; a plain "2.9.0" is PyPI's default build),
    from `catalogue` or the shipped one; None when the catalogue does not know it."""
    return (catalogue or load_catalogue()).build_of(version)
