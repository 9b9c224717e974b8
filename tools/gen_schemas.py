"""Write docs/reference/snapshot.schema.json from the Facts dataclasses (envdoctor/model/facts.py).

    python tools/gen_schemas.py          # write
    python tools/gen_schemas.py --check  # exit 1 if the file is stale (used by the tests)

The snapshot schema is derived, not written by hand, so it cannot drift from the code:
every dataclass becomes a definition, every field a property, required where it has no
default (check --facts reads a snapshot that lacks a field added since it was taken, as
long as the field has a default), Optional[X] allows null, and no other keys.  The findings and diff schemas next to it are
written by hand (their documents are built by the reporters, not from one type).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import typing
from pathlib import Path
from typing import Any, Dict

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "docs" / "reference" / "snapshot.schema.json"
PRIMITIVES = {str: {"type": "string"}, int: {"type": "integer"}, float: {"type": "number"}, bool: {"type": "boolean"}}
RENAMED = {"class_name": "class"}  # envdoctor.model.facts._RENAMED, seen from the JSON side


def _schema_of(tp: Any, definitions: Dict[str, Any]) -> Dict[str, Any]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return {}
    if tp in PRIMITIVES:
        return dict(PRIMITIVES[tp])
    if origin is typing.Union:
        options = [_schema_of(arg, definitions) for arg in args if arg is not type(None)]
        inner = options[0] if len(options) == 1 else {"anyOf": options}
        return {"anyOf": [inner, {"type": "null"}]} if type(None) in args else inner
    if origin is tuple:
        item = args[0] if args else Any
        return {"type": "array", "items": _schema_of(item, definitions)} if item is not Any else {"type": "array"}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema_of(args[1], definitions) if args else {}}
    if dataclasses.is_dataclass(tp):
        _define(tp, definitions)
        return {"$ref": f"#/$defs/{tp.__name__}"}
    if isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields"):  # Target, a named tuple
        return {"type": "object", "properties": {name: {"type": "string"} for name in tp._fields},
                "required": list(tp._fields), "additionalProperties": False}
    raise TypeError(f"no JSON Schema for {tp!r}")


def _define(cls: type, definitions: Dict[str, Any]) -> None:
    if cls.__name__ in definitions:
        return
    definitions[cls.__name__] = {}  # reserve: dataclasses refer to each other
    hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
    fields = dataclasses.fields(cls)
    properties = {RENAMED.get(f.name, f.name): _schema_of(hints[f.name], definitions) for f in fields}
    required = [RENAMED.get(f.name, f.name) for f in fields
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "(") else ""
    definitions[cls.__name__] = dict(
        {"description": doc} if doc else {}, type="object", properties=properties,
        required=required, additionalProperties=False,
    )


def render() -> str:
    from envdoctor.model.facts import FACTS_SCHEMA_VERSION, Facts

    definitions: Dict[str, Any] = {}
    _define(Facts, definitions)
    root = definitions.pop("Facts")
    root["properties"]["schema_version"] = {"const": FACTS_SCHEMA_VERSION}
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://envdoctor.readthedocs.io/reference/snapshot.schema.json",
        "title": f"envdoctor snapshot (facts), schema version {FACTS_SCHEMA_VERSION}",
        "description": "What `envdoctor snapshot` writes and `check --facts` / `diff` read. Generated from "
                       "envdoctor/model/facts.py by tools/gen_schemas.py; sections are null when not collected.",
        **root,
        "$defs": dict(sorted(definitions.items())),
    }
    return json.dumps(schema, indent=2) + "\n"


def main(argv) -> int:
    text = render()
    if "--check" in argv:
        if not SCHEMA.exists() or SCHEMA.read_text(encoding="utf-8") != text:
            print(f"stale {SCHEMA.relative_to(ROOT)}, run tools/gen_schemas.py")
            return 1
        return 0
    SCHEMA.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
