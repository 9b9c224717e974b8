"""envdoctor's entry-point reader agrees with importlib.metadata on the real environment."""

import importlib.metadata

from envdoctor.entry_points import entry_points


def _reference(group):
    eps = importlib.metadata.entry_points()
    selected = eps.select(group=group) if hasattr(eps, "select") else eps.get(group, ())
    return sorted((ep.name, ep.value, f"{ep.dist.metadata['Name']} {ep.dist.version}") for ep in selected)


def _reference_with_dist(group):
    for ep in importlib.metadata.entry_points(group=group):
        yield ep.name, ep.value, ep.dist.metadata["Name"], ep.dist.version


def test_matches_importlib_metadata_for_every_group_here():
    groups = {ep.group for dist in importlib.metadata.distributions() for ep in dist.entry_points}
    groups |= {"console_scripts", "envdoctor.checks"}
    for group in sorted(groups):
        mine = sorted((ep.name, ep.value, ep.provider) for ep in entry_points(group))
        assert mine == _reference(group), group


def test_library_way_gives_the_same_answer_as_the_fast_way():
    """The fast path is only a shortcut: importlib.metadata itself answers the same for every group here."""
    from envdoctor import entry_points as module

    groups = {ep.group for dist in importlib.metadata.distributions() for ep in dist.entry_points}
    groups |= {"envdoctor.checks", "envdoctor.rules", "envdoctor.reporters"}
    for group in sorted(groups):
        fast = sorted((ep.name, ep.value, ep.provider) for ep in module._read_files(group, list(module.sys.path)))
        library = sorted((ep.name, ep.value, ep.provider) for ep in module._from_library(group))
        assert fast == library, group


def test_a_zip_on_the_path_goes_to_the_library(tmp_path, monkeypatch):
    """Distributions inside a zip file on sys.path: the fast path cannot see them, so it steps aside."""
    import zipfile

    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("zipped_dist-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: zipped-dist\nVersion: 1.0\n")
        zipped.writestr("zipped_dist-1.0.dist-info/entry_points.txt", "[envdoctor.reporters]\nzipped = zipped_reporter:render\n")
    monkeypatch.syspath_prepend(str(archive))
    found = [(ep.name, ep.provider) for ep in entry_points("envdoctor.reporters")]
    assert ("zipped", "zipped-dist 1.0") in found
    assert sorted(found) == sorted((name, f"{dist} {version}") for name, _, dist, version in _reference_with_dist("envdoctor.reporters"))
