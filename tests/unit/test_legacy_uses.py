"""scan/legacy_uses.py: what a source file does at import time, read with ast.

Each case is real source in the shapes installed packages use (six's module-level append,
setuptools' VendorImporter.install(), guarded fallbacks); near-misses beside each positive.
"""

from __future__ import annotations

import sysconfig
import textwrap
from pathlib import Path

import pytest

from envdoctor.scan import legacy_uses
from envdoctor.scan.conditions import TargetTraits, reachable
from envdoctor.scan.legacy_uses import summarize_legacy


def summary(source: str) -> dict:
    return summarize_legacy(textwrap.dedent(source).encode())


def imported(source: str):
    return [(line, module, names) for line, module, names, _ in summary(source)["imports"]]


def test_module_level_imports_of_removed_modules_and_names():
    assert imported("import os, imp\nfrom distutils.version import LooseVersion\n") == [
        (1, "imp", None), (2, "distutils.version", ["LooseVersion"])]
    assert imported("from collections import OrderedDict, Mapping\n") == [(1, "collections", ["OrderedDict", "Mapping"])]
    assert imported("from collections import OrderedDict\nimport importlib\n") == []  # near-miss: nothing removed


def test_guarded_imports_and_their_fallbacks_are_not_uses():
    source = """
        try:
            from collections.abc import Mapping
        except ImportError:
            from collections import Mapping
        try:
            import imp
        except ImportError:
            imp = None
    """
    assert summary(source)["imports"] == []


def test_imports_in_functions_count_only_when_import_time_code_calls_them():
    source = """
        def later():
            import imp
        def now():
            import asyncore
        now()
    """
    assert imported(source) == [(5, "asyncore", None)]


def test_attribute_uses_through_a_module_level_import():
    source = """
        import collections
        import inspect
        class Registry(collections.MutableMapping):
            pass
        def argnames(f):
            return inspect.getargspec(f).args
    """
    assert [(line, name) for line, name, _ in summary(source)["attributes"]] == [(4, "collections.MutableMapping")]


def test_version_conditions_are_stored_and_decided_per_target():
    source = """
        import sys
        if sys.version_info < (3, 4):
            import imp
    """
    (_, _, _, conditions), = summary(source)["imports"]
    assert reachable(conditions, TargetTraits((3, 12, 1), {})) is False
    assert reachable(conditions, TargetTraits((3, 3, 0), {})) is True


def test_six_style_module_level_append_of_a_find_module_only_instance():
    source = """
        import sys
        class _SixMetaPathImporter(object):
            def find_module(self, fullname, path=None):
                return None
            def load_module(self, fullname):
                return None
        _importer = _SixMetaPathImporter(__name__)
        sys.meta_path.append(_importer)
    """
    found = summary(source)
    assert [(line, name, spec) for line, name, spec, _, _ in found["classes"]] == [(3, "_SixMetaPathImporter", False)]
    assert [(line, name) for line, name, _ in found["insertions"]] == [(9, "_SixMetaPathImporter")]


def test_insertion_by_a_method_that_module_level_code_calls():
    source = """
        import sys
        class VendorImporter:
            def find_module(self, fullname, path=None):
                return self
            def install(self):
                if self not in sys.meta_path:
                    sys.meta_path.insert(0, self)
        VendorImporter(__name__).install()
    """
    assert [(line, name) for line, name, _ in summary(source)["insertions"]] == [(8, "VendorImporter")]
    # Near-miss: the same class, but nothing at import time calls install().
    assert summary(source.replace("VendorImporter(__name__).install()", ""))["insertions"] == []


def test_files_without_any_of_the_words_are_not_parsed():
    assert summary("def f(:\n")["error"] is None  # a syntax error the prefilter never lets ast see
    assert summary("import imp\ndef f(:\n")["error"] == "SyntaxError"


def _substring_prefilter(source: bytes) -> bool:
    """The prefilter before it read the file's words: plain substring tests over every byte (the
    reference the word prefilter is held to)."""
    if any(anchor in source for anchor in legacy_uses.ANCHORS):
        return True
    if any(name in source and any(form in source for form in forms) for name, forms in legacy_uses.SHORT_FORMS):
        return True
    if any(module in source and any(dotted in source for dotted in names)
           for module, names in legacy_uses.DOTTED_NAMES.items()):
        return True
    return any(start in source and legacy_uses._imports_one_of(source, start, names)
               for start, names in legacy_uses.FROM_IMPORTS.items())


def _uses(summary: dict) -> list:
    return [summary[kind] for kind in ("imports", "attributes", "classes", "insertions") if summary[kind]]


@pytest.mark.slow  # ~6 s: reads and filters every file of the standard library
def test_the_word_prefilter_lets_through_every_file_with_a_use(monkeypatch):
    """Over real code (this Python's standard library and envdoctor's own site-packages, setuptools'
    vendored `_distutils` and pkg_resources included): a file the substring prefilter passed and the
    word prefilter stops holds no use when it is parsed anyway, and it stops some (it is tighter)."""
    folders = {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]}
    sources = [path.read_bytes() for folder in folders for path in Path(folder).rglob("*.py")
               if "site-packages" not in path.relative_to(folder).parts[:1] and path.is_file()]
    assert len(sources) > 1000
    stopped = [source for source in sources if _substring_prefilter(source) and not legacy_uses.worth_parsing(source)]
    assert stopped
    assert not any(legacy_uses.worth_parsing(source) and not _substring_prefilter(source) for source in sources)
    monkeypatch.setattr(legacy_uses, "worth_parsing", lambda source: True)
    assert [_uses(summarize_legacy(source)) for source in stopped] == [[] for _ in stopped]


def test_the_word_prefilter_reads_names_as_whole_words():
    assert summary("from setuptools._distutils import core\ndef f(:\n")["error"] is None  # not distutils
    assert summary("from distutils import core\ndef f(:\n")["error"] == "SyntaxError"
    assert summary("import typing\nx: typing.Mapping\ndef f(:\n")["error"] is None  # Mapping, not collections'
    assert summary("import collections\nx = collections.Mapping\ndef f(:\n")["error"] == "SyntaxError"
    assert summary("x = __import__('pkg_resources')\ndef f(:\n")["error"] == "SyntaxError"
    assert summary("from collections import (\n    Mapping,\n)\ndef f(:\n")["error"] == "SyntaxError"


def test_spellings_the_substring_prefilter_stopped_are_found():
    """`import os,imp`, `import os, imp as i` and a `from ... import \\` continued on the next line:
    the summary holds each use, and the prefilter no longer stops these files before ast sees them."""
    assert imported("import os,imp\n") == [(1, "imp", None)]
    assert imported("import os, imp as i\n") == [(1, "imp", None)]
    assert imported("from collections import \\\n    Mapping\n") == [(1, "collections", ["Mapping"])]
    assert imported("from collections import \\\r\n    Mapping\r\n") == [(1, "collections", ["Mapping"])]
    # Near-misses: a loop variable after a comma, and a continued import of names still in place.
    assert imported("for i, imp in pairs:\n    pass\n") == []
    assert imported("from collections import \\\n    OrderedDict\n") == []
