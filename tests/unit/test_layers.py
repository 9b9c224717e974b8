"""The layer rules of docs/explanation/architecture.md, enforced on the source.

Every module of envdoctor/ is read with `ast` (nothing is imported but the stack's names),
function-level imports included: a lazy import is still a dependency, and a cycle through
one is still a cycle.  Each rule below is data, quoted by the architecture document, and
each test checks one rule and names every module that breaks it.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import envdoctor
from envdoctor.vocabulary import stack

# --- the rules --------------------------------------------------------------------------------

# Every module of envdoctor/ belongs to one layer, and a layer may import from envdoctor only the
# layers listed for it (and the standard library and third-party packages); a layer always may
# import its own modules.  A name covers a module and everything below it.  Read bottom-up, the
# table is the architecture: the base, data, the shared words, the check and plugin APIs, the
# pieces (checks, probe, scan, report, fixes, ...), collect, and the command line on top.
BASE = ("envdoctor.errors", "envdoctor.data_files", "envdoctor.progress")
_WORDS = ("envdoctor.model", "envdoctor.vocabulary", *BASE)
LAYERS = {
    # base: the exception tree, reading a JSON/TOML file, the version (envdoctor/__init__.py)
    "envdoctor.errors": (),
    "envdoctor.progress": (),  # progress.say() from any layer; the display is the command line's
    "envdoctor.data_files": ("envdoctor.errors",),
    # data
    "envdoctor.model": BASE,
    # the shared words
    "envdoctor.vocabulary": ("envdoctor.model", *BASE),
    # what plugins import, and the small services every piece uses
    "envdoctor.api": _WORDS,
    "envdoctor.redaction": _WORDS,
    "envdoctor.entry_points": _WORDS,
    "envdoctor.plugins": ("envdoctor.entry_points", *_WORDS),
    "envdoctor.target_choice": _WORDS,
    "envdoctor.spawned": (),  # a child from os.posix_spawn, as subprocess.Popen would start it
    "envdoctor.processes": ("envdoctor.spawned",),  # subprocesses that end with envdoctor, every descendant included
    "envdoctor.idle_work": ("envdoctor.probe", *_WORDS),  # what a run does anyway, done while the probe runs
    "envdoctor.replay": _WORDS,  # a warm check's stored report, printed again while its proof holds
    # the pieces
    "envdoctor.checks": ("envdoctor.api", "envdoctor.model", "envdoctor.vocabulary"),
    "envdoctor.kb": ("envdoctor.api", *_WORDS),
    "envdoctor.engine": ("envdoctor.api", *_WORDS),
    "envdoctor.registry": ("envdoctor.api", "envdoctor.kb", "envdoctor.plugins", "envdoctor.check_manifest", *_WORDS),
    # what the registered checks declared, kept between runs (registry's, below it)
    "envdoctor.check_manifest": ("envdoctor.api", "envdoctor.plugins", "envdoctor.entry_points", *_WORDS),
    "envdoctor.config": _WORDS,
    "envdoctor.policy": ("envdoctor.engine", "envdoctor.redaction", *_WORDS),
    "envdoctor.probe": ("envdoctor.processes", *_WORDS),
    "envdoctor.scan": ("envdoctor.entry_points", *_WORDS),  # entry points name functions called from outside
    "envdoctor.linkage": _WORDS,  # the stack's extensions resolved as ld.so would (host-side fact collection)
    "envdoctor.report": ("envdoctor.engine", "envdoctor.plugins", "envdoctor.redaction", *_WORDS),
    "envdoctor.fixes": ("envdoctor.api", "envdoctor.engine", "envdoctor.plugins", "envdoctor.processes", "envdoctor.redaction",
                        "envdoctor.report", *_WORDS),
    # check --with: the install resolved by the target's installer, the facts after it, the two runs compared
    "envdoctor.preflight": ("envdoctor.engine", "envdoctor.processes", *_WORDS),
    # `fleet`: one snapshot per node through an engine, the nodes compared (envdoctor/fleet/__init__.py)
    "envdoctor.fleet": ("envdoctor.engine", "envdoctor.probe", "envdoctor.report", *_WORDS),
    # settings -> selection -> facts -> check run, for every command (redaction: a live environment
    # compared with a snapshot, --against, is masked as the snapshot was)
    "envdoctor.collect": ("envdoctor.config", "envdoctor.engine", "envdoctor.policy", "envdoctor.preflight", "envdoctor.probe",
                          "envdoctor.redaction", "envdoctor.registry", "envdoctor.scan", "envdoctor.linkage", "envdoctor.target_choice",
                          "envdoctor.idle_work", *_WORDS),
    # the command line: anything below it
    "envdoctor.cli": ("envdoctor",),
    "envdoctor.python_api": ("envdoctor",),  # envdoctor.check() for notebooks and scripts
    "envdoctor.cli_options": ("envdoctor",),
    "envdoctor.fleet_command": ("envdoctor",),
    "envdoctor.option_values": ("envdoctor",),
    "envdoctor.check_command": ("envdoctor",),
    "envdoctor.boundary": ("envdoctor",),
    "envdoctor.outputs": ("envdoctor",),
    "envdoctor.terminal": ("envdoctor",),
    "envdoctor.launch": ("envdoctor",),
    "envdoctor.__main__": ("envdoctor",),
}
# Only the command line may import these (the top of the table).
COMMAND_LINE = ("envdoctor.cli", "envdoctor.cli_options", "envdoctor.option_values", "envdoctor.check_command",
                "envdoctor.fleet_command", "envdoctor.boundary", "envdoctor.outputs", "envdoctor.terminal",
                "envdoctor.launch", "envdoctor.__main__", "envdoctor.collect", "envdoctor.python_api")
# The package itself (envdoctor/__init__.py holds only the version) may be imported by any layer.
PACKAGE = "envdoctor"

# Imported by no module outside itself: the registry loads checks through entry points.
IMPORTED_ONLY_FROM_WITHIN = ("envdoctor.checks",)

# Code that runs inside another interpreter (the probe's target side, the runtime shims a fixer
# installs into the target): it imports nothing of envdoctor's at all, since envdoctor is not
# importable there.  The probe's target-side part is its private package probe/in_target/ (its
# modules import one another only, through relative imports).
RUNS_IN_THE_TARGET = (
    "envdoctor.probe.in_target",
    "envdoctor.fixes.runtime",
)

# The ML stack is defined once: each distribution and module name in this module is written as a
# string literal (docstrings and comments aside) in no other module of envdoctor/.
STACK_DEFINITION = "envdoctor.vocabulary.stack"
# Constants of the stack module that hold something other than names (prefixes, variables).
NOT_NAMES = ("DIFF_PREFIXES", "ENVIRONMENT_PREFIXES", "BEHAVIOUR_VARIABLES")
# The runtime shims run inside the target's interpreter and cannot import envdoctor, so they
# write the names of the modules they stand in for; they are exempt from the stack rule.
STACK_LITERALS_ALLOWED_IN = ("envdoctor.fixes.runtime",)

# No module basename twice (a name says one idea); package __init__ files aside.
BASENAMES_MAY_REPEAT = ("__init__.py",)

# No function longer than this, its docstring not counted.
MAX_FUNCTION_LINES = 60

# --- reading the source -----------------------------------------------------------------------

ROOT = Path(envdoctor.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


SOURCES: Dict[str, Path] = {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}
TREES: Dict[str, ast.Module] = {name: ast.parse(path.read_text(encoding="utf-8"), str(path)) for name, path in SOURCES.items()}


def _under(module: str, prefixes) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def _existing(name: str) -> str:
    """The longest prefix of a dotted name that is a module of envdoctor."""
    while name and name not in SOURCES:
        name = name.rpartition(".")[0]
    return name


def _imports(module: str) -> Iterator[Tuple[str, int]]:
    """(envdoctor module imported, line) for every import statement, wherever it stands.

    `from package import name` depends on the submodule when `name` is one, else on the
    package itself; the parent packages Python initialises on the way are not counted
    (every submodule would otherwise depend on its package's __init__)."""
    is_package = SOURCES[module].name == "__init__.py"
    for node in ast.walk(TREES[module]):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "envdoctor" or alias.name.startswith("envdoctor."):
                    yield _existing(alias.name), node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            if base != "envdoctor" and not base.startswith("envdoctor."):
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield (submodule if submodule in SOURCES else _existing(base)), node.lineno


GRAPH: Dict[str, Dict[str, int]] = {}
for _name in SOURCES:
    GRAPH[_name] = {}
    for _target, _line in _imports(_name):
        if _target and _target != _name:
            GRAPH[_name].setdefault(_target, _line)


def _where(module: str, line: int) -> str:
    return f"{SOURCES[module].relative_to(ROOT.parent)}:{line}"


def _docstring_nodes(tree: ast.AST) -> Set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def _cycles() -> List[List[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    on_stack: Set[str] = set()
    stack_: List[str] = []
    found = []
    counter = 0
    for start in GRAPH:
        if start in index:
            continue
        work = [(start, iter(sorted(GRAPH[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack_.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack_.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(GRAPH.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack_.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _stack_names() -> Set[str]:
    names = set()
    for attribute, value in vars(stack).items():
        if not attribute.isupper() or attribute in NOT_NAMES:
            continue
        values = value if isinstance(value, (tuple, frozenset, set)) else (value,)
        names.update(item for item in values if isinstance(item, str))
    return names


# --- the tests --------------------------------------------------------------------------------


def test_the_source_is_read():
    assert {"envdoctor.cli", "envdoctor.model.facts", STACK_DEFINITION} <= set(SOURCES)
    assert "envdoctor.model.record" in GRAPH["envdoctor.model.facts"]


def test_no_import_cycles():
    cycles = _cycles()
    described = []
    for cycle in cycles:
        edges = [f"{a} -> {b} ({_where(a, GRAPH[a][b])})" for a in cycle for b in cycle if b in GRAPH[a]]
        described.append("; ".join(edges))
    assert not cycles, "import cycles (function-level imports count):\n  " + "\n  ".join(described)


def _layer_of(module: str) -> str:
    """The most specific layer named in LAYERS that holds `module` ("" for none)."""
    found = [layer for layer in LAYERS if module == layer or module.startswith(layer + ".")]
    return max(found, key=len, default="")


def test_every_module_belongs_to_a_layer():
    orphans = [module for module in SOURCES if module != PACKAGE and not _layer_of(module)]
    assert not orphans, "modules in no layer of LAYERS (place each new module in the table):\n  " + "\n  ".join(orphans)


def test_layers_import_only_what_is_below_them():
    broken = []
    for module, targets in GRAPH.items():
        layer = _layer_of(module)
        if not layer:
            continue
        allowed = (layer, *LAYERS[layer])
        for target, line in targets.items():
            if target != PACKAGE and not _under(target, allowed):
                broken.append(f"{_where(module, line)}: {module} ({layer}) imports {target}; it may import only {', '.join(allowed)}")
    assert not broken, "layer rule broken:\n  " + "\n  ".join(sorted(broken))


def test_only_the_command_line_imports_the_command_line():
    broken = [f"{_where(module, line)}: {module} imports {target}"
              for module, targets in GRAPH.items() if not _under(module, COMMAND_LINE)
              for target, line in targets.items() if _under(target, COMMAND_LINE)]
    assert not broken, "the command line (cli, collect, ...) is imported from below:\n  " + "\n  ".join(sorted(broken))


def test_checks_are_imported_by_no_module_outside_them():
    broken = []
    for module, targets in GRAPH.items():
        for private in IMPORTED_ONLY_FROM_WITHIN:
            if _under(module, (private,)):
                continue
            broken += [f"{_where(module, line)}: {module} imports {target}" for target, line in targets.items()
                       if _under(target, (private,))]
    assert not broken, (f"{', '.join(IMPORTED_ONLY_FROM_WITHIN)} is loaded through entry points and imported by nothing "
                        "outside it:\n  " + "\n  ".join(sorted(broken)))


def test_code_that_runs_in_the_target_imports_nothing_of_envdoctor():
    missing = [name for name in RUNS_IN_THE_TARGET if name not in SOURCES]
    assert not missing, "RUNS_IN_THE_TARGET names modules that do not exist: " + ", ".join(missing)
    broken = []
    for module, targets in GRAPH.items():
        if _under(module, RUNS_IN_THE_TARGET):
            broken += [f"{_where(module, line)}: {module} imports {target}" for target, line in targets.items()
                       if not _under(target, RUNS_IN_THE_TARGET)]
    assert not broken, "code that runs inside the target imports envdoctor, which is not there:\n  " + "\n  ".join(sorted(broken))


def _schema_keys(tree: ast.AST) -> Set[int]:
    """String keys of the facts document (`{"torch": ...}`, `result["triton"] = ...`, `.get("torch")`):
    they name fields of the facts schema (Stack.torch, Deep.triton), which model/facts.py
    defines, not members of the stack."""
    keys: Set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys.update(id(key) for key in node.keys if isinstance(key, ast.Constant))
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            keys.add(id(node.slice))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
              and node.args and isinstance(node.args[0], ast.Constant)):
            keys.add(id(node.args[0]))
    return keys


def test_the_stack_is_named_in_one_module():
    names = _stack_names()
    assert {"torch", "triton", "flashinfer-python", "triton_kernels"} <= names
    broken = []
    for module, tree in TREES.items():
        if module == STACK_DEFINITION or _under(module, STACK_LITERALS_ALLOWED_IN):
            continue
        skipped = _docstring_nodes(tree) | _schema_keys(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in names and id(node) not in skipped:
                broken.append(f"{_where(module, node.lineno)}: {node.value!r}")
    assert not broken, (f"stack names written outside {STACK_DEFINITION} (use its constants):\n  "
                        + "\n  ".join(sorted(broken)))


def test_no_module_basename_twice():
    seen: Dict[str, List[str]] = {}
    for module, path in SOURCES.items():
        if path.name not in BASENAMES_MAY_REPEAT:
            seen.setdefault(path.name, []).append(module)
    repeated = {name: modules for name, modules in seen.items() if len(modules) > 1}
    assert not repeated, "module basenames used twice:\n  " + "\n  ".join(
        f"{name}: {', '.join(modules)}" for name, modules in sorted(repeated.items()))


def test_no_function_over_the_limit():
    broken = []
    for module, tree in TREES.items():
        docstrings = _docstring_nodes(tree)
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            lines = node.end_lineno - node.lineno + 1
            first = node.body[0]
            if isinstance(first, ast.Expr) and id(first.value) in docstrings:
                lines -= first.end_lineno - first.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                broken.append(f"{_where(module, node.lineno)}: {node.name} has {lines} lines")
    assert not broken, f"functions over {MAX_FUNCTION_LINES} lines (docstring not counted):\n  " + "\n  ".join(sorted(broken))
