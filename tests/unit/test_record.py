"""@record behaves as @dataclass(frozen=True) does, for every method it replaces.

Each case builds the same declaration both ways and compares what they do.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import typing
from typing import Dict, Optional, Tuple

import pytest

from envdoctor.model import facts
from envdoctor.model.record import Record, record


@record
class Point(Record):
    x: int
    y: int = 0
    tags: Tuple[str, ...] = ()
    extra: Dict[str, str] = dataclasses.field(default_factory=dict)
    note: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class Twin:
    x: int
    y: int = 0
    tags: Tuple[str, ...] = ()
    extra: Dict[str, str] = dataclasses.field(default_factory=dict)
    note: Optional[str] = None


CALLS = [
    ((1,), {}),
    ((1, 2), {}),
    ((), {"x": 1, "note": "n"}),
    ((1, 2, ("a",)), {"note": None}),
    ((1,), {"extra": {"k": "v"}}),
]


@pytest.mark.parametrize("args, kwargs", CALLS)
def test_construction_equality_and_repr_match_a_frozen_dataclass(args, kwargs):
    mine, twin = Point(*args, **kwargs), Twin(*args, **kwargs)
    assert dataclasses.asdict(mine) == dataclasses.asdict(twin)
    assert repr(mine) == repr(twin).replace("Twin(", "Point(", 1)
    assert mine == Point(*args, **kwargs) and not (mine != Point(*args, **kwargs))
    assert mine != Point(x=99)
    assert mine != twin  # another class is never equal, as with dataclasses


def test_hash_is_the_hash_of_the_field_values():
    @record
    class Pair(Record):
        x: int
        tags: Tuple[str, ...] = ()

    @dataclasses.dataclass(frozen=True)
    class PairTwin:
        x: int
        tags: Tuple[str, ...] = ()

    assert hash(Pair(1, ("a",))) == hash(PairTwin(1, ("a",)))
    assert len({Pair(1), Pair(1), Pair(2)}) == 2
    for unhashable in (Point(1), Twin(1)):  # a dict field: unhashable either way
        with pytest.raises(TypeError):
            hash(unhashable)


def test_default_factories_give_each_instance_its_own_value():
    first, second = Point(1), Point(1)
    assert first.extra == {} and first.extra is not second.extra


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((), {}, "missing required argument: 'x'"),
        ((1, 2, (), {}, None, "six"), {}, "takes 5 arguments but 6 were given"),
        ((1,), {"x": 2}, "multiple values for argument 'x'"),
        ((1,), {"z": 2}, "unexpected keyword argument 'z'"),
    ],
)
def test_bad_construction_is_a_type_error_naming_the_argument(args, kwargs, message):
    with pytest.raises(TypeError) as mine:
        Point(*args, **kwargs)
    with pytest.raises(TypeError):
        Twin(*args, **kwargs)
    assert message in str(mine.value)


def test_frozen():
    point = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        del point.y
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.new_attribute = 1


def test_dataclass_tools_pickle_and_copy_work():
    point = Point(1, 2, ("a",), {"k": "v"}, "n")
    assert dataclasses.is_dataclass(point)
    assert [f.name for f in dataclasses.fields(point)] == ["x", "y", "tags", "extra", "note"]
    assert dataclasses.replace(point, y=5) == Point(1, 5, ("a",), {"k": "v"}, "n")
    assert pickle.loads(pickle.dumps(point)) == point
    assert copy.deepcopy(point) == point
    assert typing.get_type_hints(Point)["tags"] == Tuple[str, ...]


def test_only_record_subclasses_can_be_records():
    with pytest.raises(TypeError, match="must subclass Record"):

        @record
        class Plain:
            x: int


def test_every_facts_class_is_a_record():
    classes = [obj for obj in vars(facts).values() if isinstance(obj, type) and dataclasses.is_dataclass(obj)]
    assert classes and all(issubclass(cls, Record) for cls in classes)
