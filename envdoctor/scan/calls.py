"""Private functions that nothing runs on the target: their imports never run either.

A module-level function with a private name (`_shard_for_tp`) is called from its own package
only.  When every mention of its name in the package sits under a condition that is False on
the target, or inside another private function that never runs, the function never runs
there, nor does an import inside it: peft 0.21's `_maybe_shard_state_dict_for_tp` is called
only under `if not is_transformers_dtensor_tp and ...`, False with transformers 5.24.

Anything the walk cannot account for keeps the function alive: a mention in a string
(`getattr(module, "_shard")`, `__all__`), an `import ... as` alias, a decorator on the function
(a registry may call it), an entry point naming it (a console script, a GUI script or another
distribution's plugin loader calls it: scan/outside_callers.py), and no mention at all (nothing
in the package calls it, so something outside does, or nothing: the scan cannot tell).  A
mention by name counts wherever it is (a call, a callback passed on, an assignment).  A mention
in a class body or a method counts unless its own `if` tests are False: the method's callers
are not followed.  The answer is a reason, not a yes: the caller reports the import as info
with it, since a conclusion drawn from the package's own code may miss an outside caller.
Files are parsed again only when their text names the function, answers are cached per
function, and callers are followed MAX_DEPTH functions deep.
"""

from __future__ import annotations

import ast
from typing import Callable, Collection, Dict, Iterator, List, Optional, Sequence, Tuple

from envdoctor.scan.conditions import TargetTraits, reachable
from envdoctor.scan.summary import encode_condition

# Callers of callers followed at most this deep; deeper chains keep the function alive.
MAX_DEPTH = 3
# A condition quoted in a reason is cut to this many characters.
MAX_CONDITION_TEXT = 80
# A name mentioned in more files than this is treated as alive without reading them.
MAX_FILES = 40

# (module, is package, summary) -> the Lookup its conditions are decided with.
LookupFor = Callable[[str, bool, dict], Callable]


class Source:
    __slots__ = ("module", "path", "is_package", "summary")

    def __init__(self, module: str, path: str, is_package: bool, summary: dict):
        self.module, self.path, self.is_package, self.summary = module, path, is_package, summary


class CallSites:
    def __init__(self, sources: Sequence[Source], traits: TargetTraits, lookup_for: LookupFor, entry_points: Collection[Tuple[str, str]] = ()):
        self.sources = [source for source in sources if not source.summary["error"]]
        self.entry_points = frozenset(entry_points)  # (module, function) an entry point names
        self.by_module = {source.module: source for source in self.sources}
        self.traits = traits
        self.lookup_for = lookup_for
        self._texts: Dict[str, bytes] = {}
        self._trees: Dict[str, Optional[ast.Module]] = {}
        self._never: Dict[Tuple[str, str], Optional[str]] = {}

    def enclosing_function(self, module: str, line: int) -> Optional[str]:
        """The module-level function of `module` whose body holds `line`."""
        source = self.by_module.get(module)
        for name, first, last in source.summary.get("functions", ()) if source else ():
            if first <= line <= last:
                return name
        return None

    def why_never_runs(self, module: str, function: str, depth: int = 0) -> Optional[str]:
        """Why nothing in the package can call the private `function` of `module` here
        ("_f is only called under `X`, False here"), or None when it may run."""
        if not _is_private(function) or depth > MAX_DEPTH or (module, function) in self.entry_points:
            return None
        key = (module, function)
        if key not in self._never:
            self._never[key] = None  # a recursive call while deciding this one keeps it alive
            self._never[key] = self._decide(module, function, depth)
        return self._never[key]

    def _decide(self, module: str, function: str, depth: int) -> Optional[str]:
        needle = function.encode()
        mentioning = [source for source in self.sources if needle in self._text(source.path)]
        if len(mentioning) > MAX_FILES:
            return None
        reasons = []  # one per mention that cannot run, the first one shown
        for source in mentioning:
            tree = self._tree(source.path)
            if tree is None:
                return None
            lookup = self.lookup_for(source.module, source.is_package, source.summary)
            for mention in _mentions(tree, function):
                if mention.alive_anyway:
                    return None
                if mention.defines:
                    if source.module == module and mention.decorated:
                        return None
                    continue
                if reachable(mention.conditions, self.traits, lookup) is False:
                    reasons.append(f"{function} is only called under `{self._false_test(mention, lookup)}`, False here")
                    continue
                if mention.enclosing == function and source.module == module:
                    continue  # it calls itself: only its callers matter
                caller_never_runs = self.why_never_runs(source.module, mention.enclosing, depth + 1) if mention.enclosing else None
                if caller_never_runs is None:
                    return None
                reasons.append(f"{function} is only called from {mention.enclosing}; {caller_never_runs}")
        # No mention at all: called from outside the package (or by nobody): it may run.
        return reasons[0] if reasons else None

    def _false_test(self, mention: "_Mention", lookup) -> str:
        """The text of the first `if` test above the mention that is False here (all of them
        joined when only their combination is)."""
        tests = [(condition, _shown(*test)) for condition, test in zip(mention.conditions, mention.tests)]
        false = [shown for condition, shown in tests if reachable((condition,), self.traits, lookup) is False]
        text = false[0] if false else " and ".join(shown for _, shown in tests)
        return text if len(text) <= MAX_CONDITION_TEXT else text[: MAX_CONDITION_TEXT - 3] + "..."

    def _text(self, path: str) -> bytes:
        text = self._texts.get(path)
        if text is None:
            try:
                with open(path, "rb") as handle:
                    text = handle.read()
            except OSError:
                text = b""
            self._texts[path] = text
        return text

    def _tree(self, path: str) -> Optional[ast.Module]:
        if path not in self._trees:
            try:
                self._trees[path] = ast.parse(self._text(path))
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                self._trees[path] = None
        return self._trees[path]


class _Mention:
    __slots__ = ("conditions", "tests", "enclosing", "defines", "decorated", "alive_anyway")

    def __init__(self, conditions: tuple, tests: tuple, enclosing: Optional[str], defines: bool = False, decorated: bool = False, alive_anyway: bool = False):
        self.conditions = conditions  # ((encoded test, polarity), ...) of the enclosing ifs
        self.tests = tests  # the same tests as (node, polarity), shown only in a reason
        self.enclosing = enclosing  # the module-level function it sits in, or None
        self.defines = defines  # the module-level `def` of the function itself
        self.decorated = decorated
        self.alive_anyway = alive_anyway  # a mention the walk cannot follow


def _mentions(tree: ast.Module, name: str) -> Iterator[_Mention]:
    """Every mention of `name` in a module, with the `if` tests above it.  Walked with an
    explicit stack: a deeply nested file must not exhaust the interpreter's."""
    # (node, conditions, their tests as (node, polarity), enclosing module-level function, inside a class)
    stack: List[tuple] = [(child, (), (), None, False) for child in reversed(tree.body)]
    while stack:
        node, conditions, tests, enclosing, in_class = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            at_module = enclosing is None and not in_class
            if node.name == name:
                if not at_module:
                    yield _Mention(conditions, tests, enclosing, alive_anyway=True)  # a method or inner def of that name
                    continue
                yield _Mention(conditions, tests, None, defines=True, decorated=bool(node.decorator_list))
            inner = node.name if at_module else enclosing
            children = [*node.decorator_list, node.args, *node.body]
            if node.returns is not None:
                children.append(node.returns)
            stack.extend((child, conditions, tests, inner, in_class) for child in reversed(children))
            continue
        if isinstance(node, ast.ClassDef):
            stack.extend((child, conditions, tests, enclosing, True) for child in reversed([*node.decorator_list, *node.bases, *node.body]))
            continue
        if isinstance(node, ast.If):
            test = _encoded(node.test)
            stack.append((node.test, conditions, tests, enclosing, in_class))
            stack.extend((child, conditions + ((test, True),), tests + ((node.test, True),), enclosing, in_class) for child in reversed(node.body))
            stack.extend((child, conditions + ((test, False),), tests + ((node.test, False),), enclosing, in_class) for child in reversed(node.orelse))
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name.rpartition(".")[2] == name and alias.asname not in (None, name):
                    yield _Mention(conditions, tests, enclosing, alive_anyway=True)  # renamed: followed no further
            continue
        mentioned = (
            (isinstance(node, ast.Name) and node.id == name)
            or (isinstance(node, ast.Attribute) and node.attr == name)
            or (isinstance(node, ast.Constant) and isinstance(node.value, str) and name in node.value)
        )
        if mentioned:
            # In a class body or a method `enclosing` is None: it counts unless its own tests are False.
            yield _Mention(conditions, tests, enclosing, alive_anyway=isinstance(node, ast.Constant))
        stack.extend((child, conditions, tests, enclosing, in_class) for child in reversed(list(ast.iter_child_nodes(node))))


def _shown(test: ast.expr, polarity: bool) -> str:
    """An `if` test as its source spells it; an `else` branch's as its negation."""
    try:
        text = ast.unparse(test)
    except RecursionError:
        text = "..."
    return text if polarity else f"not ({text})"


def _encoded(test: ast.expr) -> tuple:
    try:
        return encode_condition(test)
    except RecursionError:
        return ("unknown", ())


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")
