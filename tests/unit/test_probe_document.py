"""The probe's distributions leave out the values that are the host's defaults (distributions.compact):
the Facts built from the compact document must be the same as from the full one."""

from __future__ import annotations

import dataclasses

from envdoctor.model.facts import Distribution, from_dict
from envdoctor.probe.in_target.distributions import _new_distribution, compact


def full_distribution(**values):
    dist = _new_distribution("/sp/a-1.0.dist-info", "dist-info", "/sp", 0)
    dist.update(name="a", version=None, record_modules=[], compiled_count=0, compiled_files=[], wheel_tags=[],
                root_is_purelib=False, record_hashes_match=None, **values)
    return dist


def test_every_field_left_out_is_the_records_default():
    full = full_distribution()
    compacted = dict(full)
    compact([compacted])
    assert set(full) - set(compacted)  # something was left out
    assert from_dict(Distribution, compacted) == from_dict(Distribution, full)
    # every key the probe writes is a field of the record, so the comparison covers them all
    assert set(full) <= {field.name for field in dataclasses.fields(Distribution)}


def test_required_and_meaningful_empty_values_are_kept():
    compacted = full_distribution()
    compact([compacted])
    # path_index 0 and version None are required; [] tags is "a WHEEL without tags", False is not None
    assert {"path_index": 0, "version": None, "wheel_tags": [], "root_is_purelib": False}.items() <= compacted.items()
