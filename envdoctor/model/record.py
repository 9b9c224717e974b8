"""`@record`: a frozen dataclass whose methods are written once, in a base class.

For every `@dataclass(frozen=True)` class, the dataclasses module writes the source of
up to six methods (__init__, __repr__, __eq__, __hash__, __setattr__, __delattr__) and
compiles each with exec().  The facts and findings model has 33 such classes, and a
check run 6 more (CheckSpec, CheckRun, Registry, EntryPoint, Rule, ReportContext): ~230
compilations, 35-45 ms of every envdoctor start on CPython 3.11 (6 ms as records), while
the probe needs ~0.2 s to read 1,000 distributions.  A record is declared like a frozen dataclass and still
is a dataclass (dataclasses.fields, replace and asdict work on it), but it gets those
methods from `Record`, with the same behaviour:

- the constructor takes the fields positionally or by name, in declaration order, and
  fills defaults and default factories;
- assigning or deleting an attribute raises dataclasses.FrozenInstanceError;
- equality, hashing and repr use every field, in declaration order.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Tuple, Type, TypeVar

try:  # only type checkers read it; Python 3.11+
    from typing import dataclass_transform
except ImportError:  # pragma: no cover - Python 3.9/3.10

    def dataclass_transform(**_options: Any) -> Callable:
        return lambda decorator: decorator


T = TypeVar("T")


class Record:
    """The methods every record shares; its fields are in `__record_fields__`."""

    # Set by @record for each class.  Not annotated: typing.get_type_hints() on a record
    # (facts.from_dict reads the field types) would evaluate these too, in the record's module.
    __slots__ = ()
    __record_fields__ = ()  # the field names, in declaration order
    __record_defaults__ = {}  # field name -> default value
    __record_factories__ = {}  # field name -> default factory

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        names = cls.__record_fields__
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__}() takes {len(names)} arguments but {len(args)} were given")
        values = dict(zip(names, args))
        for name, value in kwargs.items():
            if name in values:
                raise TypeError(f"{cls.__name__}() got multiple values for argument {name!r}")
            values[name] = value
        for name in names:
            if name in values:
                continue
            if name in cls.__record_defaults__:
                values[name] = cls.__record_defaults__[name]
            elif name in cls.__record_factories__:
                values[name] = cls.__record_factories__[name]()
            else:
                raise TypeError(f"{cls.__name__}() missing required argument: {name!r}")
        if len(values) != len(names):
            unknown = sorted(set(values) - set(names))
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {unknown[0]!r}")
        self.__dict__.update(values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def _field_values(self) -> Tuple[Any, ...]:
        values = self.__dict__
        return tuple(values[name] for name in self.__record_fields__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._field_values() == other._field_values()  # type: ignore[attr-defined]
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._field_values())

    def __repr__(self) -> str:
        values = self.__dict__
        shown = ", ".join(f"{name}={values[name]!r}" for name in self.__record_fields__)
        return f"{type(self).__qualname__}({shown})"


@dataclass_transform(frozen_default=True)
def record(cls: Type[T]) -> Type[T]:
    """Make `cls` (a subclass of Record with annotated fields) a dataclass that has no generated methods."""
    if not issubclass(cls, Record):
        raise TypeError(f"@record: {cls.__name__} must subclass Record")
    cls = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    fields = dataclasses.fields(cls)
    cls.__record_fields__ = tuple(f.name for f in fields)
    cls.__record_defaults__ = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
    cls.__record_factories__ = {
        f.name: f.default_factory for f in fields if f.default_factory is not dataclasses.MISSING
    }
    return cls
