"""`fleet --format json`: FleetResult.to_dict() as JSON (schema: docs/reference/fleet.schema.json)."""

from __future__ import annotations

import json

from envdoctor.report.escape import without_surrogates


def render_fleet_json(result) -> str:
    return json.dumps(without_surrogates(result.to_dict()), indent=2, sort_keys=False) + "\n"
