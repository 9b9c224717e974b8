"""Hostile input (issue 18): every one becomes a finding or one clear error, on real venvs.

An undecodable .pth, unreadable metadata folders, a .dist-info that is a file, control
characters and raw bytes in what the reports print, an endless config file, a selection that
leaves nothing to run, and targets older than Python 3.8.
"""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import CliResult, clean_env, require_python
from tests.helpers.strict_json import strict_json_loads
from tests.helpers.unprivileged import permission_bound_prefix
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow


def check_json(run_envdoctor, venv, *extra, cwd):
    return run_envdoctor("check", "--python", venv.python, "--no-scan", "--format", "json", *extra, cwd=cwd)


def pairs(result: CliResult) -> list:
    return sorted((f["code"], f["subject"]) for f in result.json["findings"])


# --- a .pth that site cannot decode ---------------------------------------------------------------

@pytest.mark.parametrize("minor", ["3.8", "3.13"])  # site decodes with TextIOWrapper up to 3.12, by hand from 3.13
def test_pth_with_undecodable_bytes_is_pth003_and_the_rest_still_checked(run_envdoctor, new_venv, tmp_path, minor):
    venv = new_venv(require_python(minor))
    bad = venv.site_packages / "bad.pth"
    bad.write_bytes(b"import os\n# caf\xe9 \xff\n")
    stale = venv.site_packages / "stale.pth"
    stale.write_text(str(tmp_path / "gone") + "\n")  # PTH001: shows that the other checks still ran
    dead = venv.run("print('hi')")
    assert dead.returncode == 1 and "UnicodeDecodeError" in dead.stderr  # the environment really is dead

    result = check_json(run_envdoctor, venv, cwd=tmp_path)

    assert result.returncode == 1, result.stderr
    assert result.stderr == ""  # no "probe failed", no frozen-site traceback on envdoctor's stderr
    assert pairs(result) == [("PTH001", str(stale)), ("PTH003", str(bad))]
    (finding,) = result.findings("PTH003")
    assert finding["title"] == f"Python dies at start-up in {bad} (exit status 1)"
    assert finding["location"]["path"] == str(bad) and finding["location"]["line"] is None
    assert finding["evidence"][0] == f"{bad}: cannot be decoded as utf-8 (byte 0xe9 at offset 15)"
    assert finding["evidence"][-1] == "the other checks ran on facts collected with this file skipped"

    # The near miss: the same file in UTF-8, non-ASCII and all, starts fine.
    bad.write_text("import os\n# café ÿ\n", encoding="utf-8")
    healthy = check_json(run_envdoctor, venv, cwd=tmp_path)
    assert healthy.returncode == 0 and pairs(healthy) == [("PTH001", str(stale))]  # a warning: exit 0


# --- targets older than 3.8 -------------------------------------------------------------------------

@pytest.mark.parametrize("minor", ["3.6", "3.7"])
def test_python_older_than_3_8_is_refused(run_envdoctor, new_venv, tmp_path, minor):
    venv = new_venv(require_python(minor, "to show the too-old message"))
    result = run_envdoctor("check", "--python", venv.python, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"envdoctor: error: {venv.python} is Python {minor}; envdoctor inspects Python 3.8 and newer\n"


def test_python_3_8_is_accepted(run_envdoctor, new_venv, tmp_path):  # the near miss of the one above
    venv = new_venv(require_python("3.8"))
    result = check_json(run_envdoctor, venv, cwd=tmp_path)
    assert result.returncode == 0 and pairs(result) == []


# --- unreadable metadata ----------------------------------------------------------------------------

def run_as_unprivileged_user(envdoctor_bin: str, *args, cwd: Path) -> CliResult:
    """envdoctor run by a user whom file permissions bind (as root: without its permission
    override, see tests/helpers/unprivileged.py), so mode 000 denies it as it denies a plain user."""
    command = [*permission_bound_prefix(), envdoctor_bin, *map(str, args)]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=clean_env(), timeout=300)
    assert "Traceback" not in completed.stderr, completed.stderr
    return CliResult(completed.returncode, completed.stdout, completed.stderr)


def test_permission_bound_route_denies_mode_000_and_lets_the_owner_read_0400_and_0500(tmp_path):
    denied, readable, folder = tmp_path / "denied", tmp_path / "readable", tmp_path / "folder"
    denied.write_text("x")
    readable.write_text("x")
    folder.mkdir()
    (folder / "inside").write_text("x")
    denied.chmod(0o000)
    readable.chmod(0o400)
    folder.chmod(0o500)
    try:
        def run(*command):
            return subprocess.run([*permission_bound_prefix(), *command], capture_output=True, text=True, timeout=60)

        assert "Permission denied" in run("cat", str(denied)).stderr
        assert run("cat", str(readable)).stdout == "x"
        assert run("ls", str(folder)).stdout == "inside\n"
    finally:
        folder.chmod(0o755)


@pytest.fixture
def venv_with_tiny(new_venv, tmp_path):
    venv = new_venv()
    venv.install_files(build_wheel(tmp_path / "wheels", "tiny", "1.0", {"tiny/__init__.py": "X = 1\n"}))
    return venv


def test_unreadable_dist_info_is_int005_and_could_not_check(envdoctor_bin, venv_with_tiny, tmp_path):
    venv = venv_with_tiny
    dist_info = venv.site_packages / "tiny-1.0.dist-info"
    dist_info.chmod(0o000)
    try:
        result = run_as_unprivileged_user(envdoctor_bin, "check", "--python", venv.python, "--no-scan",
                                          "--format", "json", cwd=tmp_path)
        dist_info.chmod(0o500)  # the near miss: read-only, but readable
        healthy = run_as_unprivileged_user(envdoctor_bin, "check", "--python", venv.python, "--no-scan",
                                           "--format", "json", cwd=tmp_path)
    finally:
        dist_info.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert pairs(result) == [("INT005", "tiny")]
    (finding,) = result.findings("INT005")
    assert finding["title"] == f"could not read {dist_info}: Permission denied"
    assert healthy.returncode == 0 and pairs(healthy) == []


def test_unreadable_metadata_file_is_int005_not_invalid_metadata(envdoctor_bin, venv_with_tiny, tmp_path):
    venv = venv_with_tiny
    dist_info = venv.site_packages / "tiny-1.0.dist-info"
    (dist_info / "METADATA").chmod(0o000)
    try:
        result = run_as_unprivileged_user(envdoctor_bin, "check", "--python", venv.python, "--no-scan",
                                          "--format", "json", cwd=tmp_path)
    finally:
        (dist_info / "METADATA").chmod(0o644)
    assert result.returncode == 2, result.stderr
    assert pairs(result) == [("INT005", "tiny")]
    (finding,) = result.findings("INT005")
    assert finding["title"] == f"could not read {dist_info}/METADATA: Permission denied"
    assert finding["severity"] == "warning"  # `import tiny` works: only its metadata is unreadable
    assert finding["fix"]["summary"].startswith(f"make {dist_info}/METADATA readable")
    assert finding["message"].startswith("tiny still imports, but importlib.metadata and pip see it without name")


def test_unreadable_pth_is_int005_not_silently_skipped(envdoctor_bin, venv_with_tiny, tmp_path):
    venv = venv_with_tiny
    extra = tmp_path / "extra"
    extra.mkdir()
    pth = venv.site_packages / "extra.pth"
    pth.write_text(str(extra) + "\n")
    pth.chmod(0o000)
    try:
        result = run_as_unprivileged_user(envdoctor_bin, "check", "--python", venv.python, "--no-scan",
                                          "--format", "json", cwd=tmp_path)
    finally:
        pth.chmod(0o644)
    assert result.returncode == 2, result.stderr
    assert pairs(result) == [("INT005", str(pth))]
    (finding,) = result.findings("INT005")
    assert finding["title"] == f"could not read {pth}: Permission denied"


def test_unreadable_site_packages_is_int005_not_ok_with_0_distributions(envdoctor_bin, venv_with_tiny, tmp_path):
    venv = venv_with_tiny
    site = venv.site_packages
    site.chmod(0o000)
    try:
        result = run_as_unprivileged_user(envdoctor_bin, "check", "--python", venv.python, "--no-scan", cwd=tmp_path)
    finally:
        site.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert f"✖ INT005 could not read {site}: Permission denied (unreadable-path)" in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1].startswith("COULD NOT CHECK 1 error, 0 warnings, 0 info")


# --- a .dist-info that is a file --------------------------------------------------------------------

def test_dist_info_that_is_a_file_is_int002(run_envdoctor, venv_with_tiny, tmp_path):
    venv = venv_with_tiny
    ghost = venv.site_packages / "ghost-2.0.dist-info"
    ghost.write_text("")
    seen = venv.run("import importlib.metadata as m; print(sorted(str(d.metadata['Name']) for d in m.distributions()))")
    assert seen.stdout.strip() == "['None', 'tiny']"  # Python yields a distribution without a name for it

    result = check_json(run_envdoctor, venv, cwd=tmp_path)

    assert result.returncode == 1
    assert pairs(result) == [("INT002", "ghost")]
    (finding,) = result.findings("INT002")
    assert finding["title"] == ("metadata of ghost 2.0 is invalid: ghost-2.0.dist-info is a file, not a folder: "
                                "importlib.metadata still yields a distribution for it")

    # The near miss: a single-file .egg-info is a legitimate PKG-INFO.
    ghost.unlink()
    (venv.site_packages / "ghost-2.0.egg-info").write_text("Metadata-Version: 1.1\nName: ghost\nVersion: 2.0\n")
    healthy = check_json(run_envdoctor, venv, cwd=tmp_path)
    assert healthy.returncode == 0 and pairs(healthy) == []
    assert "ghost" in {d["name"] for d in json.loads(run_envdoctor(
        "snapshot", "--python", venv.python, "--no-scan", cwd=tmp_path).stdout)["distributions"]}


# --- what site and importlib.metadata skip or see as empty: not "unreadable" ----------------------

def test_dangling_and_folder_pth_are_skipped_like_site_not_int005(run_envdoctor, venv_with_tiny, tmp_path):
    venv = venv_with_tiny
    (venv.site_packages / "dangling.pth").symlink_to("/nonexistent/old.pth")
    (venv.site_packages / "dir.pth").mkdir()
    started = venv.run("import tiny; print(tiny.X)")
    assert started.returncode == 0 and started.stderr == ""  # site.addpackage returns on any OSError: Python is fine

    result = check_json(run_envdoctor, venv, cwd=tmp_path)

    assert result.returncode == 0, result.stdout
    assert pairs(result) == []


def test_dangling_dist_info_symlink_is_int002_not_int005(run_envdoctor, venv_with_tiny, tmp_path):
    venv = venv_with_tiny
    gone = venv.site_packages / "gone-1.0.dist-info"
    gone.symlink_to("/nonexistent/gone-1.0.dist-info")
    seen = venv.run("import importlib.metadata as m; print(m.version('gone'))")
    assert seen.stdout.strip() == "None"  # Python yields a distribution for it, without a version

    result = check_json(run_envdoctor, venv, cwd=tmp_path)

    assert result.returncode == 1, result.stdout
    assert pairs(result) == [("INT002", "gone")]
    (finding,) = result.findings("INT002")
    assert finding["title"] == ("metadata of gone 1.0 is invalid: gone-1.0.dist-info is a symlink to "
                                "/nonexistent/gone-1.0.dist-info, which does not exist: importlib.metadata yields "
                                "a distribution without name or version for it")

    # A symlink loop: importlib.metadata raises OSError reading it; broken metadata too.
    gone.unlink()
    gone.symlink_to(gone.name)
    looped = check_json(run_envdoctor, venv, cwd=tmp_path)
    assert looped.returncode == 1 and pairs(looped) == [("INT002", "gone")]
    assert "cannot be listed (Too many levels of symbolic links)" in looped.findings("INT002")[0]["title"]


# --- control characters and raw bytes in what reports print ----------------------------------------

# No \r or \n: they end the header line (str.splitlines), as in any metadata reader.
HOSTILE_VERSION = "1.0\x1b[2J\x1b]0;pwned\x07\x9b31m"


@pytest.fixture
def hostile_venv(new_venv, tmp_path):
    """A hand-written dist-info whose Version holds escape sequences (INT002 prints it), and a .pth
    whose file name holds a raw byte (\\xff, not UTF-8) pointing to a missing folder (PTH001)."""
    venv = new_venv()
    dist_info = venv.site_packages / "evil-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: evil\nVersion: {HOSTILE_VERSION}\n\n")
    raw_name = os.fsencode(venv.site_packages) + b"/stale\xff.pth"
    with open(raw_name, "wb") as handle:
        handle.write(os.fsencode(tmp_path / "gone\x1b[2J") + b"\n")
    return venv


RAW = ("\x1b", "\x07", "\x9b", "\udcff")


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github", "markdown"])
def test_hostile_metadata_never_reaches_the_output_raw(envdoctor_bin, hostile_venv, tmp_path, fmt):
    completed = subprocess.run([envdoctor_bin, "check", "--python", str(hostile_venv.python), "--no-scan", "--format", fmt],
                               capture_output=True, cwd=tmp_path, env=clean_env(), timeout=300)
    assert completed.returncode == 1, completed.stderr
    assert completed.stderr == b""
    text = completed.stdout.decode("utf-8")  # valid UTF-8: no raw byte from the file name
    assert not [char for char in RAW if char in text], text
    if fmt in ("json", "sarif"):
        strict_json_loads(text)  # controls escaped by the encoder; no escaped lone surrogate, which serde_json rejects
        assert "stale\\\\xff.pth" in text  # the raw byte as visible \xff, its backslash JSON-escaped
        return
    if fmt == "junit":
        ET.fromstring(completed.stdout)  # well-formed XML
    # The escapes are visible where the characters were: \x1b[2J, the raw \xff of the file name.
    assert "1.0\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m" in text
    assert "stale\\xff.pth" in text


@pytest.mark.parametrize("command", ["fix --dry-run", "diff"])
def test_hostile_metadata_never_reaches_fix_plans_or_diff_raw(envdoctor_bin, hostile_venv, new_venv, tmp_path, command):
    if command == "diff":  # the hostile venv against a clean one: evil's version and the .pth are differences
        args = ["diff", str(new_venv().python), str(hostile_venv.python)]
    else:  # INT002 and PTH001 have no automatic fix: listed by title
        args = ["fix", "--python", str(hostile_venv.python), "--no-scan", "--dry-run"]
    completed = subprocess.run([envdoctor_bin, *args], capture_output=True, cwd=tmp_path, env=clean_env(), timeout=300)
    assert completed.returncode == 1, completed.stderr
    text = completed.stdout.decode("utf-8")
    assert not [char for char in RAW if char in text], text
    assert "1.0\\x1b[2J\\x1b]0;pwned\\x07" in text and "stale\\xff.pth" in text


def test_hostile_findings_are_exactly_these(run_envdoctor, hostile_venv, tmp_path):
    result = check_json(run_envdoctor, hostile_venv, cwd=tmp_path)
    site = str(hostile_venv.site_packages)
    assert pairs(result) == [("INT002", "evil"), ("PTH001", site + "/stale\\xff.pth")]


def test_snapshot_keeps_a_raw_file_name_byte_so_check_facts_sees_the_same_path(run_envdoctor, hostile_venv, tmp_path):
    """The snapshot is envdoctor's own facts, read back by `check --facts` and `diff`: it keeps
    the raw byte as Python's json writes it (an escaped surrogate, ASCII text), so the path
    round-trips; the reports made from it show it as \\xff (docs/reference/json-output.md)."""
    snapshot = run_envdoctor("snapshot", "--python", hostile_venv.python, "--no-scan", cwd=tmp_path)
    assert snapshot.returncode == 0, snapshot.stderr
    snapshot.stdout.encode("ascii")  # valid UTF-8 whatever the file names hold
    raw_path = str(hostile_venv.site_packages) + "/stale\udcff.pth"
    assert raw_path in [pth["path"] for pth in json.loads(snapshot.stdout)["pth_files"]]
    facts_file = tmp_path / "facts.json"
    facts_file.write_text(snapshot.stdout)
    replayed = run_envdoctor("check", "--facts", facts_file, "--format", "json", cwd=tmp_path)
    assert pairs(replayed) == pairs(check_json(run_envdoctor, hostile_venv, cwd=tmp_path))
    strict_json_loads(replayed.stdout)


# --- a config that never ends, a selection that leaves nothing -------------------------------------

def test_endless_config_is_a_usage_error(run_envdoctor, tmp_path):
    result = run_envdoctor("check", "--config", "/dev/zero", "--no-scan", cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "envdoctor: error: config /dev/zero: larger than 64 MiB; not read\n"


def test_selection_that_leaves_no_check_is_a_usage_error(run_envdoctor, venv_with_tiny, tmp_path):
    result = run_envdoctor("check", "--python", venv_with_tiny.python, "--select", "REQ", "--ignore", "REQ", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == ("envdoctor: error: the selection leaves no check to run (select: REQ; ignore: REQ); "
                             "see `envdoctor list`\n")
    # The near miss: the REQ checks but one run, and the venv is clean.
    kept = check_json(run_envdoctor, venv_with_tiny, "--select", "REQ", "--ignore", "REQ001", cwd=tmp_path)
    assert kept.returncode == 0 and pairs(kept) == []
    assert kept.json["checks_run"] == ["REQ002", "REQ003"]


def test_fix_says_could_not_check_like_check_does(envdoctor_bin, venv_with_tiny, tmp_path):
    # `fix` runs the same checks first: an environment it could not read is exit 2 there too,
    # not 1 ("errors found") or 0 ("nothing to fix").
    venv = venv_with_tiny
    dist_info = venv.site_packages / "tiny-1.0.dist-info"
    dist_info.chmod(0o000)
    try:
        result = run_as_unprivileged_user(envdoctor_bin, "fix", "--python", venv.python, "--dry-run", cwd=tmp_path)
    finally:
        dist_info.chmod(0o755)
    assert result.returncode == 2, (result.stdout, result.stderr)
