"""replay/: what a run records, what a stored report's key leaves out, and when nothing is stored.

The end-to-end side (a real venv changed in each way the proof must see) is
tests/e2e/test_replay.py.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import pathlib
import subprocess
import sys

import pytest

from envdoctor import replay
from envdoctor.engine import run_checks
from envdoctor.model.facts import Facts
from envdoctor.registry import load_registry
from envdoctor.probe.frame import split_last_section
from envdoctor.replay.recorded_reads import recording
from envdoctor.report import ELAPSED_STAND_IN, REPLAYABLE_FORMATS, render, with_elapsed
from tests.unit.test_reporters import context as report_context

SNAPSHOT = pathlib.Path(__file__).resolve().parent.parent / "data" / "snapshot-h200-cuda13.json"


def test_every_door_a_read_goes_through_is_noted(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    link = tmp_path / "link"
    link.symlink_to(folder / "a.txt")
    with recording() as reads:
        os.stat(folder)
        os.listdir(folder)
        with open(folder / "a.txt") as handle:
            handle.read()
        pathlib.Path(tmp_path / "b.txt").exists()  # absent: its absence is part of the proof
        os.lstat(link)
        with os.scandir(folder) as entries:
            [entry.stat() for entry in entries]
        io.open(tmp_path / "c.txt", "w").close()
        os.path.isfile(tmp_path / "through-genericpath")
    followed = {path for path, follow in reads.paths() if follow}
    assert {str(folder), str(folder / "a.txt"), str(tmp_path / "b.txt"), str(tmp_path / "c.txt"),
            str(tmp_path / "through-genericpath")} <= followed
    assert (str(link), False) in set(reads.paths())
    assert reads.spoiled is None
    assert not hasattr(os.stat, "__wrapped__") and not hasattr(os.scandir, "__wrapped__")  # restored


def test_the_functions_are_restored_when_the_block_raises():
    originals = (os.stat, os.listdir, open, io.open)
    with pytest.raises(RuntimeError):
        with recording():
            raise RuntimeError("boom")
    assert (os.stat, os.listdir, open, io.open) == originals
    with recording() as outside:
        pass
    subprocess.run([sys.executable, "-c", "pass"], check=True)  # after the block: nobody's business
    assert outside.spoiled is None


def test_a_subprocess_or_a_file_descriptor_spoils_the_recording(tmp_path):
    with recording() as reads:
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert reads.spoiled == "a subprocess ran"
    descriptor = os.open(tmp_path, os.O_RDONLY)
    try:
        with recording() as reads:
            os.stat(descriptor)
        assert reads.spoiled == "a folder given as a file descriptor"
    finally:
        os.close(descriptor)


def test_opens_through_references_held_elsewhere_are_noted_and_a_pipe_is_not(tmp_path):
    """tokenize holds its own reference to open; io.open_code is what imports use; an fd is no path."""
    import tokenize

    source = tmp_path / "m.py"
    source.write_text("x = 1\n")
    reading, writing = os.pipe()
    with recording() as reads:
        with tokenize.open(source) as handle:
            handle.read()
        with io.open_code(str(tmp_path / "m.py")) as handle:
            handle.read()
        os.fdopen(reading).close()
        os.close(writing)
    assert (str(source), True) in set(reads.paths())
    assert reads.spoiled is None


def test_a_working_directory_that_is_gone_spoils_the_recording(tmp_path, monkeypatch):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    with recording() as reads:
        os.path.exists("relative")
    assert reads.spoiled == "the working directory is gone"
    with pytest.raises(OSError):
        replay.request_key({"fmt": "json"})


def test_the_plugins_metadata_read_again_is_noted():
    """check_command forgets the entry points read before its recording: they are read, and noted, again."""
    from envdoctor import entry_points
    from envdoctor.plugins import find

    find("envdoctor.checks")  # read once, before any recording
    with recording() as reads:
        entry_points.forget()
        find("envdoctor.checks")
    assert any(path.endswith(("entry_points.txt", ".dist-info")) for path, _ in reads.paths())


def test_the_network_and_a_native_library_spoil_the_recording():
    import ctypes
    import socket

    with recording() as reads:
        try:
            socket.getaddrinfo("localhost", 80)
        except OSError:
            pass
    assert reads.spoiled == "the network was used"
    with recording() as reads:
        ctypes.CDLL(None)
    assert reads.spoiled == "a native library was loaded"


def test_live_kernel_state_spoils_the_recording():
    with recording() as reads:
        os.path.exists("/sys/class/net")
    assert reads.spoiled == "live kernel state was read (/sys)"


def test_a_path_through_a_link_and_up_is_noted_as_the_kernel_reads_it(tmp_path):
    (tmp_path / "real" / "inner").mkdir(parents=True)
    (tmp_path / "real" / "f").write_text("")
    (tmp_path / "link").symlink_to(tmp_path / "real" / "inner")
    with recording() as reads:
        os.stat(tmp_path / "link" / ".." / "f")  # real/f: the link's target's parent holds f
    assert (str(tmp_path / "link" / ".." / "f"), True) in set(reads.paths())


def test_proc_is_not_part_of_the_proof():
    with recording() as reads:
        os.listdir("/proc/self/task")
    assert not [path for path, _ in reads.paths() if path.startswith("/proc/")]


DOCUMENT = ('{"interpreter":{"version":"3.11.7"},"import_system":{"meta_path":[{"repr":"<Finder object at 0x7f66ef781f90>"}]},'
            '"stack":{"torch":null,"seconds":0.0128},"toolchain":{"seconds":1.5e-05},"dist_cache":{"fresh":{}}}')


def _digest(document: str, stderr: str = "") -> str:
    """As the probe's hook digests a document: its dist_cache section split off first."""
    return replay.document_digest(split_last_section(document, "dist_cache")[0], stderr)


def test_the_digest_leaves_out_addresses_timings_and_the_probe_cache_section():
    digest = _digest(DOCUMENT)
    moved = DOCUMENT.replace("0x7f66ef781f90", "0x7f2484fc1f90").replace("0.0128", "0.9").replace("1.5e-05", "2")
    assert _digest(moved) == digest
    assert _digest(DOCUMENT.replace('"fresh":{}', '"fresh":{"/x":1}')) == digest
    assert _digest(DOCUMENT.replace("3.11.7", "3.11.8")) != digest
    assert _digest(DOCUMENT.replace("Finder object", "Other object")) != digest
    assert _digest(DOCUMENT, "Error processing line 1 of x.pth") != digest


def _with_timings(value, seconds: float):
    """`value` with every "seconds" field set to `seconds`."""
    if isinstance(value, dict):
        return {key: seconds if key == "seconds" else _with_timings(item, seconds) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_timings(item, seconds) for item in value]
    return value


def test_no_check_verdict_depends_on_the_probe_timings_the_digest_leaves_out():
    """The digest ignores every `"seconds":` of the probe's document: no check may read one.  (The
    deep probes' timings are read, by JIT001 and STK001, but --deep is never replayed.)"""
    document = json.loads(SNAPSHOT.read_text())
    checks = load_registry().checks

    def findings(seconds: float):
        changed = {key: item if key == "deep" else _with_timings(item, seconds) for key, item in document.items()}
        run = run_checks(checks, Facts.from_document(changed, str(SNAPSHOT)))
        return [(f.code, f.subject, f.title, f.message, f.evidence) for f in run.findings]

    assert findings(0.0) == findings(1e6)
    assert findings(0.0)  # the snapshot has findings to compare


def test_a_report_rendered_with_the_stand_in_becomes_the_run_s_own():
    context = report_context()
    for fmt in REPLAYABLE_FORMATS:
        for seconds in (0.0, 0.25, 0.954, 12.5, 123.456):
            real = render(fmt, dataclasses.replace(context, elapsed=seconds))
            template = render(fmt, dataclasses.replace(context, elapsed=ELAPSED_STAND_IN))
            assert with_elapsed(fmt, template, seconds) == real, (fmt, seconds)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVDOCTOR_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def stored(cache) -> list:
    folder = cache / "replay"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_a_sound_proof_is_stored_and_holds_until_a_path_of_it_changes(cache, tmp_path):
    old = tmp_path / "old.txt"
    old.write_text("old")
    os.utime(old, ns=(1, 1))
    run = replay.Replay({"fmt": "json"})
    run.started_ns += 10 * replay.MARGIN_NS  # the file's ctime (now) is long before this run's start
    with run.recording():
        old.read_text()
    run.digest = "d" * 64
    run.store("report", 1)
    assert len(stored(cache)) == 1
    assert replay.Replay({"fmt": "json"})._lookup("d" * 64) == ("report", 1)
    assert replay.Replay({"fmt": "json"})._lookup("e" * 64) is None  # another document
    assert replay.Replay({"fmt": "text"})._lookup("d" * 64) is None  # another command line
    old.write_text("new")
    assert replay.Replay({"fmt": "json"})._lookup("d" * 64) is None


def test_a_path_changed_while_the_probe_runs_is_seen_after_its_answer(cache, tmp_path):
    """check_command checks the proof before the probe answers (proof_holds); the probe then runs
    the target's start-up code, which may change a file the report was made from: the lookup
    after the answer stamps the proof again.  A proof that failed early stays failed."""
    read = tmp_path / "read.txt"
    read.write_text("old")
    os.utime(read, ns=(1, 1))
    run = replay.Replay({"fmt": "json"})
    run.started_ns += 10 * replay.MARGIN_NS
    with run.recording():
        read.read_text()
    run.digest = "d" * 64
    run.store("report", 1)
    failed_early = replay.Replay({"fmt": "json"})
    failed_early._proof_held = False  # what proof_holds() found before the answer
    assert failed_early._lookup("d" * 64) is None
    assert replay.Replay({"fmt": "json"})._lookup("d" * 64) == ("report", 1)  # the file is unchanged
    early = replay.Replay({"fmt": "json"})
    assert early.proof_holds()
    read.write_text("changed by a .pth line while the probe ran")
    assert early._lookup("d" * 64) is None


def test_a_path_changed_during_the_run_stores_nothing(cache, tmp_path):
    fresh = tmp_path / "fresh.txt"
    run = replay.Replay({"fmt": "json"})
    fresh.write_text("written while the run reads")
    with run.recording():
        fresh.read_text()
    run.digest = "d" * 64
    run.store("report", 0)
    assert stored(cache) == []


def test_a_spoiled_run_stores_nothing(cache):
    run = replay.Replay({"fmt": "json"})
    run.started_ns += 10 * replay.MARGIN_NS
    with run.recording():
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    run.digest = "d" * 64
    run.store("report", 0)
    assert stored(cache) == []


def test_the_key_changes_with_the_environment_and_the_options(monkeypatch):
    key = replay.request_key({"fmt": "json"})
    assert replay.request_key({"fmt": "json"}) == key
    assert replay.request_key({"fmt": "text"}) != key
    monkeypatch.setenv("ENVDOCTOR_SOME_VARIABLE", "1")
    assert replay.request_key({"fmt": "json"}) != key
    monkeypatch.delenv("ENVDOCTOR_SOME_VARIABLE")
    assert replay.request_key({"fmt": "json"}) == key
    monkeypatch.setattr(sys, "path", [*sys.path, "/a/folder/site/added"])  # a .pth line's folder, created since
    assert replay.request_key({"fmt": "json"}) != key


def test_only_the_newest_reports_are_kept(cache):
    folder = cache / "replay"
    folder.mkdir(parents=True)
    for index in range(replay.KEPT_REPORTS + 5):
        path = folder / f"{index:04d}.marshal"
        path.write_bytes(b"")
        os.utime(path, ns=(index * 10**9, index * 10**9))
    replay._prune(str(folder))
    names = sorted(path.name for path in folder.iterdir())
    assert len(names) == replay.KEPT_REPORTS and names[0] == "0005.marshal"


def probe_cache_file(python: str, entries: dict) -> None:
    """A probe cache file for `python` as dist_cache_file.store writes it: {metadata folder: [paths, stamps, facts]}."""
    from envdoctor.probe.dist_cache_file import dist_cache_path
    from envdoctor.vocabulary.cache_files import write_marshal

    write_marshal(dist_cache_path(python), {"fingerprint": ["f"], "entries": entries})


def test_the_probe_and_the_host_compute_one_stamps_digest():
    """in_target/dist_cache.py and dist_cache_file.py each compute it (neither imports the other)."""
    from envdoctor.probe import dist_cache_file
    from envdoctor.probe.in_target import dist_cache

    proven = [("/v/site-packages/b-1.dist-info", "b\0b-1.dist-info", "1 2 3\n4 5 6"),
              ("/v/site-packages/a-1.dist-info", "a\0../../../bin/a", "-\n7 8 9"),
              ("/v/site-packages/caf\udce9-1.dist-info", "caf\udce9", "1 1 1"),  # a name that is not UTF-8
              ("/v/site-packages/odd\ud800-1.dist-info", "odd", "1 1 1")]  # a lone surrogate outside that range
    digest = dist_cache.stamps_digest(proven)
    assert dist_cache_file.stamps_digest(reversed(proven)) == digest
    assert dist_cache.stamps_digest(proven[:2]) != digest
    changed = [(proven[0][0], proven[0][1], "1 2 3\n4 5 7"), *proven[1:]]
    assert dist_cache.stamps_digest(changed) != digest
    # Fields are framed by their lengths: a separator inside a name cannot move text between them.
    assert dist_cache.stamps_digest([("a\1b", "c", "d")]) != dist_cache.stamps_digest([("a", "b\1c", "d")])


def test_a_python_without_blake2b_gives_no_stamps_digest(monkeypatch):
    """Built without it, or in FIPS mode: the probe answers all the same, and the host leaves every
    path in its proof (ProbeStamps without a digest)."""
    import hashlib

    from envdoctor.probe.dist_cache_file import ProbeStamps
    from envdoctor.probe.in_target import dist_cache

    monkeypatch.setitem(sys.modules, "_blake2", None)
    monkeypatch.delattr(hashlib, "blake2b")
    assert dist_cache.stamps_digest([("/v/a-1.dist-info", "a", "1 2 3")]) is None
    assert ProbeStamps("/v/bin/python", {"stamps_digest": None}).paths(10**19) == frozenset()


def test_the_probe_s_stamped_paths_are_the_cache_file_s_only_while_it_holds_what_the_probe_stamped(cache):
    from envdoctor.probe.dist_cache_file import ProbeStamps, stamps_digest

    meta = "/v/lib/site-packages/pkg-1.dist-info"
    old, recent = "100 100 5 7 8 16877 0 0", "100 900 5 7 8 16877 0 0"  # mtime ctime size inode ...
    entry = ["pkg\0pkg/sub\0.\0/v/bin\0gone\0pkg/new", "\n".join([old, old, old, old, "-", recent]), {"name": "pkg"}]
    probe_cache_file("/v/bin/python", {meta: entry})
    digest = stamps_digest([(meta, entry[0], entry[1])])
    found = ProbeStamps("/v/bin/python", {"stamps_digest": digest}).paths(500)
    site = "/v/lib/site-packages/"
    # Not "gone" (stat failed there), nor "pkg/new": changed within the host's margin of its run.
    assert found == {site + "pkg", site + "pkg/sub", site + ".", "/v/bin"}
    # Another run rewrote the file since (another digest), the section has none, or the file is not one this code wrote.
    assert ProbeStamps("/v/bin/python", {"stamps_digest": "0" * 40}).paths(500) == frozenset()
    assert ProbeStamps("/v/bin/python", {"fresh": {}}).paths(500) == frozenset()
    assert ProbeStamps("/v/bin/python", None).paths(500) == frozenset()
    probe_cache_file("/v/bin/python", {meta: ["pkg", 7]})
    assert ProbeStamps("/v/bin/python", {"stamps_digest": digest}).paths(500) == frozenset()


def test_paths_the_probe_stamped_are_left_out_of_the_proof_and_its_digest_keys_the_report(cache, tmp_path):
    class Stamped:
        def __init__(self, digest, paths):
            self.digest, self._paths = digest, paths

        def paths(self, recent_ns):
            return self._paths

    folder, source = tmp_path / "pkg", tmp_path / "pkg" / "mod.py"
    folder.mkdir()
    source.write_text("import json\n")
    for path in (source, folder):
        os.utime(path, ns=(1, 1))
    run = replay.Replay({"fmt": "json"})
    run.started_ns += 10 * replay.MARGIN_NS
    with run.recording():
        os.listdir(folder)
        source.read_text()
    run.document_arrived("{}", "", Stamped("a" * 40, {str(folder)}))
    run.store("report", 0)
    proof = {path for path, _, _ in replay.read_marshal(stored(cache)[0])["proof"]}
    assert str(source) in proof and str(folder) not in proof
    assert replay.Replay({"fmt": "json"}).lookup("{}", "", Stamped("a" * 40, set())) == ("report", 0)
    # The probe found its stamps otherwise (another run rewrote its cache file): not this report.
    assert replay.Replay({"fmt": "json"}).lookup("{}", "", Stamped("b" * 40, set())) is None
    assert replay.Replay({"fmt": "json"}).lookup("{}", "", None) is None
