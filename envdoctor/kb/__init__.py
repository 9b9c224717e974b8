"""The knowledge base: known incompatibilities as data (TOML rule files), evaluated by one engine.

A rule file holds `[[rule]]` tables; envdoctor ships its own in envdoctor/kb/rules/
and users add theirs with `rules = ["path.toml"]` in [tool.envdoctor].  Each rule
becomes a check of its own (code, name, `envdoctor explain`, --select), so a rule
is reported, selected and documented exactly like code.  The format is
docs/knowledge-base.md.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import field
from typing import Any, Dict, Iterator, List, Sequence, Tuple

from envdoctor.data_files import read_toml
from envdoctor.errors import PluginError
from envdoctor.model.record import Record, record

RULES_FOLDER = os.path.join(os.path.dirname(__file__), "rules")
SEVERITIES = ("error", "warning", "info")
MATCH_KEYS = {
    "distributions": "installed distributions and version specifiers: {torch = \"<2.12\", vllm = \"\"}",
    "distributions_absent": "distributions none of which is installed: [\"flashinfer-jit-cache\"]",
    "pins": "a distribution's exact Requires-Dist pin on another: {sglang = {flashinfer-python = \"<0.6.10\"}}",
    "python": "a specifier on the target's Python version",
    "platform": "sys.platform prefixes: [\"linux\", \"darwin\"]",
    "torch_build": "torch's variant: [\"cuda\", \"rocm\", \"cpu\"]",
    "torch_cuda": "a specifier on the CUDA version torch is built for",
    "gpu_capability": "a specifier matched by any NVIDIA GPU's compute capability",
    "cuda_toolkit": "\"absent\" or \"present\": a CUDA toolkit (CUDA_HOME, /usr/local/cuda)",
    "package_files_absent": "files missing from a stack package's folder: {triton_kernels = [\"routing.py\"]}",
    "environment": "environment variables and values: {SGLANG_USE_AITER = \"1\"}",
    "unless_shim": "the name of an envdoctor shim whose presence means the problem is handled: \"torch-patches\"",
}
FIX_KEYS = ("kind", "summary", "requirement", "command", "fixer")


@record
class Rule(Record):
    code: str
    name: str
    severity: str
    title: str
    summary: str
    explanation: str
    match: Dict[str, Any]
    references: Tuple[str, ...] = ()
    fix: Dict[str, str] = field(default_factory=dict)
    example: str = ""
    severity_reason: str = ""  # why this severity, for the docs: what breaks for the user, and when
    source: str = ""  # the rule file


def _rule(table: Dict[str, Any], path: str) -> Rule:
    where = f"rule file {path}, rule {table.get('code', '?')}"
    problems = []
    for key in ("code", "name", "severity", "title", "summary", "explanation", "match"):
        if key not in table:
            problems.append(f"lacks {key!r}")
    if table.get("severity") not in SEVERITIES:
        problems.append(f"severity must be one of {', '.join(SEVERITIES)}")
    match = table.get("match", {})
    if not isinstance(match, dict) or not match:
        problems.append("match must be a non-empty table")
    else:
        problems += [f"unknown match key {k!r} (known: {', '.join(MATCH_KEYS)})" for k in match if k not in MATCH_KEYS]
        absent = match.get("distributions_absent", [])
        if not isinstance(absent, list) or not all(isinstance(name, str) for name in absent):
            problems.append("distributions_absent must be a list of distribution names")
    fix = table.get("fix", {})
    problems += [f"unknown fix key {k!r}" for k in fix if k not in FIX_KEYS]
    unknown = set(table) - {"code", "name", "severity", "title", "summary", "explanation", "match", "references", "fix", "example",
                            "severity_reason"}
    problems += [f"unknown key {k!r}" for k in sorted(unknown)]
    if problems:
        raise PluginError(f"{where}: " + "; ".join(problems))
    return Rule(
        code=table["code"], name=table["name"], severity=table["severity"], title=table["title"],
        summary=table["summary"], explanation=table["explanation"].strip(), match=match,
        references=tuple(table.get("references", ())), fix=dict(fix), example=table.get("example", ""), source=path,
        severity_reason=" ".join(str(table.get("severity_reason", "")).split()),
    )


def load_rules(paths: Sequence[str]) -> List[Rule]:
    rules = []
    for path in paths:
        tables = rule_file_data(path).get("rule", [])
        if not isinstance(tables, list):
            raise PluginError(f"rule file {path}: expected [[rule]] tables")
        rules += [_rule(table, path) for table in tables]
    return rules


# A rule file's data is kept in the user's cache only once its file has not changed for this long:
# a file edited within the same mtime tick as it was read would otherwise keep a stale copy.
SETTLED_NS = 2 * 10 ** 9


def rule_file_data(path: str) -> Dict[str, Any]:
    """A rule file's TOML data, read from a copy in the user's cache while the file's (path, size,
    mtime, ctime, inode) are those it was read with.  Every check run loads the built-in rule files;
    parsing them (and importing tomllib) was ~15 ms of each start.  A file that cannot be stat'ed
    or a copy that cannot be kept (a TOML datetime has no marshal form) is read as before."""
    import time
    import zlib

    from envdoctor.vocabulary.cache_files import cache_folder, read_marshal, write_marshal

    try:
        stat = os.stat(path)
    except OSError:
        return read_toml(path, "rule file")  # the usage error names the file
    # ctime too: a chmod that makes the file unreadable must not leave its copy in use.
    stamp = [os.path.abspath(path), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
    copy = os.path.join(cache_folder("rules"), "%08x.marshal" % zlib.crc32(os.fsencode(stamp[0])))
    cached = read_marshal(copy)
    if isinstance(cached, dict) and cached.get("stamp") == stamp and isinstance(cached.get("data"), dict):
        return cached["data"]
    data = read_toml(path, "rule file")
    if max(stat.st_mtime_ns, stat.st_ctime_ns) < time.time_ns() - SETTLED_NS:
        write_marshal(copy, {"stamp": stamp, "data": data})
    return data


def builtin_rule_files() -> List[str]:
    return sorted(os.path.join(RULES_FOLDER, name) for name in os.listdir(RULES_FOLDER) if name.endswith(".toml"))


def describe_match(match: Dict[str, Any]) -> Iterator[str]:
    """The match as sentences, for the rule's documentation."""
    for name, spec in (match.get("distributions") or {}).items():
        yield f"{name} {spec or '(any version)'} is installed"
    for name in match.get("distributions_absent") or ():
        yield f"{name} is not installed"
    for requirer, pins in (match.get("pins") or {}).items():
        for dependency, spec in pins.items():
            yield f"{requirer} pins {dependency} to a version {spec}"
    if "python" in match:
        yield f"Python {match['python']}"
    if "platform" in match:
        yield f"platform {' or '.join(match['platform'])}"
    if "torch_build" in match:
        yield f"torch is a {' or '.join(match['torch_build'])} build"
    if "torch_cuda" in match:
        yield f"torch is built for CUDA {match['torch_cuda']}"
    if "gpu_capability" in match:
        yield f"an NVIDIA GPU of compute capability {match['gpu_capability']}"
    if "cuda_toolkit" in match:
        yield f"the CUDA toolkit is {match['cuda_toolkit']}"
    for package, files in (match.get("package_files_absent") or {}).items():
        yield f"{package} has no {', '.join(files)}"
    for variable, value in (match.get("environment") or {}).items():
        yield f"{variable}={value}"


SEVERITY_WORDS = {"error": "an error", "warning": "a warning", "info": "info"}


def severity_statement(rule: Rule) -> str:
    """The Severity paragraph of a rule's page, like the one every check's docstring has."""
    statement = f"Severity: {SEVERITY_WORDS[rule.severity]}"
    return statement + (f": {rule.severity_reason}" if rule.severity_reason else ".")


def rule_doc(rule: Rule) -> str:
    detects = "All of:\n" + "\n".join(f"- {line}" for line in describe_match(rule.match))
    fix = rule.fix.get("summary", "")
    if rule.fix.get("command") or rule.fix.get("requirement"):
        fix += f" (`{rule.fix.get('command') or 'pip install ' + repr(rule.fix['requirement'])}`)"
    sections = {
        "What it detects": detects,
        "Why it breaks": rule.explanation + "\n\n" + textwrap.fill(severity_statement(rule), 92, break_on_hyphens=False),
        "Example": rule.example or rule.title,
        "Fix": fix or "See the references.",
        "References": "\n".join(rule.references) or "(none)",
    }
    body = "\n\n".join(f"{title}\n" + "\n".join("    " + line if line else "" for line in text.splitlines()) for title, text in sections.items())
    source = rule.source
    if source.startswith(RULES_FOLDER):  # shipped rules: a path that means the same everywhere
        source = "envdoctor/kb/rules/" + os.path.basename(source)
    return f"Knowledge-base rule, defined in {source}.\n\n{body}"
