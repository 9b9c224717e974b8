"""`fleet --from DIR|FILE...`: snapshots other tools wrote, one per node.

A file is either a plain snapshot (`envdoctor snapshot -o NODE.json`: the node is named after
the file) or a node document `{"node": {"name": ..., "engine": ..., "node_id": ...}, "facts":
{...}}` (docs/fleet.md), which keeps its own name.  A folder contributes every `*.json` file in it.
"""

from __future__ import annotations

import os
from typing import List, Sequence

from envdoctor.data_files import read_json
from envdoctor.errors import UsageError
from envdoctor.fleet.nodes import FleetNode
from envdoctor.model.facts import Facts


def snapshot_files(sources: Sequence[str]) -> List[str]:
    """The snapshot files that `--from` names, in name order within each folder."""
    files: List[str] = []
    for source in sources:
        if os.path.isdir(source):
            found = sorted(os.path.join(source, name) for name in os.listdir(source) if name.endswith(".json"))
            if not found:
                raise UsageError(f"--from {source}: the folder holds no *.json snapshot")
            files += found
        elif os.path.isfile(source):
            files.append(source)
        else:
            raise UsageError(f"--from {source}: no such file or folder")
    return files


def node_from_file(path: str) -> FleetNode:
    """One node from one file; anything that is not a snapshot is a UsageError naming the file."""
    data = read_json(path, "--from")
    if isinstance(data, dict) and isinstance(data.get("node"), dict) and isinstance(data.get("facts"), dict):
        node = data["node"]
        facts = Facts.from_document(data["facts"], path, "--from")
        return FleetNode(name=str(node.get("name") or _stem(path)), engine=str(node.get("engine") or "file"),
                         node_id=str(node.get("node_id") or path), facts=facts)
    return FleetNode(name=_stem(path), engine="file", node_id=path, facts=Facts.from_document(data, path, "--from"))


def nodes_from(sources: Sequence[str]) -> List[FleetNode]:
    return [node_from_file(path) for path in snapshot_files(sources)]


def _stem(path: str) -> str:
    name = os.path.basename(path)
    return name[: -len(".json")] if name.endswith(".json") else name
