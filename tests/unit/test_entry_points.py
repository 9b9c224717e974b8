"""envdoctor's entry-point reader agrees with importlib.metadata on the real environment."""

import importlib.metadata

from envdoctor.entry_points import entry_points


def _reference(group):
    eps = importlib.metadata.entry_points()
    selected = eps.select(group=group) if hasattr(eps, "select") else eps.get(group, ())
    return sorted((ep.name, ep.value, f"{ep.dist.metadata['Name']} {ep.dist.version}") for ep in selected)


def test_matches_importlib_metadata_for_every_group_here():
    groups = {ep.group for dist in importlib.metadata.distributions() for ep in dist.entry_points}
    groups |= {"console_scripts", "envdoctor.checks"}
    for group in sorted(groups):
        mine = sorted((ep.name, ep.value, ep.provider) for ep in entry_points(group))
        assert mine == _reference(group), group
