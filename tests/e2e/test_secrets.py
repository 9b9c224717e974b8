"""No planted secret leaves envdoctor, by any door: every command's stdout and stderr, every file it
writes (`-o` files in every format, the GitHub job summary, baselines, snapshots), the fix journal
(entry.json and step logs) and crash logs.

One real venv holds a secret of every kind a user's machine has: secret-named environment
variables (HF_TOKEN, AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, a custom *_TOKEN), index URLs with a
password and with a bare token (PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, the venv's pip.conf), a
direct_url.json with credentials and one with a presigned URL's signature, a token in a `.pth`
line's path and in a folder name (the project folder every output path goes through), a .pth
whose import lines set secret-named variables, and tokens in Requires-Dist URLs (userinfo and
query string).  Then every command that prints or writes runs
on it, a real fix included, and every byte is searched.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Dict, List

import pytest

from envdoctor.report.text import WIDTH
from tests.conftest import clean_env
from tests.e2e.test_fix import install_fixer_plugin, offline_env, state, venv_with_pip
from tests.helpers.terminal import on_a_terminal
from tests.helpers.venvs import make_venv
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow

# Built from parts, so that no secret scanner takes this file for a leak.  Each value is unique
# text, so finding it anywhere can only mean it was copied there.
HF_TOKEN = "hf_" + "PlantedHfEnvVariable0123456"
GITHUB_TOKEN = "ghp_" + "PlantedGithubEnvVariable" + "0123456789ab"
AWS_SECRET = "wJalrXUtnFEMI" + "/K7MDENG/bPxRfiCYplanted+"
CUSTOM_TOKEN = "acme-" + "planted-custom-token-value"
INDEX_PASSWORD = "PipIndexPassword" + "-planted"
EXTRA_INDEX_TOKEN = "PipExtraIndexBareToken" + "-planted"
CONF_PASSWORD = "PipConfPassword" + "-planted"
CONF_TOKEN = "PipConfBareToken" + "-planted"
DIRECT_URL_PASSWORD = "DirectUrlPassword" + "-planted"
PTH_PATH_TOKEN = "glpat-" + "PlantedPthPathToken012345"
FOLDER_TOKEN = "sk-" + "PlantedFolderNameToken012345"
REQUIRES_TOKEN = "RequiresDistBareToken" + "-planted"
REQUIRES_PASSWORD = "RequiresDistPassword" + "-planted"
REQUIRES_QUERY_TOKEN = "RequiresDistQueryToken" + "-planted"
PRESIGNED_SIGNATURE = "9f8e7d6c5b4a" + "presignedsignature"
PTH_SET_KEY = "PthSetApiKeyValue" + "-planted"
PTH_SET_TOKEN = "PthSetTokenValue" + "-planted"
SITE_KEYWORD_PASSWORD = "hunter3-" + "secretvalue"
SITE_CODE_KEY = "s3cr3t-" + "value-1234"

SECRETS = {
    "HF_TOKEN": HF_TOKEN, "GITHUB_TOKEN": GITHUB_TOKEN, "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
    "ACME_DEPLOY_TOKEN": CUSTOM_TOKEN, "PIP_INDEX_URL password": INDEX_PASSWORD,
    "PIP_EXTRA_INDEX_URL token": EXTRA_INDEX_TOKEN, "pip.conf password": CONF_PASSWORD, "pip.conf token": CONF_TOKEN,
    "direct_url.json password": DIRECT_URL_PASSWORD, ".pth path token": PTH_PATH_TOKEN,
    "folder-name token": FOLDER_TOKEN, "Requires-Dist token": REQUIRES_TOKEN, "Requires-Dist password": REQUIRES_PASSWORD,
    "Requires-Dist query token": REQUIRES_QUERY_TOKEN, "presigned URL signature": PRESIGNED_SIGNATURE,
    ".pth setdefault value": PTH_SET_KEY, ".pth os.environ value": PTH_SET_TOKEN,
    "sitecustomize keyword argument": SITE_KEYWORD_PASSWORD, "sitecustomize assignment": SITE_CODE_KEY,
}
# Nobody listens on the loopback discard port: a pip that tries one of these URLs fails at once.
NOWHERE = "127.0.0.1:9"

# A third-party fixer that installs from the user's private index, named in the command it plans:
# the index URL's password is in the plan, the journal's argv and the "[1] run" progress line.
PRIVATE_INDEX_FIXER = '''
import os
from envdoctor.fixes.fixer_api import fixer, FixPlan, InstallRequest


@fixer(name="private-index", kind="reinstall", codes=("TST001",))
def private_index(finding, context):
    """Installs the marker's package from the private index."""
    request = InstallRequest(("privdep==1.0",), index_url=os.environ["PIP_INDEX_URL"])
    return FixPlan("install privdep from the private index", (context.install_command("install privdep", request),))
'''

# A reporter plugin with a bug: its exception quotes a secret, as a careless error message might.
CRASHING_REPORTER = '''
import os


def render(context):
    raise RuntimeError("could not render for " + os.environ["PIP_INDEX_URL"] + " as " + os.environ["ACME_DEPLOY_TOKEN"])
'''


def leaks(text: str) -> List[str]:
    """The planted secrets found in `text` (JSON's escaped slashes undone)."""
    return [name for name, value in SECRETS.items() if value in text or value in text.replace("\\/", "/")]


def plant_secrets(tmp_path: Path):
    """The venv, its project folder (named with a token) and the environment, secrets everywhere."""
    venv = venv_with_pip(tmp_path / "venv")
    venv.install("idna==3.20")
    (venv.site_packages / "idna" / "core.py").unlink()  # INT001, fixed for real by a reinstall
    app = build_wheel(tmp_path / "wheels", "planted-app", "1.0", {"planted_app.py": ""}, requires=[
        f"privdep @ https://{REQUIRES_TOKEN}@{NOWHERE}/privdep-1.0-py3-none-any.whl",
        f"otherdep @ https://ci:{REQUIRES_PASSWORD}@{NOWHERE}/otherdep-1.0-py3-none-any.whl",
        f"thirddep @ https://{NOWHERE}/thirddep-1.0-py3-none-any.whl?private_token={REQUIRES_QUERY_TOKEN}",
    ])
    venv.install_files(app, extra=["--no-deps"])
    info = next(venv.site_packages.glob("planted_app-1.0.dist-info"))
    (info / "direct_url.json").write_text(json.dumps(
        {"url": f"https://deployer:{DIRECT_URL_PASSWORD}@{NOWHERE}/planted_app-1.0-py3-none-any.whl", "archive_info": {}}))
    # A wheel installed from a presigned download URL: pip records the URL with its signature.
    presigned = build_wheel(tmp_path / "wheels", "presigned-app", "1.0", {"presigned_app.py": ""})
    venv.install_files(presigned, extra=["--no-deps"])
    (next(venv.site_packages.glob("presigned_app-1.0.dist-info")) / "direct_url.json").write_text(json.dumps(
        {"url": f"https://bucket.s3.example.com/presigned_app-1.0-py3-none-any.whl?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                f"&X-Amz-Signature={PRESIGNED_SIGNATURE}&X-Amz-Expires=3600", "archive_info": {}}))
    (venv.site_packages / "planted-paths.pth").write_text(f"/opt/{PTH_PATH_TOKEN}/src\n")
    # A .pth that hands every process of the venv its keys (the values are in no environment envdoctor sees).
    (venv.site_packages / "planted-keys.pth").write_text(
        f'import os; os.environ.setdefault("ACME_API_KEY", "{PTH_SET_KEY}")\n'
        f'import os; os.environ["ACME_UPLOAD_TOKEN"] = "{PTH_SET_TOKEN}"\n')
    (venv.root / "pip.conf").write_text(
        f"[global]\nindex-url = https://confuser:{CONF_PASSWORD}@{NOWHERE}/simple\n"
        f"extra-index-url = https://{CONF_TOKEN}@{NOWHERE}/simple\n")
    project = tmp_path / FOLDER_TOKEN
    project.mkdir()
    plugins = install_fixer_plugin(tmp_path / "plugins", PRIVATE_INDEX_FIXER)  # TST001 (a missing marker) and its fixer
    (plugins / "crashing_reporter.py").write_text(CRASHING_REPORTER)
    metadata = plugins / "crashing_reporter-1.0.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text("Metadata-Version: 2.1\nName: crashing-reporter\nVersion: 1.0\n\n")
    (metadata / "entry_points.txt").write_text("[envdoctor.reporters]\ncrashing = crashing_reporter:render\n")
    env = offline_env(
        HF_TOKEN=HF_TOKEN, GITHUB_TOKEN=GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY=AWS_SECRET, ACME_DEPLOY_TOKEN=CUSTOM_TOKEN,
        PIP_INDEX_URL=f"https://pipuser:{INDEX_PASSWORD}@{NOWHERE}/simple",
        PIP_EXTRA_INDEX_URL=f"https://{EXTRA_INDEX_TOKEN}@{NOWHERE}/simple",
        PIP_RETRIES="0", PIP_TIMEOUT="2",
        GITHUB_STEP_SUMMARY=str(project / "step-summary.md"), XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    return venv, project, plugins, env


def test_no_planted_secret_appears_in_any_output(run_envdoctor, tmp_path):
    venv, project, plugins, env = plant_secrets(tmp_path)
    outputs: Dict[str, str] = {}

    def run(*args, extra_env=None):
        result = run_envdoctor(*args, cwd=project, env={**env, **(extra_env or {})})
        command = " ".join(map(str, args)).replace(str(tmp_path), "$TMP").replace(FOLDER_TOKEN, "$FOLDER")
        outputs[f"{command} (stdout)"] = result.stdout
        outputs[f"{command} (stderr)"] = result.stderr
        return result

    common = ("--python", venv.python, "--cwd", project, "--no-scan")
    formats = ("text", "json", "sarif", "junit", "github", "markdown")
    for fmt in formats:
        run("check", *common, "--format", fmt)
    run("check", *common, "--verbose")  # the facts behind the findings, the environment included
    checked = run("check", *common, "--format", "json", *[item for fmt in formats for item in ("-o", f"{fmt}={project / ('out.' + fmt)}")])
    assert checked.returncode == 1
    codes = {f["code"] for f in checked.json["findings"]}
    assert {"INT001", "PTH001", "REQ001"} <= codes, checked.stdout  # the planted breakages were seen
    assert (project / "step-summary.md").exists()  # the github format appended the job summary

    run("check", *common, "--write-baseline", project / "baseline.json")
    run("check", *common, "--baseline", project / "baseline.json")
    run("report", *common, "-o", project / "report.md")
    run("report", *common)
    run("snapshot", *common, "-o", project / "before.json")
    run("snapshot", *common)
    run("check", "--facts", project / "before.json", "--format", "json")
    run("report", "--facts", project / "before.json")
    run("explain", "PTH001")
    run("explain", GITHUB_TOKEN)  # an unknown code, quoted back in the error
    run("fix", *common, "--dry-run")
    run("fix", *common)  # not a terminal, no --yes: the plan only
    plugin = {"PYTHONPATH": str(plugins)}
    run("fix", *common, "--dry-run", "--select", "TST001", extra_env=plugin)
    failed = run("fix", *common, "--yes", "--select", "TST001", extra_env=plugin)  # pip finds no privdep: rolled back
    assert failed.returncode == 1 and "rolled back" in failed.stderr, failed.stdout + failed.stderr
    fixed = run("fix", *common, "--yes", "--select", "INT001")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    run("diff", project / "before.json", venv.root, "--cwd", project)
    run("diff", project / "before.json", venv.root, "--cwd", project, "--format", "json")
    run("undo", "--list", "--python", venv.python)
    undone = run("undo", "--python", venv.python)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    crashed = run("check", *common, "--format", "crashing", extra_env=plugin)
    assert crashed.returncode == 3 and "crash log" in crashed.stderr, crashed.stderr

    written = sorted(project.iterdir())
    journal = sorted(venv.root.glob(".envdoctor/journal/*/entry.json")) + sorted(venv.root.glob(".envdoctor/journal/*/step-*.log"))
    crash_logs = sorted((tmp_path / "cache" / "envdoctor").glob("crash-*.log"))
    assert len(crash_logs) == 1 and len(journal) >= 4, (crash_logs, journal)
    for path in written + journal + crash_logs:
        outputs[str(path.relative_to(tmp_path)).replace(FOLDER_TOKEN, "$FOLDER")] = path.read_text(errors="replace")

    found = {where: leaks(text) for where, text in outputs.items() if leaks(text)}
    assert found == {}, "\n".join(f"{where}: {names}" for where, names in found.items())


def test_a_venv_in_a_folder_named_with_a_token_is_fixed_and_undone_without_showing_it(run_envdoctor, tmp_path):
    """The journal on disk holds masked paths: `fix` and `undo` must still work from it (the backup's
    own manifest keeps the real paths, as it keeps the files), and say nothing of the token."""
    venv = venv_with_pip(tmp_path / FOLDER_TOKEN / "venv")
    venv.install("idna==3.20")
    (venv.site_packages / "idna" / "core.py").unlink()
    broken = state(venv)
    env = offline_env()
    results = [run_envdoctor("fix", "--python", venv.python, "--yes", "--no-scan", cwd=tmp_path, env=env)]
    assert results[0].returncode == 0, results[0].stderr
    assert venv.run("import idna").returncode == 0
    results.append(run_envdoctor("undo", "--list", "--python", venv.python, cwd=tmp_path, env=env))
    results.append(run_envdoctor("undo", "--python", venv.python, cwd=tmp_path, env=env))
    assert results[-1].returncode == 0, results[-1].stderr
    assert state(venv) == broken
    journal = [*venv.root.glob(".envdoctor/journal/*/entry.json"), *venv.root.glob(".envdoctor/journal/*/step-*.log")]
    assert len(journal) == 2
    texts = [text for result in results for text in (result.stdout, result.stderr)] + [p.read_text() for p in journal]
    assert [text for text in texts if FOLDER_TOKEN in text] == []
    assert all("[redacted]/venv" in text for text in texts[:2])  # the paths are there, masked


def run_on_a_terminal(*argv: str, cwd: Path) -> str:
    """What `argv` shows on a terminal: stdout and stderr are a real pseudo-terminal (colour, rich's layout)."""
    env = clean_env(TERM="xterm")
    env.pop("NO_COLOR", None)
    return on_a_terminal(*argv, cwd=cwd, env=env)


def test_a_token_cut_by_the_terminal_layout_is_masked_whole(envdoctor_bin, tmp_path):
    """On a terminal the text report folds a word longer than the line (a path) at column 100: the
    token in the venv's folder name must be masked before the fold cuts it in two, when neither half
    looks like a token any more."""
    # The path starts a line of its own (it does not fit after the header); the fold falls 12
    # characters into the token: "sk-PlantedFo" | "lderNameToken012345".
    padding = WIDTH - 12 - len(f"{tmp_path}//")
    assert padding > 0, "the test's temporary folder is too long for the fold to cut the token"
    venv = make_venv(tmp_path / ("p" * padding) / FOLDER_TOKEN / "venv")
    shown = run_on_a_terminal(envdoctor_bin, "check", "--python", str(venv.python), "--no-scan", cwd=tmp_path)
    assert "\x1b[" in shown  # coloured: laid out by rich
    assert [part for part in (FOLDER_TOKEN[:12], FOLDER_TOKEN[12:]) if part in shown] == []
    assert "[redacted]/venv" in shown.replace("\r\n", "")  # the path is shown (folded), masked


def test_an_environment_compared_with_its_own_snapshot_shows_no_masked_difference(run_envdoctor, new_venv, tmp_path):
    """A snapshot is written masked; the live side of `diff` and `check --against` is masked the
    same way before comparing, or every token and index password would read as a change
    ("/opt/[redacted]/src -> /opt/[redacted]/src").  A real change still shows."""
    venv = new_venv()
    pth = venv.site_packages / "planted-paths.pth"
    pth.write_text(f"/opt/{PTH_PATH_TOKEN}/src\n")
    env = clean_env(PIP_INDEX_URL=f"https://pipuser:{INDEX_PASSWORD}@{NOWHERE}/simple")
    snapshot = tmp_path / "known-good.json"
    assert run_envdoctor("snapshot", "--python", venv.python, "--no-scan", "-o", snapshot, cwd=tmp_path, env=env).returncode == 0

    same = run_envdoctor("diff", snapshot, venv.python, "--format", "json", cwd=tmp_path, env=env)
    assert (same.returncode, same.json["differences"]) == (0, []), same.stdout
    against = run_envdoctor("check", "--python", venv.python, "--no-scan", "--against", snapshot, "--format", "json",
                            "--select", "EXP002", cwd=tmp_path, env=env)
    assert (against.returncode, against.codes()) == (0, []), against.stdout

    pth.write_text("/opt/another/src\n")
    changed = run_envdoctor("diff", snapshot, venv.python, "--format", "json", cwd=tmp_path, env=env)
    assert changed.returncode == 1
    assert [(d["subject"], d["before"], d["after"]) for d in changed.json["differences"]] == [
        (f"<prefix>/{pth.relative_to(venv.root)} lines", "/opt/[redacted]/src", "/opt/another/src")]
    drifted = run_envdoctor("check", "--python", venv.python, "--no-scan", "--against", snapshot, "--format", "json",
                            "--select", "EXP002", cwd=tmp_path, env=env)
    assert drifted.codes() == ["EXP002"], drifted.stdout


# A step that names the private index on its command line, prints it (as a downloader logs what it
# fetches) and runs until it is killed: the step log holds the URL while the step runs.
SLOW_STEP_FIXER = '''
import os
from envdoctor.fixes.fixer_api import fixer, FixPlan, RunCommand

FETCH = "import os, sys, time; print('fetching', sys.argv[2], flush=True); open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(300)"


@fixer(name="slow-private-fetch", kind="reinstall", codes=("TST001",))
def slow_private_fetch(finding, context):
    """Fetches from the private index, slowly."""
    site = context.facts.interpreter.site_packages[0]
    argv = (context.facts.target.python, "-c", FETCH, os.environ["STEP_MARKER"], os.environ["PIP_INDEX_URL"])
    return FixPlan("fetch the marker from the private index", (RunCommand(argv, "fetch", (site,)),))
'''


def test_a_fix_killed_in_the_middle_of_a_step_leaves_no_secret_after_undo(run_envdoctor, envdoctor_bin, new_venv, tmp_path):
    """kill -9 while a step runs: its log was never closed by the executor (which masks a log when
    the step ends).  `undo` masks the logs of the entry it puts back; the command line written at
    the top of the log is masked from the start."""
    plugins = install_fixer_plugin(tmp_path / "plugins", SLOW_STEP_FIXER)
    venv = new_venv()
    marker = tmp_path / "step-running"
    env = offline_env(PYTHONPATH=str(plugins), STEP_MARKER=str(marker),
                      PIP_INDEX_URL=f"https://pipuser:{INDEX_PASSWORD}@{NOWHERE}/simple")
    fixing = subprocess.Popen([envdoctor_bin, "fix", "--python", str(venv.python), "--yes", "--select", "TST001"],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not marker.exists() or not marker.read_text():
        assert fixing.poll() is None, "envdoctor fix ended before its step ran"
        assert time.monotonic() < deadline, "the step never started"
        time.sleep(0.1)
    fixing.send_signal(signal.SIGKILL)
    fixing.wait()
    try:  # the step's process too, as a reboot would (on Linux it dies with envdoctor already)
        os.kill(int(marker.read_text()), signal.SIGKILL)
    except ProcessLookupError:
        pass
    log = next(venv.root.glob(".envdoctor/journal/*/step-1.log"))
    command_line, printed = log.read_text().splitlines()
    assert command_line.startswith("$ ") and leaks(command_line) == []  # masked when it was written
    assert leaks(printed) == ["PIP_INDEX_URL password"]  # the command's own output: as it printed it

    undone = run_envdoctor("undo", "--python", venv.python, cwd=tmp_path, env=env)
    assert undone.returncode == 0, undone.stderr
    entry = log.parent / "entry.json"
    texts = {"step-1.log": log.read_text(), "entry.json": entry.read_text(), "undo": undone.stdout + undone.stderr}
    assert {where: leaks(text) for where, text in texts.items() if leaks(text)} == {}
    assert texts["step-1.log"].count(f"https://[redacted]@{NOWHERE}/simple") == 2


# A sitecustomize that sets its secrets in code, then fails: the target's traceback quotes the lines.
FAILING_SITECUSTOMIZE = f"""import os
API_KEY = "{SITE_CODE_KEY}"
os.environ.update(MY_PASSWORD="{SITE_KEYWORD_PASSWORD}"); raise SystemExit(3)
"""


def test_secrets_set_in_code_are_masked_and_every_json_output_still_loads(run_envdoctor, new_venv, tmp_path):
    """Evidence that quotes code (`NAME="v"`, `NAME = "v"`) is masked in every format; in the JSON
    formats the quotes are escaped (`NAME=\\"v\\"`), and masking must keep the escaping backslash or the
    string ends early, the file is no longer JSON and the rest of the value is shown."""
    venv = new_venv()
    (venv.site_packages / "sitecustomize.py").write_text(FAILING_SITECUSTOMIZE)
    common = ("--python", venv.python, "--no-scan")
    outputs: Dict[str, str] = {}
    for fmt in ("text", "json", "sarif", "junit", "github", "markdown"):
        outputs[fmt] = run_envdoctor("check", *common, "--format", fmt, cwd=tmp_path).stdout
    snapshot = tmp_path / "snapshot.json"
    run_envdoctor("snapshot", *common, "-o", snapshot, cwd=tmp_path)
    outputs["snapshot"] = snapshot.read_text()
    outputs["diff json"] = run_envdoctor("diff", snapshot, venv.python, "--format", "json", cwd=tmp_path).stdout

    assert SITE_CODE_KEY in (venv.site_packages / "sitecustomize.py").read_text()
    assert "SystemExit" in outputs["text"] and "MY_PASSWORD" in outputs["text"], outputs["text"]  # the code is quoted
    for fmt in ("json", "sarif", "snapshot", "diff json"):
        json.loads(outputs[fmt])  # no JSONDecodeError
    assert 'MY_PASSWORD=\\"[redacted]\\"' in outputs["json"], outputs["json"]
    found = {fmt: leaks(text) for fmt, text in outputs.items() if leaks(text)}
    assert found == {}, found
