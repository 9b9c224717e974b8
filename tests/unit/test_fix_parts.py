"""The fix machinery's parts on a real file system: backup/restore, plan round-trips, fixer validation."""

from __future__ import annotations

import os

import pytest

from envdoctor.errors import PluginError
from envdoctor.fixes import backup
from envdoctor.fixes.fixer_api import FixerSpec, fixer
from envdoctor.fixes.fixer_registry import _validate
from envdoctor.model.plan import FixPlan, RemovePath, RunCommand, WriteFile
from envdoctor.report.plans import describe
from tests.helpers.venvs import tree_state


def test_restore_undoes_every_kind_of_change(tmp_path):
    site = tmp_path / "site"
    (site / "pkg" / "sub").mkdir(parents=True)
    (site / "pkg" / "__init__.py").write_text("old")
    (site / "pkg" / "sub" / "data.bin").write_bytes(b"\x00\x01")
    (site / "keep.pth").write_text("/somewhere\n")
    os.symlink("pkg", site / "alias")
    lone_file = tmp_path / "lone.txt"
    lone_file.write_text("lone")
    not_yet = tmp_path / "new.txt"
    before = tree_state(tmp_path)

    backup.take([str(site), str(lone_file), str(not_yet)], tmp_path / "snap")
    # What pip and the executor do: replace, delete, add files, folders and links.
    (site / "pkg" / "__init__.py").unlink()
    (site / "pkg" / "__init__.py").write_text("new")
    (site / "pkg" / "sub" / "data.bin").unlink()
    (site / "newpkg" / "__pycache__").mkdir(parents=True)
    (site / "newpkg" / "__pycache__" / "x.pyc").write_bytes(b"pyc")
    (site / "keep.pth").unlink()
    (site / "alias").unlink()
    os.symlink("elsewhere", site / "alias")
    lone_file.write_text("rewritten in place")  # not the pip way: the copy must still win
    not_yet.write_text("created")

    changed = backup.restore(tmp_path / "snap")
    state = tree_state(tmp_path)
    state = {k: v for k, v in state.items() if not k.startswith("snap")}
    assert state == {k: v for k, v in before.items()}
    assert ("removed", str(not_yet)) in changed and ("removed", str(site / "newpkg")) in changed


def test_backup_without_manifest_is_incomplete(tmp_path):
    (tmp_path / "a").mkdir()
    assert not backup.is_complete(tmp_path / "snap")
    backup.take([str(tmp_path / "a")], tmp_path / "snap")
    assert backup.is_complete(tmp_path / "snap")


def test_plan_round_trips_through_json(tmp_path):
    plan = FixPlan(
        code="INT001", subject="idna", finding_title="t", fixer="reinstall-incomplete", kind="reinstall",
        summary="s", safe=True,
        actions=(RunCommand(("py", "-m", "pip"), "why", ("/site",)), WriteFile("/site/a.py", "x\n", "w"),
                 RemovePath("/site/b", "r")),
        notes=("n",),
    )
    assert FixPlan.from_dict(plan.to_dict()) == plan
    assert plan.roots() == ["/site", "/site/a.py", "/site/b"]


def test_new_file_preview_is_cut_and_existing_file_gets_a_diff(tmp_path):
    target = tmp_path / "x.py"
    long_text = "".join(f"line {i}\n" for i in range(40))
    preview = describe(WriteFile(str(target), long_text, "p"))
    assert any("more lines, all kept in the journal entry" in line for line in preview)
    target.write_text("a\nb\n")
    diff = describe(WriteFile(str(target), "a\nc\n", "p"))
    assert any(line.strip() == "-b" for line in diff) and any(line.strip() == "+c" for line in diff)


def _spec(**changes) -> FixerSpec:
    @fixer(name="good-name", kind="reinstall", codes=("ABC001",))
    def function(finding, context):
        """Does a thing."""
        return FixPlan("x", ())

    spec = function.__envdoctor_fixer__
    return FixerSpec(**{**spec.__dict__, **changes})


@pytest.mark.parametrize("changes, problem", [
    ({"name": "Bad Name"}, "kebab-case"),
    ({"kind": "magic"}, "is not one of"),
    ({"codes": ("bad",)}, "must be check codes"),
    ({"codes": ()}, "must be check codes"),
])
def test_invalid_fixers_are_plugin_errors(changes, problem):
    _validate(_spec(), "origin")  # the valid one passes
    with pytest.raises(PluginError, match=problem):
        _validate(_spec(**changes), "origin")
