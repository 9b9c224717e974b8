"""Validate envdoctor's documents against their schemas: the official SARIF 2.1.0 schema, Jenkins'
JUnit XSD (tests/data/schemas/, see the README there) and envdoctor's own (docs/reference/)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema
import xmlschema

ROOT = Path(__file__).resolve().parents[2]
THIRD_PARTY = ROOT / "tests" / "data" / "schemas"
OWN = ROOT / "docs" / "reference"


@lru_cache(maxsize=None)
def _validator(path: Path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def errors(schema_path: Path, document) -> list:
    """Every violation, as 'path: message' lines (empty when valid)."""
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in _validator(schema_path).iter_errors(document)]


def assert_valid(schema_path: Path, document) -> None:
    found = errors(schema_path, document)
    assert not found, f"not valid under {schema_path.name}:\n" + "\n".join(found[:10])


def assert_sarif(document) -> None:
    assert_valid(THIRD_PARTY / "sarif-schema-2.1.0.json", document)


def assert_findings(document) -> None:
    assert_valid(OWN / "findings.schema.json", document)


def assert_snapshot(document) -> None:
    assert_valid(OWN / "snapshot.schema.json", document)


def assert_diff(document) -> None:
    assert_valid(OWN / "diff.schema.json", document)


@lru_cache(maxsize=None)
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(THIRD_PARTY / "junit-10.xsd"))


def junit_errors(text: str) -> list:
    return [str(error.reason or error) for error in junit_schema().iter_errors(text)]


def assert_junit(text: str) -> None:
    found = junit_errors(text)
    assert not found, "not valid under junit-10.xsd:\n" + "\n".join(found[:10])
