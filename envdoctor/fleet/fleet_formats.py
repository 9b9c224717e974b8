"""The formats `fleet --format` takes (the CLI imports this at start-up: nothing else here)."""

from __future__ import annotations

import enum


class FleetFormat(str, enum.Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    junit = "junit"
