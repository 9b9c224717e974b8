"""The journal's backup on a real file system: hard links, copies, the manifest, restore exactly."""

from __future__ import annotations

import json
import os

import pytest

from envdoctor.fixes import backup
from tests.helpers.venvs import tree_state


def test_folders_are_hard_linked_and_single_files_copied(tmp_path):
    site = tmp_path / "site"
    (site / "pkg").mkdir(parents=True)
    (site / "pkg" / "m.py").write_text("m")
    os.symlink("pkg", site / "alias")
    lone = tmp_path / "lone.txt"
    lone.write_text("lone")
    backup.take([str(site), str(lone), str(tmp_path / "absent")], tmp_path / "snap")
    copy = tmp_path / "snap" / "0" / "pkg" / "m.py"
    assert os.path.samefile(copy, site / "pkg" / "m.py")  # a hard link: no copy of torch's 15,000 files
    assert not os.path.samefile(tmp_path / "snap" / "1", lone) and (tmp_path / "snap" / "1").read_text() == "lone"
    assert not (tmp_path / "snap" / "0" / "alias").exists()  # links are recorded, not followed
    manifest = json.loads((tmp_path / "snap" / backup.MANIFEST).read_text())
    assert manifest == [
        {"root": str(site), "state": "dir", "entries": {"pkg": "dir", "alias": "link:pkg", os.path.join("pkg", "m.py"): "file"}},
        {"root": str(lone), "state": "file"},
        {"root": str(tmp_path / "absent"), "state": None},
    ]


def test_restore_of_an_unchanged_tree_changes_nothing(tmp_path):
    site = tmp_path / "site"
    (site / "pkg").mkdir(parents=True)
    (site / "pkg" / "m.py").write_text("m")
    lone = tmp_path / "lone.txt"
    lone.write_text("lone")
    backup.take([str(site), str(lone), str(tmp_path / "absent")], tmp_path / "snap")
    assert backup.restore(tmp_path / "snap") == []


def test_a_root_that_became_something_else_is_put_back(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "m.py").write_text("m")
    link = tmp_path / "link"
    os.symlink("site", link)
    lone = tmp_path / "lone.txt"
    lone.write_text("lone")
    before = tree_state(tmp_path)
    backup.take([str(site), str(link), str(lone)], tmp_path / "snap")
    backup.remove_path(str(site))
    site.write_text("a file now")
    link.unlink()
    link.mkdir()
    lone.unlink()
    changed = backup.restore(tmp_path / "snap")
    assert changed == [("restored", str(site)), ("restored", str(site / "m.py")), ("restored", str(link)),
                       ("restored", str(lone))]
    after = {k: v for k, v in tree_state(tmp_path).items() if not k.startswith("snap")}
    assert after == before


def test_a_changed_file_with_the_same_size_is_restored(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "m.py").write_text("aaaa")
    backup.take([str(site)], tmp_path / "snap")
    (site / "m.py").unlink()
    (site / "m.py").write_text("bbbb")
    assert backup.restore(tmp_path / "snap") == [("restored", str(site / "m.py"))]
    assert (site / "m.py").read_text() == "aaaa"


def test_nested_new_folders_are_removed_deepest_first(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    backup.take([str(site)], tmp_path / "snap")
    (site / "a" / "b" / "c").mkdir(parents=True)
    (site / "a" / "b" / "c" / "f").write_text("f")
    (site / "z").write_text("z")
    changed = backup.restore(tmp_path / "snap")
    assert os.listdir(site) == []
    assert changed[0] == ("removed", str(site / "a" / "b" / "c" / "f"))
    depths = [path.count(os.sep) for _, path in changed]
    assert depths == sorted(depths, reverse=True)


def test_vanished_folders_come_back_parents_first(tmp_path):
    site = tmp_path / "site"
    # Two branches two deep: os.walk finishes one before it starts the other, whatever the
    # listing order, so the manifest's order is not parents-first across branches.
    for branch in ("a", "b"):
        (site / branch / "x" / "y").mkdir(parents=True)
        (site / branch / "x" / "y" / "f").write_text(branch)
    before = tree_state(site)
    backup.take([str(site)], tmp_path / "snap")
    for name in ("a", "b"):
        backup.remove_path(str(site / name))
    changed = backup.restore(tmp_path / "snap")
    assert tree_state(site) == before
    depths = [path.count(os.sep) for _, path in changed]
    assert depths == sorted(depths) and len(changed) == 8


def test_a_file_rewritten_in_place_with_the_same_size_and_time_is_restored(tmp_path):
    lone = tmp_path / "lone.txt"
    lone.write_text("aaaa")
    stat = lone.stat()
    backup.take([str(lone)], tmp_path / "snap")
    lone.write_text("bbbb")
    os.utime(lone, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # only the content tells them apart
    assert backup.restore(tmp_path / "snap") == [("restored", str(lone))]
    assert lone.read_text() == "aaaa"


def test_a_backup_missing_its_copy_does_not_claim_the_file_is_back(tmp_path):
    lone = tmp_path / "lone.txt"
    lone.write_text("aaaa")
    backup.take([str(lone)], tmp_path / "snap")
    (tmp_path / "snap" / "0").unlink()
    lone.write_text("bbbb")
    with pytest.raises(backup.BackupDamaged, match=r"root 0: the backup copy .*/snap/0 of .*/lone.txt is missing"):
        backup.restore(tmp_path / "snap")
    assert lone.read_text() == "bbbb"  # validated before anything is touched: the live file stays


def test_an_absent_root_does_not_stop_the_roots_after_it(tmp_path):
    absent, site = tmp_path / "absent", tmp_path / "site"
    site.mkdir()
    (site / "m.py").write_text("m")
    backup.take([str(absent), str(site)], tmp_path / "snap")
    absent.write_text("created")
    (site / "m.py").unlink()
    assert backup.restore(tmp_path / "snap") == [("removed", str(absent)), ("restored", str(site / "m.py"))]


def test_remove_path(tmp_path):
    (tmp_path / "d" / "e").mkdir(parents=True)
    os.symlink("d", tmp_path / "l")
    backup.remove_path(str(tmp_path / "l"))
    assert (tmp_path / "d" / "e").is_dir() and not os.path.lexists(tmp_path / "l")  # the link, not its target
    backup.remove_path(str(tmp_path / "d"))
    assert not (tmp_path / "d").exists()
    backup.remove_path(str(tmp_path / "nothing"))


def test_a_link_that_cannot_be_made_is_a_copy(tmp_path, monkeypatch):
    (tmp_path / "a").write_text("a")

    def no_links(*args, **kwargs):
        raise OSError(18, "Invalid cross-device link")  # EXDEV: what another file system answers

    monkeypatch.setattr(os, "link", no_links)
    backup._link_or_copy(str(tmp_path / "a"), str(tmp_path / "b"))
    assert (tmp_path / "b").read_text() == "a" and not os.path.samefile(tmp_path / "a", tmp_path / "b")


def test_the_backup_folder_is_made_with_its_parents(tmp_path):
    (tmp_path / "site").mkdir()
    backup.take([str(tmp_path / "site")], tmp_path / "journal" / "entry" / "snapshot")
    assert backup.is_complete(tmp_path / "journal" / "entry" / "snapshot")
