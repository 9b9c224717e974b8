"""The patch fixer: re-point a dead import at the module that defines the name now.

For IMP001/IMP002 findings whose every missing name has exactly one new home, the
import statement is rewritten in the installed file: the names that moved are imported
from their new modules, the rest stay where they were.  The plan shows the diff; the
executor keeps the original in the journal, so `envdoctor undo` puts it back.
"""

from __future__ import annotations

import ast
from typing import Dict, List, Optional

from envdoctor.fixes.fixer_api import FixContext, FixPlan, WriteFile, fixer
from envdoctor.model.finding import Finding


@fixer(name="repoint-import", kind="patch", codes=("IMP001", "IMP002"))
def repoint_import(finding: Finding, context: FixContext) -> Optional[FixPlan]:
    """Rewrite `from old import name` to import each moved name from its one new home."""
    parameters = (finding.fix.parameters if finding.fix else None) or {}
    path, line, moves = parameters.get("path"), parameters.get("line"), parameters.get("moves")
    if not path or not line or not moves:
        return None
    try:
        with open(path, "r", encoding="utf-8") as handle:
            source = handle.read()
    except (OSError, UnicodeDecodeError):
        return None
    patched = repoint(source, line, moves)
    if patched is None:
        return None
    described = ", ".join(f"{name}={home}" for name, home in moves.items())
    action = WriteFile(path, patched, f"re-point the import on line {line} ({described})")
    notes = ("edits an installed file: a reinstall of its distribution undoes it, and so does `envdoctor undo`",)
    return FixPlan(f"re-point the dead import in {path}:{line}", (action,), safe=False, notes=notes)


def repoint(source: str, line: int, moves: Dict[str, str]) -> Optional[str]:
    """The source with the from-import starting on `line` split by new home; None if it is not
    one we can rewrite safely (not found, a one-line compound statement, a star import)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    node = next((n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.lineno == line), None)
    if node is None or node.end_lineno is None or any(alias.name == "*" for alias in node.names):
        return None
    if not set(moves) <= {alias.name for alias in node.names}:
        return None
    lines = source.splitlines(keepends=True)
    first, last = lines[node.lineno - 1], lines[node.end_lineno - 1]
    indent = first[: node.col_offset]
    if indent.strip():  # `if x: from a import b` — rewriting that is not a one-statement edit
        return None
    tail = last[node.end_col_offset :].rstrip("\r\n")
    if tail.strip() and not tail.lstrip().startswith("#"):  # `from a import b; c()`
        return None
    newline = "\r\n" if first.endswith("\r\n") else "\n"
    statements: List[str] = []
    kept = [alias for alias in node.names if alias.name not in moves]
    if kept:
        statements.append(_from_import("." * node.level + (node.module or ""), kept))
    by_home: Dict[str, list] = {}
    for alias in node.names:
        if alias.name in moves:
            by_home.setdefault(moves[alias.name], []).append(alias)
    statements.extend(_from_import(home, aliases) for home, aliases in by_home.items())
    replacement = [indent + text + newline for text in statements]
    if tail.strip():
        replacement[-1] = replacement[-1].rstrip("\r\n") + tail + newline
    return "".join(lines[: node.lineno - 1] + replacement + lines[node.end_lineno :])


def _from_import(module: str, aliases) -> str:
    names = ", ".join(alias.name + (f" as {alias.asname}" if alias.asname else "") for alias in aliases)
    return f"from {module} import {names}"
