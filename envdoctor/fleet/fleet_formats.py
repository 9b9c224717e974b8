"""The formats `fleet --format` takes: `check`'s own (report.Format) but GitHub's workflow
annotations, which name a file and line that a node has not.  The CLI imports this at start-up."""

from __future__ import annotations

import enum

from envdoctor.report import Format

FleetFormat = enum.Enum("FleetFormat", {f.name: f.value for f in Format if f is not Format.github}, type=str)
