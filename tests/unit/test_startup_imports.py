"""What a start imports before it needs it: packaging's regex-compiling modules load on first use.

Loading every check (the registry) must not import packaging.markers, packaging.requirements,
packaging.specifiers or packaging.tags: an empty environment, or a --select that parses no
requirement, would pay their regular expressions for nothing.  The counterpart: the first
requirement parsed imports them and parses as before.
"""

import os
import subprocess
import sys

import pytest

from envdoctor.api import DOC_SECTIONS, CheckSpec
from envdoctor.errors import PluginError
from envdoctor.registry import validate

LAZY = ("packaging.markers", "packaging.requirements", "packaging.specifiers", "packaging.version", "packaging.tags")

REGISTRY_THEN = """
import sys
from envdoctor.registry import load_registry
registry = load_registry()
assert len(registry.checks) > 50, len(registry.checks)
print(" ".join(name for name in %r if name in sys.modules))
%s
"""


def _run(after: str = "", cache=None) -> str:
    env = {**os.environ, "ENVDOCTOR_CACHE_DIR": str(cache)} if cache is not None else None
    completed = subprocess.run([sys.executable, "-c", REGISTRY_THEN % (LAZY, after)], capture_output=True, text=True,
                               timeout=120, env=env)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_loading_every_check_imports_no_packaging_parser(tmp_path):
    # An empty cache folder: no check manifest, so every check module is imported (a valid
    # manifest would import none of them, and this would hold whatever they import).
    assert _run(cache=tmp_path).split("\n")[0] == ""


@pytest.mark.parametrize("first_use, expected", [
    ("from envdoctor.vocabulary.requires_dist import parse_requirement\n"
     "print(str(parse_requirement('torch>=2; python_version >= \"3.8\"').requirement))", 'torch>=2; python_version >= "3.8"'),
    ("from envdoctor.vocabulary.requires_dist import parse_requirement\n"
     "print(parse_requirement('pkg @ https://example.org/pkg.whl').requirement.url)", "https://example.org/pkg.whl"),
    ("from envdoctor.vocabulary.versions import satisfies\nprint(satisfies('2.1rc1', '>=2'), satisfies('x', '>=2'))",
     "True False"),
    ("from envdoctor.vocabulary.supported_tags import tags_of\nprint(sorted(map(str, tags_of(['py2.py3-none-any']))))",
     "['py2-none-any', 'py3-none-any']"),
])
def test_first_use_imports_packaging_and_answers_as_before(first_use, expected):
    assert _run(first_use).split("\n")[1] == expected


@pytest.mark.parametrize("doc, missing", [
    ("Docs.\n\n    What it detects\n        x\n    Why it breaks\n        x\n    Example\n        x\n    Fix\n        x\n"
     "    References\n        x\n    ", []),
    ("Docs.\n\tWhat it detects\n\t\tx\n\tWhy it breaks\n\tExample\n\tFix\n\tReferences\n\t\tx", []),
    ("Docs: What it detects, Why it breaks, Example, Fix and References are below.\n", list(DOC_SECTIONS)),
    ("Docs.\n    What it detects: x\n    Why it breaks\n    Example\n    Fix\n    References", ["What it detects"]),
])
def test_the_registry_reads_doc_sections_from_the_raw_docstring_as_from_the_cleaned_one(doc, missing):
    """validate() skips inspect.cleandoc: a header is a line of its own either way."""
    import inspect

    assert [s for s in DOC_SECTIONS if f"{s}\n" not in inspect.cleandoc(doc) + "\n"] == missing
    spec = CheckSpec(code="ABC001", name="abc", summary="x", needs=("distributions",), function=_with_doc(doc))
    if missing:
        with pytest.raises(PluginError, match="docstring lacks the sections"):
            validate(spec, "here")
    else:
        validate(spec, "here")


def _with_doc(doc):
    def function(facts):
        return iter(())

    function.__doc__ = doc
    return function
