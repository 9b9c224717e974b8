"""The import scanner's resolution rules, each positive and negative, on real files.

A tree of packages is written under tmp_path/site, which is the target's only sys.path
entry (plus the real standard library); the scanned code is a folder in it.
"""

from __future__ import annotations

import importlib.machinery
import os
import textwrap
from pathlib import Path
from typing import Dict

import pytest

from envdoctor.model.facts import ImportScan
from envdoctor.scan import summary as summary_module
from envdoctor.scan.conditions import TargetTraits, evaluate, reachable
from envdoctor.scan.outside_callers import entry_point_functions
from envdoctor.scan.pipeline import scan_imports
from envdoctor.scan.request import ScanRequest
from envdoctor.scan.summary import encode_condition, summarize_source
from tests.helpers.facts import dist, make_facts

STDLIB = os.path.dirname(os.__file__)
EXT = importlib.machinery.EXTENSION_SUFFIXES[0]


def write_tree(root: Path, files: Dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def scan(tmp_path: Path, files: Dict[str, str], folder: str = "consumer", dists=(), version=(3, 11, 7), cache=True) -> ImportScan:
    site = tmp_path / "site"
    write_tree(site, files)
    path = [
        {"index": 0, "entry": STDLIB, "path": STDLIB, "origin": "stdlib", "kind": "dir"},
        {"index": 1, "entry": str(site), "path": str(site), "origin": "site-packages", "kind": "dir"},
    ]
    facts = make_facts(dists=list(dists), path=path, version=version)
    request = ScanRequest(items=(str(site / folder),), include_stack=False)
    return scan_imports(facts, request, cache_dir=(tmp_path / "cache") if cache else None)


def problems(result: ImportScan):
    """{(kind, module, missing)} for quick comparison."""
    return {(p.kind, p.module, p.missing) for p in result.problems}


def only(result: ImportScan, **match):
    found = [p for p in result.problems if all(getattr(p, k) == v for k, v in match.items())]
    assert len(found) == 1, (match, result.problems)
    return found[0]


# --- modules ----------------------------------------------------------------------------------

def test_a_deleted_module_is_missing_and_existing_ones_resolve(tmp_path):
    result = scan(tmp_path, {
        "consumer/__init__.py": "",
        "consumer/layers/__init__.py": "",
        "consumer/layers/activation.py": "def gelu(): pass\n",
        "consumer/moe.py": """
            from consumer.layers.activation import gelu
            from consumer.layers.old_activation import swiglu
            import consumer.layers.activation
            import consumer.layers.gone
        """,
    })
    assert problems(result) == {
        ("missing-module", "consumer.layers.old_activation", "consumer.layers.old_activation"),
        ("missing-module", "consumer.layers.gone", "consumer.layers.gone"),
    }
    problem = only(result, module="consumer.layers.old_activation")
    assert problem.line == 3 and problem.statement == "from consumer.layers.old_activation import swiglu"
    assert problem.names == ("swiglu",) and problem.scope == "module"


def test_relative_imports_from_init_and_from_submodules(tmp_path):
    result = scan(tmp_path, {
        "consumer/__init__.py": "from .core import run\nfrom . import helpers\nfrom . import nothing_here\n",
        "consumer/core.py": "def run(): pass\n",
        "consumer/helpers.py": "",
        "consumer/sub/__init__.py": "",
        "consumer/sub/deep.py": "from ..core import run\nfrom ..core import walk\nfrom ...outside import x\n",
    })
    assert problems(result) == {
        ("missing-name", "consumer", "nothing_here"),
        ("missing-name", "consumer.core", "walk"),
        ("beyond-top-level", "...outside", "...outside"),
    }


def test_a_submodule_counts_as_a_name(tmp_path):
    result = scan(tmp_path, {
        "consumer/__init__.py": "",
        "consumer/ops/__init__.py": "",
        "consumer/ops/topk.py": "",
        "consumer/use.py": "from consumer.ops import topk\nfrom consumer.ops import routing\n",
    })
    assert problems(result) == {("missing-name", "consumer.ops", "routing")}


def test_submodule_of_a_plain_module_is_missing_unless_it_edits_sys_modules(tmp_path):
    result = scan(tmp_path, {
        "consumer/__init__.py": "",
        "consumer/plain.py": "x = 1\n",
        "consumer/sixlike.py": "import sys\nsys.modules[__name__ + '.moves'] = object()\n",
        "consumer/use.py": "import consumer.plain.sub\nimport consumer.sixlike.moves\n",
    })
    (problem,) = result.problems
    assert (problem.module, problem.missing) == ("consumer.plain.sub", "consumer.plain.sub")
    assert "is a module, not a package" in problem.detail


def test_namespace_package_has_only_submodules(tmp_path):
    result = scan(tmp_path, {
        "nsprov/part.py": "value = 1\n",
        "consumer/__init__.py": "",
        "consumer/use.py": "from nsprov import part\nfrom nsprov import value\nfrom nsprov.part import value\n",
    })
    assert problems(result) == {("missing-name", "nsprov", "value")}


def test_extension_modules_exist_and_their_names_are_unknown(tmp_path):
    result = scan(tmp_path, {
        f"fastlib/_C{EXT}": "",
        "fastlib/__init__.py": "",
        "consumer/__init__.py": "",
        "consumer/use.py": "from fastlib._C import anything\nimport fastlib._C._nn\nfrom fastlib._D import x\n",
    })
    assert problems(result) == {("missing-module", "fastlib._D", "fastlib._D")}


def test_a_module_nothing_provides_is_uninstalled(tmp_path):
    result = scan(tmp_path, {
        "consumer/__init__.py": "",
        "consumer/use.py": "import definitely_not_installed_xyz\nfrom definitely_not_installed_xyz.sub import a\nimport json\n",
    })
    assert {(p.kind, p.missing) for p in result.problems} == {("uninstalled", "definitely_not_installed_xyz")}
    assert len(result.problems) == 2


# --- names ------------------------------------------------------------------------------------

def test_names_from_star_import_chains(tmp_path):
    result = scan(tmp_path, {
        "prov/__init__.py": "",
        "prov/base.py": "def f(): pass\n_private = 1\nclass K: pass\n",
        "prov/mid.py": "from .base import *\n",
        "prov/top.py": "from prov.mid import *\n",
        "consumer/__init__.py": "",
        "consumer/use.py": "from prov.top import f, K\nfrom prov.top import _private\nfrom prov.top import g\n",
    })
    assert problems(result) == {("missing-name", "prov.top", "_private"), ("missing-name", "prov.top", "g")}


def test_all_limits_star_imports_but_not_direct_ones(tmp_path):
    result = scan(tmp_path, {
        "prov/__init__.py": "",
        "prov/allmod.py": "__all__ = ['a']\n__all__ += ['c']\na = 1\nb = 2\nc = 3\n",
        "prov/star.py": "from prov.allmod import *\n",
        "consumer/__init__.py": "",
        "consumer/use.py": "from prov.allmod import b\nfrom prov.star import a, c\nfrom prov.star import b\n",
    })
    assert problems(result) == {("missing-name", "prov.star", "b")}


def test_star_import_from_a_computed_all_is_unknown(tmp_path):
    result = scan(tmp_path, {
        "prov/__init__.py": "",
        "prov/dyn.py": "import os\n__all__ = [n for n in dir(os)]\n",
        "prov/star.py": "from prov.dyn import *\n",
        "consumer/__init__.py": "",
        "consumer/use.py": "from prov.star import anything\n",
    })
    assert result.problems == ()


@pytest.mark.parametrize("body", [
    "def __getattr__(name):\n    return name\n",
    "__getattr__ = lambda name: name\n",
    "globals()['made_up'] = 1\n",
    "globals().update(x=1)\n",
    "import sys\nsys.modules[__name__] = object()\n",
])
def test_dynamic_modules_are_unknown_never_missing(tmp_path, body):
    result = scan(tmp_path, {
        "prov/__init__.py": "",
        "prov/lazy.py": body,
        "consumer/__init__.py": "",
        "consumer/use.py": "from prov.lazy import whatever\n",
    })
    assert result.problems == ()


def test_conditional_definitions_count(tmp_path):
    result = scan(tmp_path, {
        "prov/__init__.py": "",
        "prov/cond.py": """
            import sys
            if sys.version_info >= (3, 99):
                def newf(): pass
            else:
                oldf = 1
            try:
                from json import loads as fast
            except ImportError:
                fast = None
            for loop_name in range(1):
                pass
            with open(__file__) as handle:
                pass
            def init():
                global late
                late = 1
            x: int
        """,
        "consumer/__init__.py": "",
        "consumer/use.py": "from prov.cond import newf, oldf, fast, loop_name, handle, late\nfrom prov.cond import x\n",
    })
    # `x: int` without a value binds nothing at run time.
    assert problems(result) == {("missing-name", "prov.cond", "x")}


def test_names_bound_only_inside_functions_or_classes_are_not_module_names(tmp_path):
    result = scan(tmp_path, {
        "prov/__init__.py": "",
        "prov/scoped.py": "def f():\n    inner = 1\n    import json\nclass C:\n    attr = 1\n",
        "consumer/__init__.py": "",
        "consumer/use.py": "from prov.scoped import f, C\nfrom prov.scoped import inner, attr, json\n",
    })
    assert {p.missing for p in result.problems} == {"inner", "attr", "json"}


# --- context ----------------------------------------------------------------------------------

def test_context_of_each_site(tmp_path):
    result = scan(tmp_path, {
        "consumer/__init__.py": "",
        "consumer/ctx.py": """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from consumer.gone_a import A
            try:
                from consumer.gone_b import B
            except ImportError:
                B = None
            def later():
                from consumer.gone_c import C
            class Holder:
                from consumer.gone_d import D
            def flagged(flag):
                if flag:
                    from consumer.gone_e import E
            import contextlib
            with contextlib.suppress(ImportError):
                from consumer.gone_f import F
            try:
                from consumer.gone_g import G
            except KeyError:
                pass
        """,
    })
    get = lambda name: only(result, module=f"consumer.gone_{name}")  # noqa: E731
    assert get("a").type_checking and not get("a").guarded
    assert get("b").guarded and get("b").scope == "module"
    assert get("c").scope == "function" and not get("c").guarded
    assert get("d").scope == "module"  # a class body runs on import
    # `if flag:` on an argument is a code path the caller picks, not a question about the
    # environment: the import fails whenever that path runs, so it keeps its severity.
    assert not get("e").conditional and get("e").scope == "function"
    assert get("f").guarded
    assert not get("g").guarded  # KeyError does not catch ImportError


def test_branches_that_cannot_run_on_the_target_are_skipped(tmp_path):
    files = {
        "consumer/__init__.py": "",
        "consumer/plat.py": """
            import os, sys, platform
            if sys.platform == "win32":
                import winonly_xyz
            if sys.version_info < (3, 8):
                import py37only_xyz
            else:
                import modern_xyz
            if sys.version_info[:2] >= (3, 12):
                import py312_xyz
            if os.name == "nt" or platform.system() == "Windows":
                import nt_xyz
            if sys.platform.startswith("linux") and not sys.version_info >= (3, 12):
                import linux_old_xyz
            if False:
                import never_xyz
        """,
    }
    on_311 = {p.missing for p in scan(tmp_path / "a", files).problems}
    assert on_311 == {"modern_xyz", "linux_old_xyz"}
    on_312 = {p.missing for p in scan(tmp_path / "b", files, version=(3, 12, 1)).problems}
    assert on_312 == {"modern_xyz", "py312_xyz"}


def test_eager_imports_are_those_the_top_level_import_reaches(tmp_path):
    result = scan(tmp_path, {
        "consumer/__init__.py": "from consumer import core\n",
        "consumer/core.py": "import needed_xyz\nfrom consumer.sub import part\n",
        "consumer/sub/__init__.py": "",
        "consumer/sub/part.py": "import alsoneeded_xyz\ndef f():\n    import lazy_xyz\n",
        "consumer/optional.py": "import optional_xyz\n",
    })
    eager = {p.missing: p.eager for p in result.problems}
    assert eager == {"needed_xyz": True, "alsoneeded_xyz": True, "lazy_xyz": False, "optional_xyz": False}


# --- across distributions and suggestions -----------------------------------------------------

def test_cross_package_drift_names_the_provider_and_where_the_name_went(tmp_path):
    site = str(tmp_path / "site")
    provider = dist("providerx", "2.0", location=site, top_level=["providerx"])
    result = scan(tmp_path, {
        "providerx/__init__.py": "",
        "providerx/topk.py": "def topk(): pass\n",
        "providerx/matmul.py": "def matmul(): pass\n",
        "consumer/__init__.py": "",
        "consumer/moe.py": "from providerx.routing import topk\nfrom providerx.matmul import matmul, fused\n",
    }, dists=[provider])
    moved = only(result, module="providerx.routing")
    assert moved.kind == "missing-module" and (moved.provider, moved.provider_version) == ("providerx", "2.0")
    assert moved.homes == ("topk=providerx.topk",)
    gone = only(result, module="providerx.matmul")
    assert gone.kind == "missing-name" and gone.missing == "fused" and gone.homes == ()


def test_the_standard_library_is_a_provider(tmp_path):
    result = scan(tmp_path, {
        "consumer/__init__.py": "",
        "consumer/old.py": "from collections import Mapping\nfrom collections import OrderedDict\n",
    })
    problem = only(result, module="collections")
    assert problem.missing == "Mapping" and problem.provider == "the standard library"


def test_unparsable_file(tmp_path):
    result = scan(tmp_path, {"consumer/__init__.py": "", "consumer/bad.py": "def broken(:\n"})
    problem = only(result, kind="unparsable")
    assert problem.importer_module == "consumer.bad" and problem.line == 1 and "SyntaxError" in problem.detail


def test_a_file_too_large_or_too_deep_for_the_scanner_is_unscanned_not_unparsable(tmp_path, monkeypatch):
    monkeypatch.setattr(summary_module, "MAX_SOURCE_BYTES", 1000)
    result = scan(tmp_path, {"consumer/__init__.py": "", "consumer/big.py": "x = 1\n" * 500}, cache=False)
    assert only(result, kind="unscanned").importer_module == "consumer.big"
    monkeypatch.undo()
    # Python parses a 1,000-term `__all__ = [...] + [...] + ...`: too deep to read, so computed.
    deep = "__all__ = " + " + ".join(f"['n{i}']" for i in range(1000)) + "\n"
    summary = summarize_source(deep.encode())
    assert summary["error"] is None and summary["all_dynamic"]
    # A test too deep to encode is undecided, and the file is still scanned.
    summary = summarize_source(("if " + "not " * 2000 + "flag:\n    import os\n").encode())
    assert summary["error"] is None and summary["imports"][0][9] == ((("unknown", ()), True),)


def test_a_long_elif_chain_is_walked_without_recursion():
    chain = "if x == 0:\n    import a0\n" + "".join(f"elif x == {i}:\n    import a{i}\n" for i in range(1, 1500)) + "else:\n    import last\n"
    summary = summarize_source(chain.encode())
    assert summary["error"] is None and len(summary["imports"]) == 1501
    last = summary["imports"][-1]
    assert last[4] == "last" and len(last[9]) == 1500 and all(polarity is False for _, polarity in last[9])


# --- caching ----------------------------------------------------------------------------------

def test_a_warm_scan_parses_nothing_and_a_change_is_seen(tmp_path):
    files = {
        "consumer/__init__.py": "",
        "consumer/use.py": "from consumer.target import name\n",
        "consumer/target.py": "other = 1\n",
    }
    cold = scan(tmp_path, files)
    assert cold.scanned[0].parsed == 3 and problems(cold) == {("missing-name", "consumer.target", "name")}
    warm = scan(tmp_path, {})
    assert warm.scanned[0].parsed == 0 and warm.problems == cold.problems
    # Editing the provider module (another size) must be noticed without any other change.
    (tmp_path / "site" / "consumer" / "target.py").write_text("name = 1\nother = 1\n")
    assert scan(tmp_path, {}).problems == ()
    # A new module in a listed folder changes that folder's mtime.
    (tmp_path / "site" / "consumer" / "use.py").write_text("from consumer.added import thing\n")
    assert problems(scan(tmp_path, {})) == {("missing-module", "consumer.added", "consumer.added")}
    (tmp_path / "site" / "consumer" / "added.py").write_text("thing = 1\n")
    assert scan(tmp_path, {}).problems == ()


def test_scanning_without_a_cache_gives_the_same_answer(tmp_path):
    files = {"consumer/__init__.py": "", "consumer/use.py": "from consumer import nothing\n"}
    assert problems(scan(tmp_path / "a", files, cache=False)) == problems(scan(tmp_path / "b", files))


# --- pieces -----------------------------------------------------------------------------------

def _condition(text: str) -> tuple:
    import ast

    return encode_condition(ast.parse(text, mode="eval").body)


@pytest.mark.parametrize("text, expected", [
    ("sys.version_info >= (3, 11)", True),
    ("sys.version_info < (3, 11)", False),
    ("sys.version_info[:2] == (3, 11)", True),
    ("sys.version_info[0] == 3", True),
    ("sys.version_info.minor >= 12", False),
    ("sys.platform == 'linux'", True),
    ("sys.platform in ('win32', 'cygwin')", False),
    ("sys.platform.startswith('darwin')", False),
    ("platform.system() == 'Linux'", True),
    ("os.name != 'nt'", True),
    ("not sys.platform == 'linux'", False),
    ("sys.platform == 'linux' and is_cuda()", None),
    ("sys.platform == 'win32' and is_cuda()", False),
    ("sys.platform == 'linux' or is_cuda()", True),
    ("is_cuda()", None),
])
def test_conditions(text, expected):
    traits = TargetTraits((3, 11, 7), {"sys.platform": "linux", "os.name": "posix", "platform.system()": "Linux"})
    assert evaluate(_condition(text), traits) is expected


def test_reachable_combines_enclosing_branches():
    traits = TargetTraits((3, 12, 0), {"sys.platform": "linux"})
    linux = _condition("sys.platform == 'linux'")
    unknown = _condition("flag")
    assert reachable(((linux, True),), traits) is True
    assert reachable(((linux, False),), traits) is False
    assert reachable(((linux, True), (unknown, True)), traits) is None


def test_summary_is_plain_data_for_marshal():
    import marshal

    summary = summarize_source(b"import a\nfrom .b import c\nif x:\n    from d import e\n__all__ = ['c']\n")
    assert marshal.loads(marshal.dumps(summary)) == summary
    assert summary["all"] == ["c"] and summary["bound"] == ["a", "c", "e"]
    # A bare name is a module-level flag, looked up per target (envdoctor/scan/flags.py).
    assert summary["imports"][2][summary_module.CONDITIONS] == ((("flag", "x"), True),)


def test_a_def_is_a_home_and_a_fallback_assignment_is_not(tmp_path):
    site = str(tmp_path / "site")
    result = scan(tmp_path, {
        "prov/__init__.py": "",
        "prov/kernels.py": "def fused(): pass\n",
        "prov/dispatch.py": "try:\n    from prov.kernels import fused\nexcept ImportError:\n    fused = None\n",
        "prov/consts.py": "BLOCK = 128\n",
        "consumer/__init__.py": "",
        "consumer/use.py": "from prov.old import fused\nfrom prov.old_consts import BLOCK\n",
    }, dists=[dist("prov", "1.0", location=site, top_level=["prov"])])
    assert only(result, module="prov.old").homes == ("fused=prov.kernels",)
    assert only(result, module="prov.old_consts").homes == ("BLOCK=prov.consts",)  # assignments when nothing defines it


# --- only what will fail (issue 16) -------------------------------------------------------------

def test_a_fallback_in_an_except_importerror_handler_is_judged_by_its_try(tmp_path):
    result = scan(tmp_path, {
        "consumer/__init__.py": "",
        # numpy.linalg.linalg / collections.Mapping: the try succeeds, so the fallback never runs.
        "consumer/works.py": """
            try:
                from collections.abc import Mapping
            except ImportError:
                from collections import Mapping
            def later():
                try:
                    from consumer.here import x
                except Exception:
                    from consumer.gone_never import x
        """,
        "consumer/here.py": "x = 1\n",
        # The try fails here: the fallback is what runs, and it fails too.
        "consumer/fails.py": """
            try:
                from consumer.gone_first import y
            except ImportError:
                from consumer.gone_second import y
        """,
    })
    assert problems(result) == {
        ("missing-module", "consumer.gone_first", "consumer.gone_first"),
        ("missing-module", "consumer.gone_second", "consumer.gone_second"),
    }
    assert only(result, missing="consumer.gone_first").guarded
    assert not only(result, missing="consumer.gone_second").guarded


SQLALCHEMY_LIKE = {
    "consumer/__init__.py": "",
    "consumer/compat.py": "import sys\npy310 = sys.version_info >= (3, 10)\npy38 = sys.version_info >= (3, 8)\n",
    "consumer/typing_a.py": """
        from . import compat
        if compat.py310:
            from types import NoneType
        else:
            NoneType = type(None)
    """,
    "consumer/typing_b.py": """
        from consumer.compat import py310
        if not py310:
            from collections import Mapping
    """,
}


def test_module_level_version_flags_are_decided_for_the_target(tmp_path):
    # SQLAlchemy's `if compat.py310:` on 3.8: the branch cannot run, so NoneType is not missing
    # (the standard library scanned is the test runner's, so typing_b is left out on 3.8).
    on_38 = {k: v for k, v in SQLALCHEMY_LIKE.items() if not k.endswith("typing_b.py")}
    assert scan(tmp_path / "38", on_38, version=(3, 8, 18)).problems == ()
    # ... and on 3.11 the `not py310` branch (through `from .compat import py310`) cannot run.
    assert scan(tmp_path / "311", SQLALCHEMY_LIKE, version=(3, 11, 7)).problems == ()
    # Near miss: a flag the scanner cannot compute stays undecided (and is reported).
    files = {
        "consumer/__init__.py": "",
        "consumer/compat.py": "import os\npy310 = os.environ.get('X')\n",
        "consumer/typing_c.py": "from . import compat\nif compat.py310:\n    from consumer.gone_xyz import a\n",
    }
    undecided = scan(tmp_path / "x", files, version=(3, 8, 18))
    assert problems(undecided) == {("missing-module", "consumer.gone_xyz", "consumer.gone_xyz")}
    assert undecided.problems[0].conditional  # a question about the environment
    decided = dict(files, **{"consumer/compat.py": "import sys\npy310 = sys.version_info >= (3, 10)\n"})
    assert scan(tmp_path / "y", decided, version=(3, 8, 18)).problems == ()


def _versioned_provider(tmp_path: Path, version: str) -> ImportScan:
    site = str(tmp_path / "site")
    return scan(tmp_path, {
        "providerx/__init__.py": "",
        "providerx/new.py": "def rope(): pass\n",
        "consumer/__init__.py": "",
        "consumer/versions.py": "def Version(text):\n    return text\n",
        # vllm's `if TRANSFORMERS_WITH_AXIAL_ROPE:` over the installed transformers' version.
        "consumer/pixtral.py": """
            import importlib.metadata
            from consumer.versions import Version
            PROVIDER_VERSION = importlib.metadata.version("providerx")
            PROVIDER_WITH_NEW = Version(PROVIDER_VERSION) >= Version("2.0.dev0")
            if PROVIDER_WITH_NEW:
                from providerx.new import rope
            else:
                from providerx.old import rope
        """,
    }, dists=[dist("providerx", version, location=site, top_level=["providerx"])])


def test_flags_computed_from_installed_versions_are_decided(tmp_path):
    assert _versioned_provider(tmp_path / "new", "2.1").problems == ()
    old = _versioned_provider(tmp_path / "old", "1.5")
    assert problems(old) == {("missing-module", "providerx.old", "providerx.old")}
    assert not only(old, module="providerx.old").conditional  # decided: it runs here


def test_an_undecided_question_about_the_environment_is_conditional_a_code_path_is_not(tmp_path):
    result = scan(tmp_path, {
        "consumer/__init__.py": "",
        "consumer/config.py": "def is_fbcode():\n    return False\n",
        "consumer/choices.py": """
            from consumer import config
            if config.is_fbcode():
                from consumer.fb.shape_logging import log
            def pick(self, hidden, defer):
                if defer and self.fast and hidden.dtype == config.bfloat16:
                    from consumer.gone_kernel import gemv
            if __name__ == "__main__":
                from consumer.gone_script import main
        """,
    })
    assert only(result, missing="consumer.fb").conditional
    assert only(result, missing="consumer.gone_script").conditional
    # sglang's dead imports sit in branches the caller picks: they fail whenever those run.
    assert not only(result, missing="consumer.gone_kernel").conditional


def test_names_a_module_sets_on_itself_or_a_registration_decorator_sets_are_unknown(tmp_path):
    files = {
        "consumer/__init__.py": "",
        # numpy/dtypes.py fills itself at import time.
        "consumer/dtypes.py": "def _add(dtype):\n    from consumer import dtypes\n    setattr(dtypes, dtype.__name__, dtype)\n",
        # matplotlib's @_Backend.export sets FigureCanvas in the decorated class's module.
        "consumer/backend_bases.py": """
            import sys
            class _Backend:
                @staticmethod
                def export(cls):
                    setattr(sys.modules[cls.__module__], "FigureCanvas", cls.FigureCanvas)
                    return cls
        """,
        "consumer/backend_agg.py": """
            from consumer.backend_bases import _Backend
            @_Backend.export
            class _BackendAgg(_Backend):
                FigureCanvas = object
        """,
        "consumer/plain.py": "def plain(x):\n    return x\n",
        "consumer/backend_plain.py": "from consumer.plain import plain\n@plain\nclass _B:\n    pass\n",
        "consumer/use.py": """
            from consumer.dtypes import StringDType
            from consumer.backend_agg import FigureCanvas
            from consumer.backend_plain import FigureCanvas as Missing
        """,
    }
    result = scan(tmp_path, files)
    # Near miss: a decorator from a module that sets nothing elsewhere proves nothing dynamic.
    assert problems(result) == {("missing-name", "consumer.backend_plain", "FigureCanvas")}


def test_a_module_for_another_platform_is_not_missing(tmp_path):
    result = scan(tmp_path, {
        "consumer/__init__.py": "",
        "consumer/backend_macosx.py": "from . import _macosx\nfrom . import _gone\n",
    })
    # matplotlib's macOS extension is not built on Linux, by design; `_gone` is simply missing.
    assert problems(result) == {("missing-name", "consumer", "_gone")}


def test_modules_a_package_leaves_out_are_conditional_plugin_folders_are_not(tmp_path):
    result = scan(tmp_path, {
        "consumer/__init__.py": "",
        # transformers: the package's __init__ names its modeling_* modules, never modular_*.
        "consumer/models/__init__.py": "",
        "consumer/models/gemma/__init__.py": """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from .modeling_gemma import *
        """,
        "consumer/models/gemma/modeling_gemma.py": "class Gemma: pass\n",
        "consumer/models/gemma/modular_gemma.py": "from consumer.utils import logger\n",
        "consumer/utils.py": "",
        # A plugin folder a loader reads at run time: its modules are real code paths.
        "consumer/plugins/__init__.py": "",
        "consumer/plugins/moe.py": "from consumer.utils import routing\n",
        # Imported only where the target's Python cannot take the branch: left out too.
        "consumer/py312_helpers.py": "from consumer.utils import helper\n",
        "consumer/loader.py": "import sys\nif sys.version_info >= (3, 12):\n    from consumer import py312_helpers\n",
    })
    assert only(result, missing="logger").conditional
    assert "nothing in consumer" not in only(result, missing="routing").detail
    assert not only(result, missing="routing").conditional
    assert only(result, missing="helper").conditional


def test_an_unparsable_file_nothing_imports_is_conditional(tmp_path):
    result = scan(tmp_path, {
        "consumer/__init__.py": "from consumer import used\n",
        "consumer/used.py": "def broken(:\n",
        "consumer/py312_intrinsics.py": "type Alias[T] = list[T]\ndef broken(:\n",
    })
    assert not only(result, importer_module="consumer.used").conditional
    assert only(result, importer_module="consumer.py312_intrinsics").conditional


def test_severity_of_undecided_and_stdlib_feature_detection(tmp_path):
    from envdoctor.checks.imports import _severity
    from envdoctor.model.finding import Severity

    result = scan(tmp_path, {
        "consumer/__init__.py": "",
        "consumer/compat.py": """
            try:
                from types import NoSuchTypeXyz
            except ImportError:
                NoSuchTypeXyz = None
            from consumer import config
            if config.is_fbcode():
                from consumer.fb import x
            from consumer.gone import y
        """,
        "consumer/config.py": "def is_fbcode(): return False\n",
    })
    assert _severity(only(result, missing="NoSuchTypeXyz")) == Severity.INFO  # pydantic's UnionType probe
    assert _severity(only(result, missing="consumer.fb")) == Severity.INFO
    assert _severity(only(result, missing="consumer.gone")) == Severity.ERROR


def test_scan_accepts_an_import_name(tmp_path):
    from envdoctor.errors import UsageError
    from envdoctor.scan.sources import requested

    facts = make_facts(dists=[dist("scikit-learn", "1.9.1", top_level=["sklearn"])])
    (chosen,) = requested(facts, ["sklearn"], include_stack=False).distributions
    assert chosen.name == "scikit-learn"
    assert requested(facts, ["scikit_learn"], include_stack=False).distributions[0].name == "scikit-learn"
    with pytest.raises(UsageError):
        requested(facts, ["sklearnx"], include_stack=False)


def test_a_module_imported_under_a_decided_flag_runs_on_import(tmp_path):
    """`if compat.py3: from consumer import fast` (decided True here) makes fast's own imports run
    whenever `import consumer` runs: eager, as STK003/MPS003 and IMP003's hard case need."""
    files = {
        "consumer/__init__.py": "from . import compat\nif compat.py3:\n    from consumer import fast\n",
        "consumer/compat.py": "import sys\npy3 = sys.version_info >= (3, 0)\n",
        "consumer/fast.py": "import tritonxyz_missing\n",
    }
    found = scan(tmp_path / "decided", files, version=(3, 11, 7))
    assert [(p.module, p.eager) for p in found.problems] == [("tritonxyz_missing", True)]
    # Near miss: a flag the scanner cannot compute leaves the import not eager.
    undecided = dict(files, **{"consumer/compat.py": "import os\npy3 = os.environ.get('X')\n"})
    found = scan(tmp_path / "undecided", undecided, version=(3, 11, 7))
    assert [(p.module, p.eager) for p in found.problems] == [("tritonxyz_missing", False)]


def _try_flags(tmp_path: Path, provider_has: str) -> ImportScan:
    """Flags set by try/except ImportError, in the three shapes real packages write (peft 0.21's
    import_utils.is_transformers_dtensor_tp; `x = None`; a default before the try)."""
    site = str(tmp_path / "site")
    return scan(tmp_path, {
        "providerx/__init__.py": "",
        f"providerx/{provider_has}.py": "def apply(): pass\n",
        "consumer/__init__.py": "",
        "consumer/import_utils.py": """
            try:
                from providerx.fast import apply  # noqa: F401

                is_fast = True
            except ImportError:
                is_fast = False

            try:
                import providerx.fast as fast_module
            except ImportError:
                fast_module = None

            HAS_FAST = False
            try:
                import providerx.fast
                HAS_FAST = True
            except ImportError:
                pass
        """,
        "consumer/use.py": """
            from consumer.import_utils import is_fast, fast_module, HAS_FAST
            if is_fast:
                from providerx.fast import apply
            else:
                from providerx.slow import apply
            if fast_module is not None and HAS_FAST:
                from providerx.fast import apply as again
            if fast_module is None or not HAS_FAST:
                from providerx.slow import apply as slow_again
            if not is_fast:
                from providerx.slow import gone
        """,
    }, dists=[dist("providerx", "2.0", location=site, top_level=["providerx"])])


def test_flags_set_by_try_except_importerror_are_decided_for_the_target(tmp_path):
    # providerx.fast resolves: every `else`/`not` branch (providerx.slow, missing) cannot run.
    assert [p for p in _try_flags(tmp_path / "fast", "fast").problems if p.importer_module == "consumer.use"] == []
    # It does not: the flags are False, the fast branches cannot run, and the one import that
    # fails where it runs is reported as decided (not conditional).
    slow = [p for p in _try_flags(tmp_path / "slow", "slow").problems if p.importer_module == "consumer.use"]
    assert [(p.line, p.missing, p.conditional) for p in slow] == [(12, "gone", False)]


def _peft_like(tmp_path: Path, provider_files: Dict[str, str], function: str = "_maybe_shard_state_dict_for_tp") -> ImportScan:
    """peft 0.21.2's shape: import_utils sets is_transformers_dtensor_tp by try/except ImportError;
    save_and_load's private function imports from transformers.integrations.tensor_parallel; the
    LoRA model calls it only under `if not is_transformers_dtensor_tp and ...`."""
    site = str(tmp_path / "site")
    return scan(tmp_path, {
        **provider_files,
        "providerx/__init__.py": "",
        "providerx/integrations/__init__.py": "",
        "providerx/integrations/tensor_parallel.py": "class RowwiseParallel: pass\n",
        "consumer/__init__.py": "",
        "consumer/import_utils.py": """
            try:
                from providerx.distributed.tensor_parallel import apply_tensor_parallelism  # noqa: F401

                is_transformers_dtensor_tp = True
            except ImportError:
                is_transformers_dtensor_tp = False
        """,
        "consumer/save_and_load.py": f"""
            from consumer.import_utils import is_transformers_dtensor_tp

            def {function}(model, state_dict, adapter_name):
                tp_lora_modules = []
                if not tp_lora_modules:
                    return

                from providerx.integrations.tensor_parallel import (
                    ColwiseParallel,
                    RowwiseParallel,
                )
        """,
        "consumer/model.py": f"""
            import torch
            from consumer.import_utils import is_transformers_dtensor_tp
            from consumer.save_and_load import {function}

            class LoraModel:
                @classmethod
                def _remap_adapter_state_dict_for_load(cls, model, config, adapter_name, state_dict):
                    if not is_transformers_dtensor_tp and torch.distributed.is_available() and torch.distributed.is_initialized():
                        {function}(model, state_dict, adapter_name)
                    return state_dict
        """,
    }, dists=[dist("providerx", "5.24", location=site, top_level=["providerx"])])


def never_called(result: ImportScan, module: str):
    """{(missing, reason)} of the problems of `module` reported as info because their function is never called."""
    found = {(p.missing, p.detail.partition("; ")[2]) for p in result.problems if p.importer_module == module}
    assert all(p.conditional for p in result.problems if p.importer_module == module), result.problems
    return found


def test_a_private_function_called_only_under_a_false_condition_never_runs(tmp_path):
    dtensor = {"providerx/distributed/__init__.py": "", "providerx/distributed/tensor_parallel.py": "def apply_tensor_parallelism(): pass\n"}
    # transformers 5.24 has the dtensor TP API: the flag is True, the only call cannot run.  The
    # import is kept, as info ("conditional") with the reason: the scanner's conclusion may be wrong.
    assert never_called(_peft_like(tmp_path / "new", dtensor), "consumer.save_and_load") == {(
        "ColwiseParallel", "_maybe_shard_state_dict_for_tp is only called under "
        "`not is_transformers_dtensor_tp and torch.distributed.is_available() and torch...`, False here",
    )}
    # Near misses: without that API the call may run (the rest of its test is decided at run
    # time), and a public function may be called from anywhere: both stay reported.
    older = _peft_like(tmp_path / "old", {})
    assert {p.missing for p in older.problems if p.importer_module == "consumer.save_and_load"} == {"ColwiseParallel"}
    public = _peft_like(tmp_path / "public", dtensor, function="maybe_shard_state_dict_for_tp")
    assert {p.missing for p in public.problems if p.importer_module == "consumer.save_and_load"} == {"ColwiseParallel"}


def test_private_functions_called_through_other_never_called_functions_and_mentions_that_keep_them(tmp_path):
    base = {
        "consumer/__init__.py": "",
        "consumer/flags.py": "import sys\nON_WINDOWS = sys.platform == 'win32'\n",
        "consumer/helpers.py": """
            def _outer():
                _inner()

            def _inner():
                from consumer.gone import thing
        """,
    }
    dead = dict(base, **{"consumer/use.py": "from consumer.flags import ON_WINDOWS\nfrom consumer import helpers\nif ON_WINDOWS:\n    helpers._outer()\n"})
    # _inner runs only from _outer, which never runs on Linux: info, saying so.
    assert never_called(scan(tmp_path / "dead", dead), "consumer.helpers") == {
        ("consumer.gone", "_inner is only called from _outer; _outer is only called under `ON_WINDOWS`, False here")}
    # A mention by name in a string (getattr, a registry) keeps it: the call cannot be followed.
    by_name = dict(dead, **{"consumer/registry.py": "import consumer.helpers as h\nrun = getattr(h, '_inner')\n"})
    assert problems(scan(tmp_path / "named", by_name)) == {("missing-module", "consumer.gone", "consumer.gone")}
    # So does a mention by name that can run: a callback handed on, `__all__` (a string).
    for label, text in [("callback", "from consumer.helpers import _inner\nHANDLERS = [_inner]\n"), ("all", "__all__ = ['_inner']\n")]:
        kept = scan(tmp_path / label, dict(dead, **{"consumer/exported.py": text}))
        assert [p.conditional for p in kept.problems if p.missing == "consumer.gone"] == [False], label
    # A decorator on the function may register it: it stays too.
    decorated = dict(dead, **{"consumer/helpers.py": base["consumer/helpers.py"].replace("def _inner", "@register\n            def _inner")})
    assert problems(scan(tmp_path / "decorated", decorated)) == {("missing-module", "consumer.gone", "consumer.gone")}


def test_a_private_function_nothing_in_its_package_calls_may_run(tmp_path):
    """No caller in the package is no evidence that nothing calls it: a console script, a plugin
    loader or another distribution may.  Its dead import keeps its severity."""
    files = {"consumer/__init__.py": "", "consumer/cli.py": "def _main():\n    from consumer.gone import run\n"}
    orphan = only(scan(tmp_path, files), missing="consumer.gone")
    assert not orphan.conditional and "called" not in orphan.detail


def test_entry_point_functions_are_read_from_every_group(tmp_path):
    (tmp_path / "entry_points.txt").write_text(
        "[console_scripts]\nliba = liba.cli:_main\n\n"
        "[gui_scripts]\nliba-gui = liba.gui:_App.run\n\n"  # a method: called through its module-level class
        "[libhost.plugins]\nCase = liba.plugin : _register [extra]\nwhole-module = liba.hooks\n"
    )
    assert entry_point_functions(str(tmp_path)) == {("liba.cli", "_main"), ("liba.gui", "_App"), ("liba.plugin", "_register")}
    assert entry_point_functions(str(tmp_path / "missing")) == frozenset()
    assert entry_point_functions(None) == frozenset()
    (tmp_path / "entry_points.txt").write_text("no section header = x:y\n")
    assert entry_point_functions(str(tmp_path)) == frozenset()  # unreadable: keeps nothing alive, as without the file


def test_a_call_of_a_function_that_returns_a_decidable_test_is_decided(tmp_path):
    """transformers 5.24's integration_utils: `def is_clearml_available(): return
    importlib.util.find_spec("clearml") is not None`, then `if is_clearml_available():`."""
    files = {
        "consumer/__init__.py": "",
        "consumer/integration_utils.py": """
            import importlib.util

            def is_providerx_available():
                return importlib.util.find_spec("providerx") is not None

            HAS_PROVIDERX = is_providerx_available()
        """,
        "consumer/callbacks.py": """
            from consumer.integration_utils import is_providerx_available, HAS_PROVIDERX
            if is_providerx_available():
                from providerx import gone
            if HAS_PROVIDERX:
                import providerx.also_gone
        """,
    }
    # Not installed: both branches cannot run, so nothing is reported (before: IMP003 info sites).
    assert scan(tmp_path / "absent", files).problems == ()
    # Installed: they run, and the broken imports are reported as decided, not conditional.
    site = str(tmp_path / "present" / "site")
    present = scan(tmp_path / "present", dict(files, **{"providerx/__init__.py": ""}), dists=[dist("providerx", "1.0", location=site)])
    assert {(p.missing, p.conditional) for p in present.problems} == {("gone", False), ("providerx.also_gone", False)}
