"""probe/probe_code_file.py: what the host keeps of the code the probe compiled (the bootstrap
that runs it is tested on real interpreters in tests/e2e/test_probe_bootstrap.py)."""

from __future__ import annotations

import base64
import marshal
import os

from envdoctor.probe.command import IN_TARGET
from envdoctor.probe.probe_code_file import probe_code_path, store_probe_code

MAGIC = "cb0d0d0a"


def section(parts: dict, magic: str = MAGIC) -> dict:
    return {"probe_code": {"magic": magic, "parts": {path: [1.5, 10, base64.b64encode(code).decode()]
                                                     for path, code in parts.items()}}}


def kept(python: str) -> dict:
    with open(probe_code_path(python), "rb") as handle:
        return marshal.loads(handle.read())


def test_the_code_is_kept_beside_earlier_code_of_the_same_python_and_install(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVDOCTOR_CACHE_DIR", str(tmp_path))
    emit, facts = os.path.join(IN_TARGET, "emit.py"), os.path.join(IN_TARGET, "facts_entry.py")
    elsewhere = "/an/older/install/envdoctor/probe/in_target/emit.py"
    store_probe_code("/v/bin/python", section({elsewhere: b"old", emit: b"one"}), IN_TARGET)
    store_probe_code("/v/bin/python", section({facts: b"two"}), IN_TARGET)
    data = kept("/v/bin/python")
    assert data["magic"] == bytes.fromhex(MAGIC)
    assert data["parts"] == {emit: [1.5, 10, b"one"], facts: [1.5, 10, b"two"]}  # not the other install's
    store_probe_code("/v/bin/python", section({facts: b"three"}, magic="00000d0a"), IN_TARGET)  # the interpreter was upgraded
    assert kept("/v/bin/python")["parts"] == {facts: [1.5, 10, b"three"]}


def test_a_section_without_code_or_with_malformed_code_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVDOCTOR_CACHE_DIR", str(tmp_path))
    for bad in (None, {}, {"probe_code": {"magic": "zz", "parts": {}}}, {"probe_code": {"magic": MAGIC, "parts": {"x": [1]}}},
                {"probe_code": {"magic": MAGIC, "parts": {"x": [1.0, 2, "not base64!"]}}}):
        store_probe_code("/v/bin/python", bad, IN_TARGET)
    assert not os.path.exists(probe_code_path("/v/bin/python"))
