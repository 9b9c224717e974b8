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


# --- undo checks the whole backup first, and puts files back by rename ---------------------------

def site_with_backup(tmp_path):
    site = tmp_path / "site"
    (site / "pkg").mkdir(parents=True)
    (site / "pkg" / "m.py").write_text("m")
    (site / "keep.py").write_text("keep")
    lone = tmp_path / "lone.txt"
    lone.write_text("lone")
    backup.take([str(site), str(lone)], tmp_path / "snap")
    return site, lone, tmp_path / "snap"


def edit_manifest(snap, change):
    records = json.loads((snap / backup.MANIFEST).read_text())
    change(records)
    (snap / backup.MANIFEST).write_text(json.dumps(records))


@pytest.mark.parametrize("damage, reason", [
    (lambda snap: (snap / backup.MANIFEST).unlink(), "manifest.json is missing (the backup was never finished, or was deleted)"),
    (lambda snap: (snap / backup.MANIFEST).write_text("[{"), "manifest.json cannot be read as JSON ("),
    (lambda snap: (snap / backup.MANIFEST).write_text("{}"), "manifest.json is not a list of roots"),
    (lambda snap: edit_manifest(snap, lambda r: r.append(3)), "root 2: not a record with an absolute 'root' path"),
    (lambda snap: edit_manifest(snap, lambda r: r[1].update(root=5)), "root 1: not a record with an absolute 'root' path"),
    (lambda snap: edit_manifest(snap, lambda r: r[1].pop("root")), "root 1: not a record with an absolute 'root' path"),
    (lambda snap: edit_manifest(snap, lambda r: r[1].update(root="rel")), "root 1: not a record with an absolute 'root' path"),
    (lambda snap: edit_manifest(snap, lambda r: r[1].update(state="gone")), "root 1: unknown state 'gone' of "),
    (lambda snap: edit_manifest(snap, lambda r: r[1].update(state=3)), "root 1: unknown state 3 of "),
    (lambda snap: (snap / "1").unlink(), "root 1: the backup copy "),
    (lambda snap: ((snap / "1").unlink(), (snap / "1").symlink_to(snap / "0" / "keep.py")), "root 1: the backup copy "),
    (lambda snap: edit_manifest(snap, lambda r: r[0].pop("entries")), "root 0: no 'entries' listing for the folder "),
    (lambda snap: edit_manifest(snap, lambda r: r[0].update(entries=["pkg"])), "root 0: no 'entries' listing for the folder "),
    (lambda snap: edit_manifest(snap, lambda r: r[0]["entries"].update({"/etc/passwd": "file"})), "root 0: a bad entry '/etc/passwd': 'file' under "),
    (lambda snap: edit_manifest(snap, lambda r: r[0]["entries"].update({"../x": "dir"})), "root 0: a bad entry '../x': 'dir' under "),
    (lambda snap: edit_manifest(snap, lambda r: r[0]["entries"].update({"pkg/../../x": "dir"})), "root 0: a bad entry 'pkg/../../x'"),
    (lambda snap: edit_manifest(snap, lambda r: r[0]["entries"].update({"y": "fifo"})), "root 0: a bad entry 'y': 'fifo' under "),
    (lambda snap: edit_manifest(snap, lambda r: r[0]["entries"].update({"y": None})), "root 0: a bad entry 'y': None under "),
    (lambda snap: (snap / "0" / "pkg" / "m.py").unlink(), "root 0: the backup copy of "),
])
def test_a_damaged_backup_is_refused_before_anything_is_touched(tmp_path, damage, reason):
    site, lone, snap = site_with_backup(tmp_path)
    (site / "new.py").write_text("appeared after the backup")  # restore would remove it
    lone.write_text("changed")  # restore would put it back
    before = tree_state(tmp_path / "site"), lone.read_text()
    damage(snap)
    for call in (backup.restore, backup.plan_restore, backup.fingerprint):
        with pytest.raises(backup.BackupDamaged) as failure:
            call(snap)
        message = str(failure.value)
        assert message.startswith(f"the backup in {snap} is damaged: ") and reason in message
        assert message.endswith(". Nothing was put back, and nothing was changed")
    assert (tree_state(tmp_path / "site"), lone.read_text()) == before


def test_a_backup_with_links_and_empty_states_is_valid(tmp_path):
    site, lone, snap = site_with_backup(tmp_path)
    os.symlink("pkg", site / "alias")
    backup.take([str(site), str(tmp_path / "absent")], tmp_path / "snap2")
    assert backup.plan_restore(tmp_path / "snap2") == []


def test_plan_restore_says_what_restore_does_and_touches_nothing(tmp_path):
    site, lone, snap = site_with_backup(tmp_path)
    (site / "new").mkdir()
    (site / "new" / "x.py").write_text("x")
    (site / "pkg" / "m.py").unlink()
    (site / "pkg" / "m.py").write_text("other")
    lone.unlink()
    changed = tree_state(site)
    planned = backup.plan_restore(snap)
    assert tree_state(site) == changed and not lone.exists()
    assert planned == [  # root by root; in a folder, what appeared deepest first, then what changed
        ("removed", str(site / "new" / "x.py"), None, None),
        ("removed", str(site / "new"), None, None),
        ("restored", str(site / "pkg" / "m.py"), "file", str(snap / "0" / "pkg" / "m.py")),
        ("restored", str(lone), "file", str(snap / "1")),
    ]
    assert backup.restore(snap) == [(what, path) for what, path, _, _ in planned]
    assert backup.plan_restore(snap) == []


def test_files_come_back_by_rename_and_leave_no_temporary(tmp_path):
    site, lone, snap = site_with_backup(tmp_path)
    (site / "keep.py").unlink()  # as pip does: a new file, never a write into the installed one
    (site / "keep.py").write_text("changed")
    inode = os.stat(site / "pkg").st_ino
    leftover = site / ".keep.py.envdoctor-undo"
    leftover.write_text("left by a killed undo")
    (site / "pkg" / "m.py").unlink()
    (site / "pkg" / "m.py").mkdir()  # a folder where the file belongs
    (site / "pkg" / "m.py" / "inner").write_text("i")
    os.symlink("elsewhere", site / "link")
    backup.restore(snap)
    assert (site / "keep.py").read_text() == "keep" and (site / "pkg" / "m.py").read_text() == "m"
    assert os.stat(site / "pkg").st_ino == inode  # a folder that is still a folder is kept
    assert sorted(os.listdir(site)) == ["keep.py", "pkg"]
    assert os.path.samefile(site / "keep.py", snap / "0" / "keep.py")


def test_links_and_folders_come_back_in_place_of_files(tmp_path):
    site = tmp_path / "site"
    (site / "pkg").mkdir(parents=True)
    os.symlink("pkg", site / "alias")
    backup.take([str(site)], tmp_path / "snap")
    (site / "alias").unlink()
    (site / "alias").write_text("a file now")
    os.rmdir(site / "pkg")
    (site / "pkg").write_text("a file where the folder was")
    backup.restore(tmp_path / "snap")
    assert os.readlink(site / "alias") == "pkg" and (site / "pkg").is_dir() and not (site / "pkg").is_symlink()
    assert sorted(os.listdir(site)) == ["alias", "pkg"]


def test_the_fingerprint_changes_with_the_folders_but_not_with_byte_caches(tmp_path):
    site, lone, snap = site_with_backup(tmp_path)
    (site / "idna-3.7.dist-info").mkdir()
    (site / "b.egg-info").mkdir()
    (site / "a.txt").write_text("a")
    first = backup.fingerprint(snap)
    assert first["distributions"] == ["b.egg-info", "idna-3.7.dist-info"]
    assert backup.fingerprint(snap) == first
    (site / "new").mkdir()  # a folder the fix made, into which Python then writes its byte cache
    with_folder = backup.fingerprint(snap)
    (site / "new" / "__pycache__").mkdir()
    (site / "new" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"c")
    os.utime(site / "new", ns=(7, 7))
    assert backup.fingerprint(snap) == with_folder
    (site / "pkg" / "__pycache__").mkdir()
    (site / "pkg" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"c")
    assert backup.fingerprint(snap) == with_folder
    import shutil
    shutil.rmtree(site / "new")
    shutil.rmtree(site / "pkg" / "__pycache__")
    assert backup.fingerprint(snap) == first
    (site / "a.txt").write_text("b")  # same size, another content: another inode or time
    os.utime(site / "a.txt", ns=(1, 1))
    assert backup.fingerprint(snap)["changes"] != first["changes"]
    os.unlink(site / "a.txt")
    (site / "a.txt").mkdir()
    assert backup.fingerprint(snap)["changes"] != first["changes"]
    assert backup.distributions(snap) == first["distributions"]
    (site / "six-1.17.0.dist-info").mkdir()
    (site / "six.dist-info.txt").write_text("not one")
    assert backup.distributions(snap) == ["b.egg-info", "idna-3.7.dist-info", "six-1.17.0.dist-info"]


def test_the_fingerprint_sees_a_change_in_a_path_the_fix_touched(tmp_path):
    site, lone, snap = site_with_backup(tmp_path)
    (site / "keep.py").unlink()
    (site / "keep.py").write_text("written by the fix")
    first = backup.fingerprint(snap)
    os.utime(site / "keep.py", ns=(5, 5))
    second = backup.fingerprint(snap)
    assert second["changes"] != first["changes"] and second["distributions"] == first["distributions"] == []
    (site / "keep.py").unlink()
    assert backup.fingerprint(snap)["changes"] not in (first["changes"], second["changes"])  # "absent" differs


def test_distributions_of_a_folder_that_is_gone(tmp_path):
    site, lone, snap = site_with_backup(tmp_path)
    (site / "x-1.dist-info").mkdir()
    import shutil
    shutil.rmtree(site)
    assert backup.distributions(snap) == []


def test_a_temporary_left_beside_a_single_file_by_a_killed_undo_is_replaced(tmp_path):
    site, lone, snap = site_with_backup(tmp_path)
    lone.unlink()
    lone.write_text("changed")
    leftover = tmp_path / ".lone.txt.envdoctor-undo"
    leftover.write_text("left by a killed undo")
    assert backup.restore(snap) == [("restored", str(lone))]
    assert lone.read_text() == "lone" and not leftover.exists()


def test_a_root_folder_now_a_link_is_not_followed(tmp_path):
    site, lone, snap = site_with_backup(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "extra.py").write_text("not ours")
    import shutil
    shutil.rmtree(site)
    os.symlink(elsewhere, site)
    assert backup.restore(snap) == [("restored", str(site)), ("restored", str(site / "pkg")),
                                    ("restored", str(site / "keep.py")), ("restored", str(site / "pkg" / "m.py"))]
    assert (elsewhere / "extra.py").read_text() == "not ours" and not site.is_symlink()
    assert tree_state(site) == {"pkg/": (0, "dir"), "keep.py": (4, tree_state(snap / "0")["keep.py"][1]),
                                "pkg/m.py": (1, tree_state(snap / "0")["pkg/m.py"][1])}


def test_a_missing_copy_under_a_folder_is_named_exactly(tmp_path):
    site, lone, snap = site_with_backup(tmp_path)
    (snap / "0" / "pkg" / "m.py").unlink()
    with pytest.raises(backup.BackupDamaged) as failure:
        backup.plan_restore(snap)
    assert str(failure.value) == (f"the backup in {snap} is damaged: root 0: the backup copy of {site}/pkg/m.py is missing "
                                  f"({snap}/0/pkg/m.py). Nothing was put back, and nothing was changed")
    (snap / "1").unlink()
    edit_manifest(snap, lambda records: records.pop(0))
    with pytest.raises(backup.BackupDamaged) as failure:
        backup.plan_restore(snap)
    assert str(failure.value) == (f"the backup in {snap} is damaged: root 0: the backup copy {snap}/0 of {lone} is missing. "
                                  "Nothing was put back, and nothing was changed")


def test_a_file_compared_with_nothing_is_not_the_same(tmp_path):
    present = tmp_path / "present"
    present.write_text("x")
    assert backup._same_file(str(tmp_path / "absent"), str(present)) is False
    assert backup._same_file(str(present), str(tmp_path / "absent")) is False
    assert backup._same_file(str(present), str(present)) is True
