"""The one redaction policy: every token shape and URL form, in text, paths and JSON-like documents."""

from __future__ import annotations

import json

import pytest

from envdoctor.redaction import is_secret_name, redact_document, redact_text, redacted_json
from envdoctor.vocabulary.secrets import MASK, TEXT_MASK

# Built from parts, so that no scanner takes this file for a leak.
HF = "hf_" + "a1B2c3D4e5F6g7H8i9J0kLmNoP"
GHP = "ghp_" + "Z" * 36
GITHUB_PAT = "github_pat_" + "11AAAA" * 6
GLPAT = "glpat-" + "x1Y2z3" * 4
SK = "sk-" + "proj-" + "Q" * 24
AWS = "AKIA" + "ABCDEFGHIJKLMNOP"
SLACK = "xoxb-" + "1234567890-abcdef"
TOKENS = [HF, GHP, GITHUB_PAT, GLPAT, SK, AWS, SLACK]


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("template", [
    "{}",
    "token {} in a sentence",
    "/opt/{}/lib/python3.11/site-packages",  # inside a path
    "/home/u/.cache/{}.pth",
    '{{"path": "/opt/{}/x"}}',  # inside JSON
    "file:///opt/{}/wheel.whl",
])
def test_token_shapes_are_masked_wherever_they_appear(token, template):
    text = template.format(token)
    masked = redact_text(text)
    assert token not in masked and TEXT_MASK in masked


def test_bearer_token():
    assert redact_text("Authorization: Bearer abcdefghijklmnop0123") == f"Authorization: Bearer {TEXT_MASK}"


@pytest.mark.parametrize("url, expected", [
    ("https://user:p4ss@host/simple", f"https://{TEXT_MASK}@host/simple"),
    ("https://TOKEN123@host/simple", f"https://{TEXT_MASK}@host/simple"),
    ("git+https://oauth2:glt0ken@gitlab.example/org/repo.git@v1.0", f"git+https://{TEXT_MASK}@gitlab.example/org/repo.git@v1.0"),
    ("--index-url=https://u:p@pypi.example/simple/ next", f"--index-url=https://{TEXT_MASK}@pypi.example/simple/ next"),
    ("/opt/cache/https://u:p@host/x", f"/opt/cache/https://{TEXT_MASK}@host/x"),  # inside a path
])
def test_url_userinfo_is_masked(url, expected):
    assert redact_text(url) == expected


@pytest.mark.parametrize("text", [
    "https://pypi.org/simple/torch/",
    "/venv/lib/python3.11/site-packages/hf_xet-1.6.0.dist-info",  # a distribution, not a token
    "git+https://github.com/org/repo.git@v1.0",  # a ref after the path, not userinfo
    "file:///home/u/pkg@1.0/x",
    "task-runner-for-this-long-project-name",
    "SGLANG_USE_AITER=1 CUDA_VISIBLE_DEVICES=0,1",
    "requests->idna key=requests->idna",
])
def test_healthy_near_misses_stay(text):
    assert redact_text(text) == text


def test_secret_names():
    for name in ("HF_TOKEN", "AWS_SECRET_ACCESS_KEY", "MY_SERVICE_PASSWORD", "GITHUB_PAT", "PAT_FOR_CI", "session_id", "DB_PASSPHRASE"):
        assert is_secret_name(name), name
    for name in ("PATH", "PYTHONPATH", "CUDA_VISIBLE_DEVICES", "SSH_AUTH_SOCK", "KEYTIMEOUT", "PIP_INDEX_URL"):
        assert not is_secret_name(name), name


def test_values_of_secret_named_variables_in_every_spelling(monkeypatch):
    password = "s3cr3t-Pa55&word<x>"
    monkeypatch.setenv("MY_SERVICE_PASSWORD", password)
    target = {"OTHER_TOKEN": "tok-value-123", "CUDA_VISIBLE_DEVICES": "0"}
    text = " | ".join([password, json.dumps(password), password.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
                       "tok-value-123", "CUDA_VISIBLE_DEVICES=0"])
    masked = redact_text(text, target)
    assert password not in masked and "&amp;" not in masked and "tok-value-123" not in masked
    assert "CUDA_VISIBLE_DEVICES=0" in masked


def test_assignments_of_secret_named_variables():
    assert redact_text("HF_TOKEN=abc123 run") == f"HF_TOKEN={TEXT_MASK} run"
    assert redact_text('{"API_KEY": "plain-value"}') == f'{{"API_KEY": "{TEXT_MASK}"}}'
    assert redact_text(f"HF_TOKEN={MASK}") == f"HF_TOKEN={MASK}"  # the probe's mask stays as the facts have it


def test_home_only_when_asked(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "alice"))
    text = f"{tmp_path}/alice/.venv/bin/python"
    assert redact_text(text) == text
    assert redact_text(text, home=True) == "~/.venv/bin/python"


def test_document_masks_values_keys_and_secret_named_variables():
    document = {
        "interpreter": {"environment": {"PIP_INDEX_URL": "https://user:p4ss@host/simple", "HF_TOKEN": MASK, "NEW_SECRET": "plain"}},
        "distributions": [{"direct_url": {"url": "https://TOKEN123@host/pkg.whl"}, "files": [f"/opt/{HF}/x.py"]}],
        f"/opt/{GHP}": 3,
        "key": "requests->idna",  # a finding's key: lower-case, not a variable
        "count": 2, "flag": True, "nothing": None,
    }
    masked = redact_document(document)
    text = json.dumps(masked)
    for secret in ("user:p4ss", "TOKEN123", HF, GHP, "plain"):
        assert secret not in text
    assert masked["interpreter"]["environment"]["HF_TOKEN"] == MASK
    assert masked["key"] == "requests->idna" and masked["count"] == 2 and masked["flag"] is True and masked["nothing"] is None
    assert document["interpreter"]["environment"]["PIP_INDEX_URL"].startswith("https://user:")  # a copy: the input is untouched


def test_redacted_json_is_json():
    assert json.loads(redacted_json({"url": "https://u:p@h/"})) == {"url": f"https://{TEXT_MASK}@h/"}


def test_journal_files_are_redacted(tmp_path):
    from envdoctor.fixes.journal import Journal

    entry = Journal(str(tmp_path)).create("/venv/bin/python", [], {"torch": f"2.0 from https://user:p4ss@host/{HF}"})
    entry.log_path(0).write_text(f"$ pip install --index-url https://TOKEN123@host/simple x\nLooking in /opt/{GHP}\n")
    entry.step(0, status="started")
    assert "TOKEN123" in entry.log_path(0).read_text()  # still running: the command owns the file
    entry.step(0, status="done", returncode=0)
    saved = (entry.path / "entry.json").read_text()
    log = entry.log_path(0).read_text()
    for secret in ("user:p4ss", HF, "TOKEN123", GHP):
        assert secret not in saved and secret not in log
    assert "user:p4ss" in entry.data["versions_before"]["torch"]  # the entry in memory is not changed


def test_baseline_is_redacted():
    from envdoctor.engine import CheckRun
    from envdoctor.model.finding import Finding, Severity
    from envdoctor.policy import write_baseline

    finding = Finding("PTH001", "pth-missing-path", Severity.WARNING, f"x.pth adds /opt/{HF}, which does not exist",
                      subject=f"/opt/{HF}", key=f"https://user:p4ss@host/{AWS}")
    text, count = write_baseline(CheckRun(findings=(finding,), skipped=(), ran=("PTH001",)))
    assert count == 1 and json.loads(text)["findings"][0]["code"] == "PTH001"
    for secret in (HF, "user:p4ss", AWS):
        assert secret not in text


def test_crash_log_and_error_messages_are_redacted(monkeypatch, tmp_path):
    """argv and the exception text go into the crash log; both masked (the boundary's one door)."""
    import typer

    from envdoctor.boundary import guarded

    token = "ghp_" + "C" * 36
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr("sys.argv", ["envdoctor", "check", "--python", f"/opt/{token}/bin/python"])

    def crash() -> int:
        raise RuntimeError(f"failed on https://user:hunter22@host/simple and {token}")

    with pytest.raises(typer.Exit) as exit_info:
        guarded(crash)
    assert exit_info.value.exit_code == 3
    logs = list((tmp_path / "envdoctor").glob("crash-*.log"))
    assert len(logs) == 1
    text = logs[0].read_text()
    assert "RuntimeError" in text and "check" in text
    assert token not in text and "hunter22" not in text


def test_the_crash_message_masks_the_crash_log_path_too(monkeypatch, tmp_path, capsys):
    import typer

    from envdoctor.boundary import guarded

    token = "ghp_" + "D" * 36
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / token))

    def crash() -> int:
        raise RuntimeError("a bug")

    with pytest.raises(typer.Exit):
        guarded(crash)
    message = capsys.readouterr().err
    assert message.startswith(f"envdoctor: internal error: RuntimeError: a bug; crash log: {tmp_path}/{TEXT_MASK}/envdoctor/crash-")
    assert token not in message
    assert (tmp_path / token / "envdoctor").is_dir()  # written where asked


# --- Cases added for the mutation run (tests/mutation): each kills mutants no case above noticed. ---

def test_every_spelling_of_a_secret_value_is_masked_exactly():
    from envdoctor.redaction import _forms
    value = 'a&b<c>"d\\e%f:g,h\ri\nj k|l'
    assert list(_forms(value)) == [
        value,
        'a&b<c>\\"d\\\\e%f:g,h\\ri\\nj k|l',  # inside a JSON string
        'a&amp;b&lt;c&gt;&quot;d\\e%f:g,h\ri\nj k|l',  # an XML attribute
        'a&amp;b&lt;c&gt;"d\\e%f:g,h\ri\nj k|l',  # XML text
        'a&b<c>"d\\e%25f:g,h%0Di%0Aj k|l',  # a GitHub annotation's message
        'a&b<c>"d\\e%25f%3Ag%2Ch%0Di%0Aj k|l',  # a GitHub annotation's property
        "a%26b%3Cc%3E%22d%5Ce%25f%3Ag%2Ch%0Di%0Aj%20k%7Cl",  # a SARIF URI
        'a&b<c>"d\\e%f:g,h\ri j k\\|l',  # a Markdown table's cell
    ]


def test_secret_values_in_github_annotations_sarif_uris_and_markdown_cells_are_masked(monkeypatch):
    """The reporters' own escaping (report/github.py, report/sarif.py, report/markdown.py) turns a
    secret's %, :, , and newlines into %-codes, its | into \\|: those spellings are masked too."""
    from urllib.parse import quote

    from envdoctor.report.github import _data, _property

    password = "s3cr:et,pa%ss\nword+/x|y"
    monkeypatch.setenv("DEPLOY_PASSWORD", password)
    from envdoctor.report.markdown import _cell

    for rendered in (f"::error title=x::{_data(password)}", f"::error file={_property('/p/' + password)}::x",
                     f'"uri": "{quote("p/" + password)}"', f"| {_cell(password + '|')} |"):
        masked = redact_text(rendered)
        assert TEXT_MASK in masked and "pa%" not in masked and "pa%25" not in masked and "et%2C" not in masked


def test_secret_values_in_json_and_xml_output_are_masked(monkeypatch):
    import xml.etree.ElementTree as ElementTree
    password = 'pa&ss<w>"rd\\x'
    monkeypatch.setenv("MY_SERVICE_PASSWORD", password)
    element = ElementTree.Element("e", {"value": password})
    element.text = password
    for rendered in (json.dumps({"v": password}), ElementTree.tostring(element, encoding="unicode")):
        masked = redact_text(rendered)
        assert TEXT_MASK in masked and "pa&" not in masked and "ss&lt;" not in masked and "ss<" not in masked


def test_only_long_values_of_secret_named_variables_are_searched():
    from envdoctor.redaction import secret_values
    assert secret_values({"A_TOKEN": "abcd", "B_TOKEN": "abc", "PATH": "/usr/bin", "C_KEY": 1234}, None) == {"abcd"}
    assert secret_values({"A_TOKEN": "abcd"}, {"B_SECRET": "efgh"}) == {"abcd", "efgh"}


def test_home_with_a_trailing_slash_and_a_home_that_is_the_root(monkeypatch):
    monkeypatch.setenv("HOME", "/home/alice/")
    assert redact_text("/home/alice/.venv /home/alicex", home=True) == "~/.venv /home/alicex"
    assert redact_text("/home/alice", home=True) == "~"
    monkeypatch.setenv("HOME", "/")
    assert redact_text("/usr/lib a/b", home=True) == "/usr/lib a/b"  # no home to mask, not every "/"


def test_redacted_json_is_indented_and_masks_the_given_environment():
    assert redacted_json({"a": [1]}) == '{\n "a": [\n  1\n ]\n}\n'
    assert redacted_json({"a": 1}, indent=None) == '{"a": 1}\n'
    assert redacted_json({"log": "the value target-secret-1"}, {"THE_TOKEN": "target-secret-1"}) == (
        '{\n "log": "the value ' + TEXT_MASK + '"\n}\n')


def test_a_secret_inside_another_is_masked_whole():
    # The longer value first: masking "b1234" first would leave "a…x" of the longer one.
    environment = {"SHORT_TOKEN": "b1234", "LONG_TOKEN": "ab1234x"}
    assert redact_text("ab1234x and b1234", environment) == f"{TEXT_MASK} and {TEXT_MASK}"


def test_document_keys_that_are_not_text_stay():
    assert redact_document({1: "a", None: [2.5]}) == {1: "a", None: [2.5]}


def test_document_home_and_target_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "bob"))
    document = {"path": f"{tmp_path}/bob/.venv", "log": "the value target-secret-1"}
    assert redact_document(document, {"THE_TOKEN": "target-secret-1"}, home=True) == {
        "path": "~/.venv", "log": f"the value {TEXT_MASK}"}
    assert redact_document(document)["path"] == f"{tmp_path}/bob/.venv"


def test_home_is_masked_only_when_asked_of_a_redactor_too(monkeypatch, tmp_path):
    from envdoctor.redaction import redactor
    monkeypatch.setenv("HOME", str(tmp_path / "carol"))
    assert redactor().text(f"{tmp_path}/carol/x") == f"{tmp_path}/carol/x"
    assert redactor(home=True).text(f"{tmp_path}/carol/x") == "~/x"


def test_a_home_ending_in_a_letter_x_is_masked_whole(monkeypatch):
    monkeypatch.setenv("HOME", "/home/userX")
    assert redact_text("/home/userX/.venv", home=True) == "~/.venv"


def test_every_step_log_of_an_entry_is_masked_on_demand(tmp_path):
    """A step killed while running keeps its raw log; redact_logs (undo calls it) masks every step's,
    the last one included, and a step without a log is no error."""
    from envdoctor.fixes.journal import Journal

    entry = Journal(str(tmp_path)).create("/venv/bin/python", [], {})
    for step in range(3):
        entry.step(step, status="started")
    for step in (0, 1):
        entry.log_path(step).write_text(f"fetching https://u:hunter22@host/simple from /opt/{GHP}\n")
    entry.redact_logs()
    for step in (0, 1):
        assert entry.log_path(step).read_text() == f"fetching https://{TEXT_MASK}@host/simple from /opt/{TEXT_MASK}\n"
    assert not entry.log_path(2).exists()


@pytest.mark.parametrize("url, expected", [
    ("https://b.s3.example.com/p.whl?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=9f8e7d&X-Amz-Date=20261130",
     f"https://b.s3.example.com/p.whl?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature={TEXT_MASK}&X-Amz-Date=20261130"),
    ("https://h/simple/?private_token=glt0k3n next", f"https://h/simple/?private_token={TEXT_MASK} next"),
    ("https://acct.blob.example.net/w.whl?sv=2024&sig=abc%2Bdef#frag", f"https://acct.blob.example.net/w.whl?sv=2024&sig={TEXT_MASK}#frag"),
    ('{"url": "https://h/x?access_token=a1b2"}', f'{{"url": "https://h/x?access_token={TEXT_MASK}"}}'),  # inside JSON
    ("<r url='https://h/x?v=1&amp;X-Amz-Security-Token=zz9'/>", f"<r url='https://h/x?v=1&amp;X-Amz-Security-Token={TEXT_MASK}'/>"),  # XML
    ("https://h/x?api.key=k1<", f"https://h/x?api.key={TEXT_MASK}<"),
])
def test_query_parameters_with_secret_names_are_masked(url, expected):
    assert redact_text(url) == expected


@pytest.mark.parametrize("text", [
    "https://download.pytorch.org/whl/cu128?version=1.0&X-Amz-Date=20261130",
    "https://h/x.whl?a=1#sha256=abc123",  # the fragment after the query is not a parameter
    "no query: token=abc key=value",
    "https://h/x?token=",  # nothing to mask
    "https://h/x?signal=SIGINT&pattern=a",  # SIG only as a whole part, PAT likewise
])
def test_query_parameter_near_misses_stay(text):
    assert redact_text(text) == text


def test_sig_is_secret_only_as_a_whole_part():
    assert is_secret_name("sig") and is_secret_name("AZURE_SAS_SIG")
    assert not is_secret_name("SIGNAL") and not is_secret_name("SIGINT_HANDLER")


@pytest.mark.parametrize("code, expected", [
    ('import os; os.environ.setdefault("ACME_API_KEY", "k3y-v4lue")', f'import os; os.environ.setdefault("ACME_API_KEY", "{TEXT_MASK}")'),
    ("os.putenv( 'DB_PASSWORD' , 'hunter2')", f"os.putenv( 'DB_PASSWORD' , '{TEXT_MASK}')"),
    ('os.environ["UPLOAD_TOKEN"] = "t0k"; x = 1', f'os.environ["UPLOAD_TOKEN"] = "{TEXT_MASK}"; x = 1'),
    ("{'DB_PASSWORD': 'hunter2', 'HOST': 'db'}", f"{{'DB_PASSWORD': '{TEXT_MASK}', 'HOST': 'db'}}"),
    ('"text": "os.environ[\\"UPLOAD_TOKEN\\"]=\\"t0k\\""', f'"text": "os.environ[\\"UPLOAD_TOKEN\\"]=\\"{TEXT_MASK}\\""'),  # JSON-escaped
    ('"setdefault(\\"A_KEY\\", \\"zz9\\")"', f'"setdefault(\\"A_KEY\\", \\"{TEXT_MASK}\\")"'),
])
def test_quoted_secret_names_and_their_values_in_code_and_data(code, expected):
    assert redact_text(code) == expected


@pytest.mark.parametrize("text", [
    '["HF_TOKEN", "PATH"]',  # a list of names: no value follows a name
    '{"CUDA_HOME": "/usr/local/cuda", "key": "requests->idna"}',
    'os.environ.setdefault("CUDA_HOME", "/usr/local/cuda")',
    f'{{"HF_TOKEN": "{MASK}"}}',  # the probe's mask stays as the facts have it
    'token = os.environ.get("HF_TOKEN") or ask("HF_TOKEN")',  # read, not set
])
def test_quoted_near_misses_stay(text):
    assert redact_text(text) == text


@pytest.mark.parametrize("code, expected", [
    ('os.environ.update(MY_PASSWORD="hunter3-secret")', f'os.environ.update(MY_PASSWORD="{TEXT_MASK}")'),  # a keyword argument
    ('API_KEY = "s3cr3t-value-1234"', f'API_KEY = "{TEXT_MASK}"'),  # the plain code form: spaces round "="
    ("API_KEY\t=\t's3cr3t'", f"API_KEY\t=\t'{TEXT_MASK}'"),
    ('"update(MY_PASSWORD=\\"hunter3-secret\\")"', f'"update(MY_PASSWORD=\\"{TEXT_MASK}\\")"'),  # JSON-escaped: the backslash stays
])
def test_assignments_in_code_keep_their_quotes(code, expected):
    assert redact_text(code) == expected


@pytest.mark.parametrize("text", [
    'if API_KEY == "s3cr3t-value-1234":',  # a comparison, not an assignment
    'CUDA_HOME = "/usr/local/cuda"',
    "API_KEY =\nvalue",  # "=" at the end of a line: the next line is not its value
    'os.environ.update(MY_PASSWORD="<redacted>")',  # the probe's mask stays as the facts have it
])
def test_assignment_near_misses_stay(text):
    assert redact_text(text) == text


@pytest.mark.parametrize("indent", [None, 1, 2])
def test_json_text_stays_json_once_assignments_in_it_are_masked(indent):
    """A report's JSON (json, sarif, a snapshot, a diff) is redacted as text: masking a value must not
    eat the backslash that escapes its quote, or the string ends early and the rest is not JSON."""
    values = ['os.environ.update(MY_PASSWORD="hunter3-secret"); raise SystemExit(3)', 'API_KEY = "s3cr3t-value-1234"',
              "os.environ.update(MY_PASSWORD='hunter3-secret')", 'API_KEY=\\"s3cr3t-value-1234\\"']
    document = {"findings": [{"evidence": value, "lines": [value, value]} for value in values]}
    text = redact_text(json.dumps(document, indent=indent))
    loaded = json.loads(text)
    assert "hunter3-secret" not in text and "s3cr3t-value-1234" not in text
    assert loaded["findings"][0]["evidence"] == f'os.environ.update(MY_PASSWORD="{TEXT_MASK}"); raise SystemExit(3)'
