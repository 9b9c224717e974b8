"""Rule files are read from a copy in the user's cache while they are unchanged (kb.rule_file_data).

Each read runs in a fresh interpreter (the point is what a start imports and parses), with its own
ENVDOCTOR_CACHE_DIR; the rule files are real TOML files, the built-in ones and one written here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from envdoctor.data_files import read_toml
from envdoctor.kb import SETTLED_NS, builtin_rule_files, rule_file_data

READ = """
import json, sys
from envdoctor.kb import rule_file_data
data = [rule_file_data(path) for path in sys.argv[1:]]
print(json.dumps({"data": data, "tomllib": "tomllib" in sys.modules}))
"""


def read_fresh(cache, *paths):
    done = subprocess.run([sys.executable, "-c", READ, *map(str, paths)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "ENVDOCTOR_CACHE_DIR": str(cache)})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_the_built_in_rule_files_are_parsed_once_then_read_from_the_cache(tmp_path):
    files = builtin_rule_files()
    first = read_fresh(tmp_path / "cache", *files)
    second = read_fresh(tmp_path / "cache", *files)
    assert first["tomllib"] and not second["tomllib"]  # the second start parses no TOML
    assert second["data"] == first["data"] == [json.loads(json.dumps(read_toml(path, "rule file"))) for path in files]


def test_an_edited_rule_file_is_read_again(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\ncode = "KB901"\n')
    time.sleep(SETTLED_NS / 1e9 + 0.2)  # a copy is kept only of a file that has settled
    assert read_fresh(tmp_path / "cache", rules)["data"] == [{"rule": [{"code": "KB901"}]}]
    assert not read_fresh(tmp_path / "cache", rules)["tomllib"]
    rules.write_text('[[rule]]\ncode = "KB902"\n')  # same size, new mtime
    assert read_fresh(tmp_path / "cache", rules)["data"] == [{"rule": [{"code": "KB902"}]}]


def test_a_file_changed_just_now_is_not_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVDOCTOR_CACHE_DIR", str(tmp_path / "cache"))
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\ncode = "KB903"\n')
    assert rule_file_data(str(rules)) == {"rule": [{"code": "KB903"}]}
    assert not (tmp_path / "cache" / "rules").exists()


def test_a_rule_file_whose_data_marshal_cannot_keep_leaves_no_temporary_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVDOCTOR_CACHE_DIR", str(tmp_path / "cache"))
    rules = tmp_path / "rules.toml"
    rules.write_text('updated = 2026-11-30T12:00:00Z\n[[rule]]\ncode = "KB904"\n')
    old = time.time() - 10
    os.utime(rules, (old, old))
    time.sleep(SETTLED_NS / 1e9 + 0.2)  # the ctime too must have settled
    for _ in range(2):
        assert rule_file_data(str(rules))["rule"] == [{"code": "KB904"}]
    assert not list((tmp_path / "cache").rglob("*.tmp"))
