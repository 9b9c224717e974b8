"""The probe's two sides stay apart, and the words the target side needs come from the host.

envdoctor/probe/in_target/ runs inside the target (stdlib only, Python 3.8 syntax), loaded
by probe/command.py's bootstrap in the order its programs list; the host side never
imports it.  These tests read the source with ast; tests/e2e/test_probe_in_target.py runs it.
"""

from __future__ import annotations

import ast
import builtins
import json
import symtable
from pathlib import Path

import pytest

from envdoctor.probe import command
from envdoctor.probe.dist_cache_file import dist_cache_path
from envdoctor.vocabulary import secrets, stack

IN_TARGET = Path(command.IN_TARGET)
HOST_SIDE = IN_TARGET.parent
TARGET_MODULES = sorted(path.stem for path in IN_TARGET.glob("*.py") if path.stem != "__init__")


def tree_of(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def relative_imports(name: str) -> set:
    """The in_target modules `name` imports (`from .x import y`)."""
    found = set()
    for node in ast.walk(tree_of(IN_TARGET / f"{name}.py")):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("name", TARGET_MODULES)
def test_target_side_modules_parse_as_python_3_8(name):
    ast.parse((IN_TARGET / f"{name}.py").read_text(encoding="utf-8"), feature_version=(3, 8))


@pytest.mark.parametrize("name", TARGET_MODULES)
def test_target_side_modules_import_only_the_standard_library_and_each_other(name):
    for node in ast.walk(tree_of(IN_TARGET / f"{name}.py")):
        if isinstance(node, ast.ImportFrom):
            assert node.level in (0, 1), f"{name}: only `from .module import name` reaches another part"
            if node.level == 1:
                assert node.module in TARGET_MODULES, f"{name}: from .{node.module}"
            else:
                assert not node.module.startswith("envdoctor"), f"{name}: from {node.module}"
        elif isinstance(node, ast.Import):
            assert not any(alias.name.startswith("envdoctor") for alias in node.names), name


MODULE_ATTRIBUTES = {"__file__", "__name__", "__spec__", "__loader__", "__package__", "__builtins__", "__doc__"}


def undefined_names(path: Path) -> set:
    """Names read as globals (in any scope) that the module neither binds nor imports, and
    that are not builtins: what the old shared exec namespace let one part take from another."""
    top = symtable.symtable(path.read_text(encoding="utf-8"), str(path), "exec")
    known = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    known |= set(dir(builtins)) | MODULE_ATTRIBUTES
    missing = set()

    def walk(table):
        for symbol in table.get_symbols():
            if symbol.is_referenced() and (table is top or symbol.is_global()) and symbol.get_name() not in known:
                missing.add(symbol.get_name())
        for child in table.get_children():
            walk(child)

    walk(top)
    return missing


@pytest.mark.parametrize("name", TARGET_MODULES)
def test_target_side_modules_use_no_implicit_names(name):
    assert undefined_names(IN_TARGET / f"{name}.py") == set()


def test_the_implicit_name_check_finds_a_name_taken_from_another_part(tmp_path):
    part = tmp_path / "part.py"
    part.write_text("import sys\n\n\ndef facts(modules):\n    return stack_facts(modules), sys.path\n")
    assert undefined_names(part) == {"stack_facts"}


@pytest.mark.parametrize("program", [command.FACTS_PROGRAM, command.DEEP_PROGRAM, command.JIT_BUILD_PROGRAM,
                                     command.ALL_REDUCE_PROGRAM])
def test_each_program_loads_a_module_after_the_modules_it_imports(program):
    loaded = set()
    for name in program:
        missing = relative_imports(name) - loaded
        assert not missing, f"{name} is loaded before {sorted(missing)}"
        loaded.add(name)


def test_every_target_side_module_is_part_of_a_program():
    programs = (command.FACTS_PROGRAM, command.DEEP_PROGRAM, command.JIT_BUILD_PROGRAM, command.ALL_REDUCE_PROGRAM)
    assert set().union(*programs) == set(TARGET_MODULES)


def test_the_host_side_never_imports_the_target_side():
    for path in HOST_SIDE.glob("*.py"):
        for node in ast.walk(tree_of(path)):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names] if isinstance(node, ast.Import) else []
            assert not any("in_target" in name for name in names), path.name


def host_side_imports(path: Path) -> set:
    found = set()
    for node in ast.walk(tree_of(path)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("envdoctor.probe."):
            found.add(node.module.rsplit(".", 1)[1])
    return found


def test_the_host_side_has_no_import_cycle():
    graph = {path.stem: host_side_imports(path) for path in HOST_SIDE.glob("*.py")}
    finished, visiting = set(), []

    def visit(name):
        assert name not in visiting, f"import cycle: {' -> '.join(visiting + [name])}"
        if name in finished:
            return
        visiting.append(name)
        for imported in graph.get(name, ()):
            visit(imported)
        visiting.pop()
        finished.add(name)

    for name in graph:
        visit(name)


def test_the_target_side_defines_none_of_the_vocabulary_it_is_given():
    """The stack's names and the secret words live in envdoctor/vocabulary/ alone: the target
    side spells out no secret word, no mask, no listed package, and no list of variable
    prefixes (it still reads LD_LIBRARY_PATH and LD_PRELOAD by name, as variables)."""
    never = set(secrets.SECRET_NAME_WORDS) | {secrets.MASK} | set(stack.LISTED_PACKAGES)
    prefixes = set(stack.ENVIRONMENT_PREFIXES)
    for name in TARGET_MODULES:
        tree = tree_of(IN_TARGET / f"{name}.py")
        strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
        assert not strings & never, f"{name} spells out {sorted(strings & never)}"
        for node in ast.walk(tree):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                listed = {item.value for item in node.elts if isinstance(item, ast.Constant)}
                assert len(listed & prefixes) < 2, f"{name} lists variable prefixes: {sorted(listed & prefixes)}"


def test_the_facts_probe_gets_the_vocabulary_in_its_options():
    argv = command.payload_argv("python", "facts", "n0nce", {"exact_modules": True})
    options = json.loads(argv[-1])
    assert options == {
        "environment_prefixes": list(stack.ENVIRONMENT_PREFIXES),
        "secret_words": list(secrets.SECRET_NAME_WORDS),
        "mask": secrets.MASK,
        "torch_module": stack.TORCH_MODULE,
        "listed_packages": list(stack.LISTED_PACKAGES),
        "jit_modules": list(stack.JIT_MODULES),
        "jit_caches": [list(cache) for cache in stack.JIT_CACHES],
        "exact_modules": True,
        "dist_cache": dist_cache_path("python"),  # the host's cache file, which the probe only reads
    }
    assert json.loads(command.deep_argv("python", "n0nce", ["triton"])[-1]) == {
        "torch_module": stack.TORCH_MODULE, "triton_module": stack.TRITON_MODULE}


@pytest.mark.parametrize("options", [
    command.facts_options(),
    {"replay_site_skip": ["/site/with \"quote\"/x.pth", 3]},
    {"replay_site_skip": "sitecustomize", "exact_modules": False},
    {"words": ["ünïcode", "back\\slash", "tab\there", "plain"], "none": None, "number": 2.5},
    {},
])
def test_options_are_encoded_as_json_would_encode_them(options):
    """encode_options writes plain words itself (launch.py's early start imports no json)."""
    assert json.loads(command.encode_options(options)) == json.loads(json.dumps(options))
