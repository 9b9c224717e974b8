"""One source file -> a summary of its imports and of the names it binds at module level.

Only statements are walked, never expressions: imports are statements, and so is
everything that binds a module-level name.  That keeps a summary at about the cost of
`ast.parse` itself, which matters for a 4,700-file tree.

A summary is plain data (dicts, tuples, str, int, bool, None) so the cache can store it
with `marshal` and worker processes can hand it back cheaply.  Conditions that depend on
the target (`sys.version_info`, `sys.platform`, ...) are stored encoded, not decided: the
same cached summary serves targets of different Python versions and platforms.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Dict, List, Optional, Tuple

# Bump whenever the shape or meaning of a summary changes: the cache keys on it.
SUMMARY_VERSION = 6

# Larger source files are not parsed: `ast.parse` needs about a hundred times a file's size in
# memory, and no hand-written module comes near this (transformers' largest is under 1 MB).
MAX_SOURCE_BYTES = 8 * 1024 * 1024


def scanner_fingerprint() -> str:
    """The scanner's version and the mtimes of its own source files, for the cache keys: a
    changed scanner (a new release, or an edit in a development checkout) never reuses
    summaries or results that an older one made."""
    import os

    from envdoctor import __version__

    folder = os.path.dirname(os.path.abspath(__file__))
    stamps = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            try:
                stamps.append(f"{name}:{os.stat(os.path.join(folder, name)).st_mtime_ns}")
            except OSError:
                continue
    return f"{SUMMARY_VERSION}|{__version__}|" + ",".join(stamps)

# One import as stored: (line, end_line, kind, level, module, names, scope, guarded,
# type_checking, conditions, fallback).  kind: "import" (`import a.b`, names None) or "from"
# (names: the imported names, "*" for a star import).  scope: "module" (runs on import,
# class bodies included) or "function".  conditions: ((encoded condition, polarity), ...)
# for every enclosing `if` whose outcome depends on the target or is unknown.  fallback:
# (first line, last line) of the `try` body when the import sits in a handler of that try
# that catches ImportError: it runs only when the try failed, so it is judged by the try.
IMPORT_FIELDS = ("line", "end_line", "kind", "level", "module", "names", "scope", "guarded", "type_checking", "conditions", "fallback")
# Positions in that tuple, for readers of stored records (a plain tuple marshals; a
# NamedTuple does not, and converting 50,000 records on every run would cost more).
LINE, END_LINE, KIND, LEVEL, MODULE, NAMES, SCOPE, GUARDED, TYPE_CHECKING, CONDITIONS, FALLBACK = range(len(IMPORT_FIELDS))

# Exceptions whose handler makes a failed import survivable.
_GUARD_EXCEPTIONS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}

# Source text that makes a module's names impossible to know statically.
_DYNAMIC_NAMES = re.compile(
    rb"\b(?:globals|locals|vars)\(\)\s*(?:\[|\.update|\.setdefault|\.__setitem__)"
    rb"|sys\.modules\[__name__\]|\bexec\("
)
# ... and a package whose submodules can come from elsewhere than its folder.
_DYNAMIC_PATH = re.compile(rb"__path__\s*(?:=|\+=|\.append|\.extend|\.insert)|extend_path\(")
# Plain substrings, one of which each pattern needs: `in` is ten times faster than a regex
# search, and most files contain none of them.
_DYNAMIC_HINTS = (b"globals()", b"locals()", b"vars()", b"sys.modules[", b"exec(")
_PATH_HINTS = (b"__path__", b"extend_path")
# `setattr(target, ...)`: the names a module sets on a module object at run time.  numpy's
# dtypes.py fills itself through `setattr(dtypes, ...)`; matplotlib's `_Backend.export`
# decorator sets names in its caller's module through `setattr(sys.modules[...], ...)`.
_SETATTR = re.compile(rb"\bsetattr\(\s*([A-Za-z_][\w.]*(?:\[)?)")


def _mentions(source: bytes, hints) -> bool:
    return any(hint in source for hint in hints)


def summarize_source(source: bytes) -> Dict[str, Any]:
    """Summarise one module's source; a file that does not parse gets `error` instead."""
    summary: Dict[str, Any] = {
        "imports": [],
        "defs": [],
        "assigned": [],
        "bound": [],
        "all": None,
        "all_dynamic": False,
        "dynamic": _mentions(source, _DYNAMIC_HINTS) and bool(_DYNAMIC_NAMES.search(source)),
        "getattr": False,
        "path_dynamic": _mentions(source, _PATH_HINTS) and bool(_DYNAMIC_PATH.search(source)),
        "sys_modules": b"sys.modules" in source or b"meta_path" in source,
        # First arguments of `setattr(...)` calls ("sys.modules[" for `setattr(sys.modules[x], ...)`).
        "setattr_targets": sorted({m.decode() for m in _SETATTR.findall(source)}) if b"setattr(" in source else [],
        # Root names of the decorators of module-level defs and classes (`_Backend` for `@_Backend.export`).
        "decorators": [],
        # Module names given to module-level calls made for their effect ("__name__" for its own).
        "handed_names": [],
        "flags": {},
        "functions": [],
        "returns": {},
        "error": None,
        "error_line": 0,
        # True when the scanner, not Python, gave up on the file (too large, nested too deeply
        # for its own walk): the module may import fine, so nothing is known about it.
        "unscanned": False,
    }
    walker = _walked(source, summary)
    if walker is None:
        return summary
    summary["imports"] = walker.imports
    summary["defs"] = sorted(walker.defs)
    summary["assigned"] = sorted(walker.assigned)
    summary["bound"] = sorted(walker.bound | walker.globals_declared)
    summary["all"] = walker.all_names
    summary["all_dynamic"] = walker.all_dynamic
    summary["decorators"] = sorted(walker.decorators)
    summary["flags"] = walker.flags
    summary["functions"] = walker.functions
    summary["returns"] = walker.returns
    summary["handed_names"] = sorted(walker.handed_names)
    summary["getattr"] = "__getattr__" in walker.defs or "__getattr__" in walker.assigned or "__getattr__" in walker.bound
    return summary


def _walked(source: bytes, summary: Dict[str, Any]) -> Optional["_Walker"]:
    """The walk of the parsed source; None, with the reason in `summary`, when there is none."""
    if len(source) > MAX_SOURCE_BYTES:
        summary["error"] = f"not scanned: {len(source) / 1048576:.1f} MB, above the scanner's limit of {MAX_SOURCE_BYTES // 1048576} MB"
        summary["unscanned"] = True
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError) as exc:  # ValueError: source with NUL bytes
        line = getattr(exc, "lineno", None)
        summary["error"] = f"{type(exc).__name__}: {getattr(exc, 'msg', exc)}" + (f" (line {line})" if line else "")
        summary["error_line"] = line or 0
        return None
    except (RecursionError, MemoryError) as exc:
        # Python's parser gives up on nesting past its limits (`1 + 1 + ...` x 100,000, 50,000
        # nested `not`): importing the module fails the same way on the target.
        summary["error"] = f"{type(exc).__name__}: nested too deeply for Python's parser"
        return None
    walker = _Walker()
    try:
        walker.body(tree.body, _Context())
    except RecursionError:
        # Python parsed it, so it may import; only the scanner's own walk gave up.
        summary["error"] = "not scanned: nested too deeply for the scanner"
        summary["unscanned"] = True
        return None
    return walker


class _Context:
    """Where a statement sits: scope, whether a try guards it, the `if` tests above it.

    The tests are kept as ast nodes, with the branch taken, and encoded only when an
    import is found below them: most `if`s in a function body guard no import at all.
    """

    __slots__ = ("scope", "guarded", "type_checking", "tests", "fallback")

    def __init__(self, scope: str = "module", guarded: bool = False, type_checking: bool = False, tests: tuple = (), fallback=None):
        self.scope = scope  # module | class | function
        self.guarded = guarded
        self.type_checking = type_checking
        self.tests = tests
        self.fallback = fallback  # (first, last) line of the try body whose handler this is

    def inside(self, scope: Optional[str] = None, guarded: Optional[bool] = None, type_checking: Optional[bool] = None, tests: Optional[tuple] = None) -> "_Context":
        """This context with some of its parts replaced (the rest, the fallback included, kept)."""
        return _Context(
            self.scope if scope is None else scope,
            self.guarded if guarded is None else guarded,
            self.type_checking if type_checking is None else type_checking,
            self.tests if tests is None else tests,
            self.fallback,
        )


class _Walker:
    def __init__(self) -> None:
        self.imports: List[tuple] = []
        self.defs: set = set()  # def and class names at module level
        self.assigned: set = set()  # assignment targets at module level
        self.bound: set = set()  # names bound by imports (and loop/with targets) at module level
        self.globals_declared: set = set()  # `global x` inside functions: x is a module name
        self.all_names: Optional[List[str]] = None
        self.all_dynamic = False
        self.decorators: set = set()
        self.flags: Dict[str, tuple] = {}  # module-level NAME -> encoded condition (or version source)
        self._defaults: Dict[str, Any] = {}  # module-level NAME -> constant it was last set to
        self.functions: List[Tuple[str, int, int]] = []  # module-level (name, first line, last line)
        self.returns: Dict[str, tuple] = {}  # module-level function -> encoded condition it returns
        self._encoded: Dict[int, tuple] = {}  # id(test node) -> encoded condition
        self.handed_names: set = set()  # module names given to module-level calls made for their effect

    # -- statements -------------------------------------------------------------------
    def body(self, statements: List[ast.stmt], ctx: _Context) -> None:
        handlers = _HANDLERS
        for node in statements:
            handler = handlers.get(type(node))
            if handler is not None:
                handler(self, node, ctx)

    def _Import(self, node: ast.Import, ctx: _Context) -> None:
        for alias in node.names:
            self._record(node, ctx, "import", 0, alias.name, None)
            if ctx.scope == "module":
                self.bound.add(alias.asname or alias.name.partition(".")[0])

    def _ImportFrom(self, node: ast.ImportFrom, ctx: _Context) -> None:
        names = tuple(alias.name for alias in node.names)
        self._record(node, ctx, "from", node.level or 0, node.module or "", names)
        if ctx.scope == "module" and names != ("*",):
            self.bound.update(alias.asname or alias.name for alias in node.names)

    def _record(self, node: ast.stmt, ctx: _Context, kind: str, level: int, module: str, names) -> None:
        scope = "function" if ctx.scope == "function" else "module"
        end_line = getattr(node, "end_lineno", None) or node.lineno
        conditions = tuple((self._condition(test), polarity) for test, polarity in ctx.tests)
        self.imports.append((node.lineno, end_line, kind, level, module, names, scope, ctx.guarded, ctx.type_checking, conditions, ctx.fallback))

    def _condition(self, test: ast.expr) -> tuple:
        encoded = self._encoded.get(id(test))
        if encoded is None:
            try:
                encoded = encode_condition(test)
            except RecursionError:  # `not not ... x` a thousand deep: a test nothing can decide
                encoded = ("unknown", ())
            self._encoded[id(test)] = encoded
        return encoded

    def _note_decorators(self, node, ctx: _Context) -> None:
        if ctx.scope != "module":
            return
        for decorator in node.decorator_list:
            root = decorator.func if isinstance(decorator, ast.Call) else decorator
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name):
                self.decorators.add(root.id)

    def _FunctionDef(self, node, ctx: _Context) -> None:
        if ctx.scope == "module":
            self.defs.add(node.name)
            self.functions.append((node.name, node.lineno, getattr(node, "end_lineno", None) or node.lineno))
            returned = _single_return(node)
            if returned is not None and not (ctx.tests or ctx.guarded or ctx.fallback):
                encoded = self._condition(returned)
                if encoded[0] not in ("unknown", "const"):
                    self.returns[node.name] = encoded
        self._note_decorators(node, ctx)
        self.body(node.body, ctx.inside(scope="function"))

    _AsyncFunctionDef = _FunctionDef

    def _ClassDef(self, node: ast.ClassDef, ctx: _Context) -> None:
        if ctx.scope == "module":
            self.defs.add(node.name)
        self._note_decorators(node, ctx)
        # A class body runs when its module is imported: its imports are module-level in effect.
        scope = "class" if ctx.scope == "module" else ctx.scope
        self.body(node.body, ctx.inside(scope=scope))

    def _Global(self, node: ast.Global, ctx: _Context) -> None:
        if ctx.scope == "function":
            self.globals_declared.update(node.names)

    def _If(self, node: ast.If, ctx: _Context) -> None:
        # An `elif` chain is walked in a loop, not by recursion: a generated chain of thousands
        # of branches parses, and must not exhaust the scanner's stack.
        while True:
            test = node.test
            # The two tests decided here, at parse time, whatever the target.
            if dotted_name(test) in _TYPE_CHECKING_NAMES:
                self.body(node.body, ctx.inside(type_checking=True))
            elif isinstance(test, ast.Constant):  # `if False:` never runs; `if True:` always does
                if test.value:
                    self.body(node.body, ctx)
                    return
            else:
                self.body(node.body, ctx.inside(tests=ctx.tests + ((test, True),)))
                ctx = ctx.inside(tests=ctx.tests + ((test, False),))
            orelse = node.orelse
            if len(orelse) == 1 and isinstance(orelse[0], ast.If):
                node = orelse[0]
                continue
            self.body(orelse, ctx)
            return

    def _Try(self, node, ctx: _Context) -> None:
        guards = any(_catches_import_error(handler.type) for handler in node.handlers)
        self.body(node.body, ctx.inside(guarded=True) if guards else ctx)
        try_lines = (node.body[0].lineno, getattr(node.body[-1], "end_lineno", None) or node.body[-1].lineno)
        if guards and ctx.scope == "module" and not (ctx.tests or ctx.guarded or ctx.fallback):
            self._note_try_flags(node, try_lines)
        for handler in node.handlers:
            # A handler that catches ImportError runs only when the try failed: its imports are
            # fallbacks, judged by whether the try's own imports succeed on the target.
            catches = _catches_import_error(handler.type)
            inner = _Context(ctx.scope, ctx.guarded, ctx.type_checking, ctx.tests, try_lines if catches else ctx.fallback)
            self.body(handler.body, inner)
        self.body(node.orelse, ctx)
        self.body(node.finalbody, ctx)

    _TryStar = _Try

    def _With(self, node, ctx: _Context) -> None:
        guards = False
        for item in node.items:
            if ctx.scope == "module" and item.optional_vars is not None:
                self._bind_target(item.optional_vars)
            guards = guards or _is_suppress_import_error(item.context_expr)
        self.body(node.body, ctx.inside(guarded=True) if guards else ctx)

    _AsyncWith = _With

    def _For(self, node, ctx: _Context) -> None:
        if ctx.scope == "module":
            self._bind_target(node.target)
        self.body(node.body, ctx)
        self.body(node.orelse, ctx)

    _AsyncFor = _For

    def _While(self, node: ast.While, ctx: _Context) -> None:
        self.body(node.body, ctx)
        self.body(node.orelse, ctx)

    def _Match(self, node, ctx: _Context) -> None:
        for case in node.cases:
            self.body(case.body, ctx)

    def _Assign(self, node: ast.Assign, ctx: _Context) -> None:
        if ctx.scope != "module":
            return
        self._note_flag(node.targets, node.value, ctx)
        if not (ctx.tests or ctx.guarded or ctx.fallback):
            for name, value in _constant_assignments([node]).items():
                self._defaults[name] = value
                self.flags.pop(name, None)  # a later plain assignment replaces a try's flag
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == "__all__":
                self._set_all(node.value, replace=True)
            self._bind_target(target, defines=True)

    def _AnnAssign(self, node: ast.AnnAssign, ctx: _Context) -> None:
        # `x: int` alone binds nothing at run time; `x: int = 0` does.
        if ctx.scope == "module" and node.value is not None:
            if isinstance(node.target, ast.Name) and node.target.id == "__all__":
                self._set_all(node.value, replace=True)
            self._bind_target(node.target, defines=True)

    def _AugAssign(self, node: ast.AugAssign, ctx: _Context) -> None:
        if ctx.scope != "module":
            return
        if isinstance(node.target, ast.Name) and node.target.id == "__all__":
            self._set_all(node.value, replace=False)
        self._bind_target(node.target, defines=True)

    def _Expr(self, node: ast.Expr, ctx: _Context) -> None:
        call = node.value
        if ctx.scope == "module" and isinstance(call, ast.Call):
            self._note_handed_name(call)
        # __all__.extend([...]) / __all__.append("x")
        if ctx.scope != "module" or not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
            return
        owner = call.func.value
        if not (isinstance(owner, ast.Name) and owner.id == "__all__"):
            return
        if call.func.attr == "extend" and len(call.args) == 1:
            self._set_all(call.args[0], replace=False)
        elif call.func.attr == "append" and len(call.args) == 1 and _is_str(call.args[0]):
            self._extend_all([call.args[0].value])
        else:
            self.all_dynamic = True

    # -- helpers ---------------------------------------------------------------------
    def _note_handed_name(self, call: ast.Call) -> None:
        """A module-level call whose result is dropped and that is given a module's name
        (`tvm_ffi.init_ffi_api("testing", __name__)`, `_init_api("topi.utils", "tvm.topi.cpp.utils")`)
        is made to fill that module through sys.modules. `logger = init_logger(__name__)` keeps
        its result and is not such a call."""
        for argument in list(call.args) + [keyword.value for keyword in call.keywords]:
            if isinstance(argument, ast.Name) and argument.id == "__name__":
                self.handed_names.add("__name__")
            elif _is_str(argument) and "." in argument.value and all(part.isidentifier() for part in argument.value.split(".")):
                self.handed_names.add(argument.value)

    def _note_flag(self, targets, value: ast.expr, ctx: _Context) -> None:
        """`py310 = sys.version_info >= (3, 10)` or `V = version("transformers")` at module
        level, outside any `if`/try: a flag (or version) other modules' conditions may ask."""
        if len(targets) != 1 or not isinstance(targets[0], ast.Name) or ctx.tests or ctx.guarded or ctx.fallback:
            return
        name = targets[0].id
        source = _version_source(value)
        if source is not None and source[0] != "name":
            self.flags[name] = ("version_of", source)
            return
        encoded = encode_condition(value)
        if encoded[0] not in ("unknown", "flag", "const"):
            self.flags[name] = encoded

    def _note_try_flags(self, node, try_lines: Tuple[int, int]) -> None:
        """Flags a module-level `try: import x` sets: `HAS_X = True` in the body and `HAS_X =
        False` in the `except ImportError:` handler (or before the try), or `x = None` in the
        handler for a name the body imports.  Each is ("try_ok", first, last): True on a target
        where the try's imports resolve (peft's `is_transformers_dtensor_tp`)."""
        succeeded = _constant_assignments(node.body)
        handler_values: Dict[str, Any] = {}
        for handler in node.handlers:
            if _catches_import_error(handler.type):
                handler_values.update(_constant_assignments(handler.body))
        imported = {
            alias.asname or alias.name.partition(".")[0]
            for statement in node.body if isinstance(statement, (ast.Import, ast.ImportFrom))
            for alias in statement.names
        }
        try_ok = ("try_ok",) + try_lines
        for name, value in handler_values.items():
            if name in succeeded and isinstance(value, bool) and succeeded[name] is (not value):
                self.flags[name] = try_ok if succeeded[name] else ("not", try_ok)
            elif value is None and name in imported:  # `except ImportError: x = None`
                self.flags[name] = try_ok
        for name, value in succeeded.items():  # `HAS_X = False` before the try, True in it
            before = self._defaults.get(name)
            if name not in handler_values and isinstance(value, bool) and before is (not value):
                self.flags[name] = try_ok if value else ("not", try_ok)

    def _bind_target(self, target: ast.expr, defines: bool = False) -> None:
        into = self.assigned if defines else self.bound
        if isinstance(target, ast.Name):
            into.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind_target(element, defines)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, defines)

    def _set_all(self, value: ast.expr, replace: bool) -> None:
        try:
            names = _literal_strings(value)
        except RecursionError:  # `[...] + [...] + ...` a thousand terms long: read as computed
            names = None
        if names is None:
            self.all_dynamic = True
        elif replace:
            self.all_names = list(names)
        else:
            self._extend_all(names)

    def _extend_all(self, names) -> None:
        self.all_names = (self.all_names or []) + list(names)


# Statement type -> _Walker method; statements without one (return, raise, ...) bind nothing.
_HANDLERS = {
    getattr(ast, name[1:]): function
    for name, function in vars(_Walker).items()
    if name.startswith("_") and name[1:2].isupper() and hasattr(ast, name[1:])
}


def _single_return(node) -> Optional[ast.expr]:
    """The expression of a function whose body is one `return <expr>` (after a docstring)."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and _is_str(body[0].value):
        body = body[1:]
    if node.args.args or node.args.posonlyargs or node.args.kwonlyargs or node.args.vararg or node.args.kwarg:
        return None
    if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
        return body[0].value
    return None


def _constant_assignments(statements) -> Dict[str, Any]:
    """NAME -> value of the `NAME = True`, `NAME = False`, `NAME = None` among `statements`."""
    found: Dict[str, Any] = {}
    for statement in statements:
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name)):
            continue
        value = statement.value
        if isinstance(value, ast.Constant) and (value.value is True or value.value is False or value.value is None):
            found[statement.targets[0].id] = value.value
    return found


def _find_spec(node: ast.expr) -> Optional[tuple]:
    """importlib.util.find_spec("x") -> ("find_spec", "x"): whether x resolves on the target."""
    if (
        isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords and _is_str(node.args[0])
        and (dotted_name(node.func) or "").rpartition(".")[2] == "find_spec"
    ):
        return ("find_spec", node.args[0].value)
    return None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_str(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _literal_strings(node: ast.expr) -> Optional[List[str]]:
    """["a", "b"] / ("a",) / {"a"} / ["a"] + ["b"] -> names; anything computed -> None."""
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        if all(_is_str(element) for element in node.elts):
            return [element.value for element in node.elts]
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal_strings(node.left), _literal_strings(node.right)
        return None if left is None or right is None else left + right
    return None


def _exception_name(node: ast.expr) -> Optional[str]:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):  # builtins.ImportError
        return node.attr
    return None


def _catches_import_error(handler_type: Optional[ast.expr]) -> bool:
    if handler_type is None:  # bare except
        return True
    if isinstance(handler_type, ast.Tuple):
        return any(_exception_name(element) in _GUARD_EXCEPTIONS for element in handler_type.elts)
    return _exception_name(handler_type) in _GUARD_EXCEPTIONS


def _is_suppress_import_error(expr: ast.expr) -> bool:
    """`with contextlib.suppress(ImportError):` guards its body like a try/except."""
    if not isinstance(expr, ast.Call):
        return False
    func = expr.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    return name == "suppress" and any(_exception_name(arg) in _GUARD_EXCEPTIONS for arg in expr.args)


# ---------------------------------------------------------------------------------------
# Conditions.  Encoded as small tuples; evaluated against a target in conditions.py.
#   ("type_checking",)                     typing.TYPE_CHECKING
#   ("const", bool)                        if True / if 0
#   ("version", slice_or_index, op, value) sys.version_info[...] <op> value
#   ("str", subject, op, value)            sys.platform / os.name / platform.system() <op> "..."
#   ("startswith", subject, prefix)        sys.platform.startswith("linux")
#   ("not", c) ("and", (c, ...)) ("or", (c, ...))
#   ("flag", "compat.py310")               a name or attribute: a module-level flag, looked up
#                                          per target in the module that defines it
#   ("dist_version", source, op, "5.17")   Version(importlib.metadata.version("x")) <op> Version("5.17"),
#                                          source ("dist", "x") | ("module", "x") (x.__version__) | ("name", "X")
#   ("call", "is_x")                       a call without arguments: decided when the module-level
#                                          function it names is `return <a condition>`
#   ("find_spec", "x")                     importlib.util.find_spec("x") (is not None): x resolves
#   ("try_ok", first, last)                the imports of a module-level `try:` body (lines first..last)
#                                          resolve on the target: flags set by try/except ImportError
#   ("unknown", roots)                     anything else; roots: the names it starts from (`config`
#                                          of `config.is_fbcode()`), to tell a question about the
#                                          environment (an imported module) from one about a value
# ---------------------------------------------------------------------------------------

_TYPE_CHECKING_NAMES = ("TYPE_CHECKING", "typing.TYPE_CHECKING", "t.TYPE_CHECKING")
_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.In: "in", ast.NotIn: "not in"}
# Calls that turn a version string into something comparable.
_VERSION_PARSERS = ("Version", "parse", "version.parse", "packaging.version.parse", "version.Version", "packaging.version.Version", "LooseVersion")
_VERSION_GETTERS = ("version", "importlib.metadata.version", "metadata.version", "importlib_metadata.version")


def encode_condition(test: ast.expr) -> tuple:
    if isinstance(test, ast.Constant):
        return ("const", bool(test.value))
    dotted = dotted_name(test)
    if dotted in _TYPE_CHECKING_NAMES:
        return ("type_checking",)
    if dotted is not None:
        return ("flag", dotted)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = encode_condition(test.operand)
        if inner[0] == "const":
            return ("const", not inner[1])
        return ("not", inner)
    if isinstance(test, ast.BoolOp):
        parts = tuple(encode_condition(value) for value in test.values)
        return ("and" if isinstance(test.op, ast.And) else "or", parts)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        # `x is None` / `x is not None`, after `except ImportError: x = None`: a flag's negation / the flag.
        if isinstance(test.ops[0], (ast.Is, ast.IsNot)) and _is_none(test.comparators[0]):
            spec = _find_spec(test.left)
            flag = ("flag", test.left.id) if isinstance(test.left, ast.Name) else spec
            if flag is not None:
                return ("not", flag) if isinstance(test.ops[0], ast.Is) else flag
        op = _OPS.get(type(test.ops[0]))
        return _encode_comparison(test.left, op, test.comparators[0]) or _unknown(test)
    if isinstance(test, ast.Call):
        spec = _find_spec(test)
        if spec is not None:
            return spec
        called = dotted_name(test.func)
        if called is not None and not test.args and not test.keywords:
            return ("call", called)  # `is_x_available()`: decided when its function returns a flag
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "startswith":
        subject = _string_subject(test.func.value)
        if subject and len(test.args) == 1 and _is_str(test.args[0]):
            return ("startswith", subject, test.args[0].value)
    return _unknown(test)


def _unknown(test: ast.expr) -> tuple:
    """An undecidable test, with the names it asks (`config` of `config.is_fbcode()`): the
    subject of a comparison, the function called, a flag; never the values it is compared
    with (`torch` of `x.dtype == torch.bfloat16` is not a question about torch)."""
    roots = set()
    stack = [test]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            roots.add(node.id)
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            stack.append(node.value)
        elif isinstance(node, ast.Call):
            stack.append(node.func)
        elif isinstance(node, ast.Compare):
            stack.append(node.left)
        elif isinstance(node, ast.BoolOp):
            stack.extend(node.values)
        elif isinstance(node, ast.UnaryOp):
            stack.append(node.operand)
    return ("unknown", tuple(sorted(roots)))


def _version_source(node: ast.expr) -> Optional[tuple]:
    """What a version string comes from: version("x") / x.__version__ / a module-level NAME."""
    if isinstance(node, ast.Call) and dotted_name(node.func) in _VERSION_GETTERS and len(node.args) == 1 and _is_str(node.args[0]):
        return ("dist", node.args[0].value)
    if isinstance(node, ast.Attribute) and node.attr == "__version__" and dotted_name(node.value):
        return ("module", dotted_name(node.value))
    if isinstance(node, ast.Name):
        return ("name", node.id)
    return None


def _parsed_version(node: ast.expr) -> Optional[ast.expr]:
    """The argument of Version(...) / parse(...), or None."""
    if isinstance(node, ast.Call) and dotted_name(node.func) in _VERSION_PARSERS and len(node.args) == 1:
        return node.args[0]
    return None


def _encode_comparison(left: ast.expr, op: Optional[str], right: ast.expr) -> Optional[tuple]:
    if op is None:
        return None
    left_arg, right_arg = _parsed_version(left), _parsed_version(right)
    if left_arg is not None and right_arg is not None and _is_str(right_arg):
        source = _version_source(left_arg)
        return ("dist_version", source, op, right_arg.value) if source is not None else None
    version = _version_subject(left)
    if version is not None:
        value = _literal_version(right)
        return ("version", version, op, value) if value is not None else None
    subject = _string_subject(left)
    if subject is not None:
        if _is_str(right):
            return ("str", subject, op, right.value)
        if op in ("in", "not in"):
            values = _literal_strings(right)
            return ("str", subject, op, tuple(values)) if values is not None else None
    return None


def dotted_name(node: ast.expr) -> Optional[str]:
    """`a.b.c` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _version_subject(node: ast.expr) -> Optional[Any]:
    """sys.version_info -> "all"; [:2] -> ("slice", 2); [0] -> ("index", 0); .minor -> ("index", 1)."""
    if dotted_name(node) == "sys.version_info":
        return "all"
    if isinstance(node, ast.Attribute) and dotted_name(node.value) == "sys.version_info":
        index = {"major": 0, "minor": 1, "micro": 2}.get(node.attr)
        return ("index", index) if index is not None else None
    if isinstance(node, ast.Subscript) and dotted_name(node.value) == "sys.version_info":
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, int):
            return ("index", key.value)
        if isinstance(key, ast.Slice) and key.lower is None and key.step is None and isinstance(key.upper, ast.Constant):
            return ("slice", key.upper.value)
    return None


def _literal_version(node: ast.expr) -> Optional[Any]:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Tuple) and all(isinstance(e, ast.Constant) and isinstance(e.value, int) for e in node.elts):
        return tuple(e.value for e in node.elts)
    return None


def _string_subject(node: ast.expr) -> Optional[str]:
    name = dotted_name(node)
    if name in ("sys.platform", "os.name"):
        return name
    if isinstance(node, ast.Call) and not node.args and dotted_name(node.func) in ("platform.system", "platform.machine"):
        return dotted_name(node.func) + "()"
    return None
