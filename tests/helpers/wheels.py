"""Build small, valid wheels for tests, to be installed by real pip.

Real packages from the index are used where a real one shows the problem
(requests, six, setuptools); these local wheels model shapes no index
package has on purpose (a Requires-Python of >=3.99, two projects shipping the
same module, a legacy import hook).
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path
from typing import Dict, Iterable, Optional


WHEEL_FILE = b"Wheel-Version: 1.0\nGenerator: envdoctor-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def build_wheel(
    out_dir: Path,
    name: str,
    version: str,
    files: Dict[str, str],
    *,
    requires: Iterable[str] = (),
    requires_python: Optional[str] = None,
    extras: Iterable[str] = (),
) -> Path:
    """A py3-none-any wheel holding `files` (path -> text), with the given metadata."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        metadata.append(f"Requires-Python: {requires_python}")
    metadata += [f"Provides-Extra: {extra}" for extra in extras]
    metadata += [f"Requires-Dist: {req}" for req in requires]
    contents = {path: text.encode() for path, text in files.items()}
    contents[f"{info}/METADATA"] = ("\n".join(metadata) + "\n\n").encode()
    return write_wheel(out_dir, dist, version, contents)


def write_wheel(out_dir: Path, dist: str, version: str, contents: Dict[str, bytes]) -> Path:
    """out_dir/DIST-VERSION-py3-none-any.whl holding `contents` (path -> bytes, METADATA included),
    with the dist-info's WHEEL and a RECORD of every file added."""
    info = f"{dist}-{version}.dist-info"
    contents = {**contents, f"{info}/WHEEL": WHEEL_FILE}
    record = "".join(f"{path},{_hash(data)},{len(data)}\n" for path, data in contents.items())
    record += f"{info}/RECORD,,\n"
    contents[f"{info}/RECORD"] = record.encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    wheel = out_dir / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in contents.items():
            archive.writestr(path, data)
    return wheel
