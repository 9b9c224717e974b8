"""One installed source file -> what it does at import time that a newer Python may not support.

Read with `ast`, never imported.  "At import time" is module level (class bodies included)
and the bodies of the module's own functions and methods that module-level code calls
(`install()`, `VendorImporter(...).install()`), one call deep at a time up to a small depth.
What a summary holds:

  imports     `import imp`, `from collections import Mapping`, `import pkg_resources`, and
              `__import__("pkg_resources")`: (line, module, names or None, conditions)
  attributes  `collections.Mapping` through a module-level import of `collections`:
              (line, "collections.Mapping", conditions)
  classes     classes with find_module()/load_module() and whether they define find_spec():
              (line, name, has find_spec, has find_module, base names)
  insertions  `sys.meta_path.append/insert/extend(X)`, `sys.meta_path += [X]`, ... where X
              is an instance of a class of this module: (line, class name or "", conditions)

Left out, because it does not break an import: uses inside a `try` whose handler catches
ImportError/AttributeError (a guarded use), the `except ImportError:` fallback itself (it
runs only where the try failed), and anything in functions that import-time code never
calls.  `if` tests on the target (`sys.version_info`, `sys.platform`, ...) are stored
encoded by summary.encode_condition and decided per target by conditions.reachable.

A cheap prefilter (worth_parsing) keeps most files from being parsed at all: a file without
the words of any of these uses cannot hold one.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Dict, List, Optional, Tuple

from envdoctor.scan.summary import MAX_SOURCE_BYTES, dotted_name, encode_condition
from envdoctor.vocabulary.removed_stdlib import NAME_MODULES, PKG_RESOURCES, REMOVED_MODULES, REMOVED_NAMES

# Bump whenever the shape or meaning of a summary changes: the per-file cache keys on it.
LEGACY_SUMMARY_VERSION = 1



# Modules whose names are common words or parts of other names ("imp" of "import", "nis" of
# "finish"): anchored by their import forms.  Every other removed module is anchored by its name.
_SHORT_MODULES = ("imp", "cgi", "crypt", "pipes", "chunk", "uu", "nis")


def _anchors() -> Tuple[bytes, ...]:
    """Plain substrings, one of which every file with a use of a removed module (short names
    aside: _SHORT_FORMS), pkg_resources or an import hook contains."""
    words = {m for m in REMOVED_MODULES if m not in _SHORT_MODULES}
    words.update((PKG_RESOURCES, "find_module", "load_module", "meta_path"))
    return tuple(sorted(word.encode() for word in words))


def _short_forms() -> Tuple[Tuple[bytes, Tuple[bytes, ...]], ...]:
    """(short name, its import forms): `import imp`, `from imp import`, `import os, imp`,
    `import os,imp`, `import os, imp as i`; not `import importlib`.  The forms are only looked
    for in a file that holds the name as a word: most files are stopped before any of them."""
    forms = []
    for module in _SHORT_MODULES:
        spelled = [f"import {module}{end}" for end in (" ", "\n", "\r", ",", ";", ".")]
        spelled += [f"from {module} ", f"from {module}."]
        # After a comma: the end of the statement, another name, or `as`; not a bare space
        # (`for i, chunk in ...` is everywhere).
        spelled += [f"{comma}{module}{end}" for comma in (", ", ",") for end in ("\n", "\r", ",", ";", " as ")]
        forms.append((module.encode(), tuple(form.encode() for form in spelled)))
    return tuple(forms)


def _dotted_names() -> Dict[bytes, Tuple[bytes, ...]]:
    """b"collections." -> (b"collections.Mapping", ...): one test per module before its names."""
    by_module: Dict[bytes, List[bytes]] = {}
    for dotted in REMOVED_NAMES:
        by_module.setdefault(dotted.rpartition(".")[0].encode() + b".", []).append(dotted.encode())
    return {module: tuple(sorted(names)) for module, names in by_module.items()}


def _from_imports() -> Dict[bytes, frozenset]:
    """b"from collections import" -> the removed names of collections."""
    by_module: Dict[bytes, set] = {}
    for dotted in REMOVED_NAMES:
        module, _, name = dotted.rpartition(".")
        by_module.setdefault(f"from {module} import".encode(), set()).add(name.encode())
    return {start: frozenset(names) for start, names in by_module.items()}


ANCHORS = _anchors()
SHORT_FORMS = _short_forms()
DOTTED_NAMES = _dotted_names()
FROM_IMPORTS = _from_imports()
_NOT_A_NAME = re.compile(rb"[^\w]+")


# Every byte that cannot be part of an identifier becomes a space: the file's text then splits
# into its words (`collections.Mapping` into `collections` and `Mapping`; a string's content too).
_IDENTIFIER_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_TO_WORDS = bytes(byte if byte in _IDENTIFIER_BYTES else 0x20 for byte in range(256))
ANCHOR_WORDS = frozenset(ANCHORS)


# The words each test needs (`collections.Mapping`: collections and Mapping), split once here.
_DOTTED_WORDS = tuple((frozenset(module[:-1].split(b".")), tuple((dotted, frozenset(dotted.split(b"."))) for dotted in names))
                      for module, names in DOTTED_NAMES.items())
_FROM_WORDS = tuple((start, frozenset(start.split()[1].split(b".")), names) for start, names in FROM_IMPORTS.items())
# Every word a test looks for: a file's words are only kept where they are one of these.
_WORDS_LOOKED_FOR = ANCHOR_WORDS.union(
    (name for name, _ in SHORT_FORMS),
    (word for module, names in _DOTTED_WORDS for word in module.union(*(needed for _, needed in names))),
    (word for _, module, names in _FROM_WORDS for word in module | names))


def worth_parsing(source: bytes) -> bool:
    """Whether the file may hold a use: a file this stops is never parsed, so it lets through
    every file that may, and as few others as it can cheaply.

    Every use the summary holds names its module, name or hook as a whole word of the source
    (`import imp`, `collections.Mapping`, `__import__("pkg_resources")`, `def find_module`),
    so the file's words are read once and each test is a set lookup; the few files with the
    words get the plain substring tests as well (`in` is several times faster than a regular
    expression of the same words).  52 substring searches over every byte cost torch's 46 MB
    of source 2 s; splitting it into words costs 0.6 s."""
    words = _WORDS_LOOKED_FOR.intersection(source.translate(_TO_WORDS).split())
    if not words.isdisjoint(ANCHOR_WORDS):
        return True
    if any(name in words and any(form in source for form in forms) for name, forms in SHORT_FORMS):
        return True
    if any(words.issuperset(module) and any(words.issuperset(needed) and dotted in source for dotted, needed in names)
           for module, names in _DOTTED_WORDS):
        return True
    return any(words.issuperset(module) and not names.isdisjoint(words) and _imports_one_of(source, start, names)
               for start, module, names in _FROM_WORDS)


def _imports_one_of(source: bytes, start: bytes, names: frozenset) -> bool:
    """Whether a `from module import ...` statement names one of `names`."""
    index = source.find(start)
    while index != -1:
        rest = source[index + len(start): index + len(start) + 4096].lstrip(b" \t")
        stop = rest.find(b")") if rest.startswith(b"(") else _line_end(rest)
        if names.intersection(_NOT_A_NAME.split(rest[: stop if stop != -1 else len(rest)])):
            return True
        index = source.find(start, index + 1)
    return False


def _line_end(text: bytes) -> int:
    """Where the logical line that `text` starts ends: its first newline not escaped by a
    backslash (`from collections import \\` continues on the next line); -1 when none."""
    stop = text.find(b"\n")
    while stop > 0 and text[:stop].rstrip(b"\r").endswith(b"\\"):
        stop = text.find(b"\n", stop + 1)
    return stop


_GUARDS = {"ImportError", "ModuleNotFoundError", "AttributeError", "Exception", "BaseException"}
_META_PATH_METHODS = {"append", "insert", "extend"}
# How many calls deep import-time code is followed into the module's own functions.
_CALL_DEPTH = 3


def empty_summary() -> Dict[str, Any]:
    return {"imports": [], "attributes": [], "classes": [], "insertions": [], "error": None}


def summarize_legacy(source: bytes) -> Dict[str, Any]:
    """The file's import-time legacy uses; a file the prefilter rules out is not parsed."""
    summary = empty_summary()
    if len(source) > MAX_SOURCE_BYTES or not worth_parsing(source):
        return summary
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        summary["error"] = type(exc).__name__
        return summary
    walker = _ImportTime(tree)
    walker.walk(tree.body, (), None)
    walker.follow_calls()
    summary.update(imports=walker.imports, attributes=walker.attributes, classes=walker.classes,
                   insertions=walker.insertions)
    return summary


class _ImportTime:
    """Walks the statements that run when the module is imported."""

    def __init__(self, tree: ast.Module):
        self.imports: List[tuple] = []
        self.attributes: List[tuple] = []
        self.classes: List[tuple] = []
        self.insertions: List[tuple] = []
        self.aliases: Dict[str, str] = {}  # local name -> module, for `module.name` uses
        self.instances: Dict[str, str] = {}  # module-level `x = Class(...)` -> Class
        self.functions: Dict[str, ast.AST] = {}  # module-level def name -> node
        self.methods: Dict[str, List[Tuple[str, ast.AST]]] = {}  # method name -> [(class, node)]
        self.called: List[Tuple[str, bool, tuple]] = []  # (name, is a method call, conditions)
        self._followed: set = set()
        for node in tree.body:
            self._index(node)

    def _index(self, node: ast.AST) -> None:
        """Module-level functions and class methods, wherever an if/try put them."""
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.functions.setdefault(node.name, node)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.methods.setdefault(item.name, []).append((node.name, item))
        for child in _blocks(node):
            for statement in child:
                self._index(statement)

    # -- statements ---------------------------------------------------------------------
    def walk(self, statements, conditions: tuple, owner: Optional[str]) -> None:
        for node in statements:
            self._statement(node, conditions, owner)

    def _statement(self, node, conditions: tuple, owner: Optional[str]) -> None:
        if isinstance(node, ast.If):
            self._expressions(node.test, conditions, owner)
            test = encode_condition(node.test)
            self.walk(node.body, conditions + ((test, True),), owner)
            self.walk(node.orelse, conditions + ((test, False),), owner)
        elif isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            if not any(_catches(handler.type) for handler in node.handlers):
                self.walk(node.body, conditions, owner)  # guarded bodies are left out entirely
            # Handlers run only when the try failed: a fallback is judged by its try.
            self.walk(node.orelse, conditions, owner)
            self.walk(node.finalbody, conditions, owner)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for expression in node.decorator_list + node.args.defaults:
                self._expressions(expression, conditions, owner)
        elif isinstance(node, ast.ClassDef):
            self._class(node, conditions)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self._import(node, conditions)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith)):
            for expression in _headers(node):
                self._expressions(expression, conditions, owner)
            self.walk(node.body, conditions, owner)
            self.walk(getattr(node, "orelse", ()), conditions, owner)
        else:
            self._simple(node, conditions, owner)

    def _class(self, node: ast.ClassDef, conditions: tuple) -> None:
        defined = {item.name for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
        defined |= {target.id for item in node.body if isinstance(item, ast.Assign)
                    for target in item.targets if isinstance(target, ast.Name)}
        if defined & {"find_module", "load_module", "find_spec"}:
            bases = [name for name in (dotted_name(base) for base in node.bases) if name]
            self.classes.append((node.lineno, node.name, "find_spec" in defined, "find_module" in defined, bases))
        for expression in node.bases + node.decorator_list:
            self._expressions(expression, conditions, None)
        self.walk(node.body, conditions, node.name)  # a class body runs at import

    def _import(self, node, conditions: tuple) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                self.aliases[alias.asname or top] = alias.name if alias.asname else top
                if _interesting_module(alias.name):
                    self.imports.append((node.lineno, alias.name, None, conditions))
        elif node.level == 0 and node.module:
            names = [alias.name for alias in node.names]
            if _interesting_module(node.module) or (
                node.module in NAME_MODULES and any(f"{node.module}.{name}" in REMOVED_NAMES for name in names)
            ):
                self.imports.append((node.lineno, node.module, names, conditions))

    def _simple(self, node, conditions: tuple, owner: Optional[str]) -> None:
        self._expressions(node, conditions, owner)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            made = dotted_name(node.value.func)
            for target in node.targets:
                if isinstance(target, ast.Name) and made:
                    self.instances[target.id] = made.split(".")[-1]
        if isinstance(node, ast.AugAssign) and _is_meta_path(node.target):
            self._insertion(node.lineno, node.value, conditions, owner)
        if isinstance(node, ast.Assign) and any(_is_meta_path(_subscripted(t)) for t in node.targets):
            self._insertion(node.lineno, node.value, conditions, owner)

    # -- expressions --------------------------------------------------------------------
    def _expressions(self, root: ast.AST, conditions: tuple, owner: Optional[str]) -> None:
        for node in ast.walk(root):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                module = self.aliases.get(node.value.id)
                if module and f"{module}.{node.attr}" in REMOVED_NAMES:
                    self.attributes.append((node.lineno, f"{module}.{node.attr}", conditions))
            elif isinstance(node, ast.Call):
                self._call(node, conditions, owner)

    def _call(self, node: ast.Call, conditions: tuple, owner: Optional[str]) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "__import__" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and first.value == PKG_RESOURCES:
                self.imports.append((node.lineno, PKG_RESOURCES, None, conditions))
        if isinstance(func, ast.Attribute) and func.attr in _META_PATH_METHODS and _is_meta_path(func.value):
            for argument in node.args[-1:]:  # insert(index, finder): the finder is the last argument
                self._insertion(node.lineno, argument, conditions, owner)
        if isinstance(func, ast.Name):
            self.called.append((func.id, False, conditions))
        elif isinstance(func, ast.Attribute):
            self.called.append((func.attr, True, conditions))

    def _insertion(self, line: int, value: ast.AST, conditions: tuple, owner: Optional[str]) -> None:
        items = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
        if isinstance(value, ast.BinOp):  # sys.meta_path = [Finder()] + sys.meta_path
            items = [e for side in (value.left, value.right) if isinstance(side, (ast.List, ast.Tuple)) for e in side.elts]
        for item in items:
            self.insertions.append((line, self._class_of(item, owner) or "", conditions))

    def _class_of(self, node: ast.AST, owner: Optional[str]) -> Optional[str]:
        if isinstance(node, ast.Call):
            made = dotted_name(node.func)
            return made.split(".")[-1] if made else None
        if isinstance(node, ast.Name):
            if node.id == "self":
                return owner
            return self.instances.get(node.id) or (node.id if node.id in self._class_names() else None)
        return None

    def _class_names(self) -> set:
        return {name for methods in self.methods.values() for name, _ in methods}

    # -- functions called at import ----------------------------------------------------------
    def follow_calls(self) -> None:
        """Walk the bodies of the module's own functions and methods that import-time code calls."""
        for _depth in range(_CALL_DEPTH):
            pending, self.called = self.called, []
            for name, is_method, conditions in pending:
                targets = self.methods.get(name, []) if is_method else [(None, self.functions.get(name))]
                for owner, node in targets:
                    if node is None or id(node) in self._followed:
                        continue
                    self._followed.add(id(node))
                    self.walk(node.body, conditions, owner)
            if not self.called:
                break


def _interesting_module(name: str) -> bool:
    top = name.split(".")[0]
    return top in REMOVED_MODULES or top == PKG_RESOURCES


def _catches(handler_type: Optional[ast.AST]) -> bool:
    if handler_type is None:
        return True  # a bare except
    names = handler_type.elts if isinstance(handler_type, ast.Tuple) else [handler_type]
    return any((dotted_name(name) or "").split(".")[-1] in _GUARDS for name in names)


def _is_meta_path(node: Optional[ast.AST]) -> bool:
    return node is not None and dotted_name(node) in ("sys.meta_path", "meta_path")


def _subscripted(node: ast.AST) -> Optional[ast.AST]:
    """sys.meta_path for `sys.meta_path[:0] = ...` and for `sys.meta_path = ...`."""
    if isinstance(node, ast.Subscript):
        return node.value
    return node


def _headers(node) -> List[ast.AST]:
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [node.iter]
    if isinstance(node, ast.While):
        return [node.test]
    return [item.context_expr for item in node.items]


def _blocks(node: ast.AST) -> List[list]:
    """The statement lists nested in an if/try/with/for (not in defs: those are indexed apart)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return []
    blocks = [getattr(node, name, None) for name in ("body", "orelse", "finalbody")]
    blocks += [handler.body for handler in getattr(node, "handlers", ())]
    return [block for block in blocks if isinstance(block, list)]
