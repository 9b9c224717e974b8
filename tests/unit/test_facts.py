"""Facts from JSON: the fast construction in model/facts.py must equal what the dataclasses' own
__init__ builds, and must refuse what __init__ would refuse."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from envdoctor.model import facts as model
from envdoctor.model.facts import Distribution, Facts, Stack, from_dict
from tests.unit.test_stack_checks import cuda_machine, deep_torch


def test_round_trip_equals_the_original_and_hashes_alike():
    original = cuda_machine(deep=deep_torch(), env={"CUDA_VISIBLE_DEVICES": "0"})
    again = Facts.from_dict(original.to_dict())
    assert again == original
    assert again.distributions[0] == Distribution(**{f.name: getattr(original.distributions[0], f.name)
                                                     for f in dataclasses.fields(Distribution)})
    assert hash(again.distributions[0]) == hash(original.distributions[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        again.distributions[0].name = "other"  # still frozen


def test_missing_required_fields_are_refused_by_name():
    with pytest.raises(TypeError, match="Distribution: missing kind, location"):
        from_dict(Distribution, {"name": "x", "version": "1", "metadata_path": "/m", "path_index": 0})


def test_defaults_and_default_factories_are_filled_per_instance():
    first, second = from_dict(Stack, {}), from_dict(Stack, {})
    assert first == Stack() and first.package_files == {} and first.package_files is not second.package_files


def test_no_facts_dataclass_has_a_post_init():
    """The fast construction skips __init__, so a __post_init__ would silently not run."""
    classes = [obj for _, obj in inspect.getmembers(model, inspect.isclass) if dataclasses.is_dataclass(obj)]
    assert len(classes) > 20
    assert [cls.__name__ for cls in classes if hasattr(cls, "__post_init__")] == []
