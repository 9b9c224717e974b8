"""NCCL's interface-list syntax (NCCL_SOCKET_IFNAME, NCCL_IB_HCA): which names a value selects.

Shared by the per-machine check (checks/nccl_settings.py, NCL001) and the cross-node check
(fleet/cross_node.py, FLT008), which asks the same question of another node's interfaces.
"""

from __future__ import annotations

from typing import List, Sequence, Tuple


def parse_interface_list(value: str) -> Tuple[bool, bool, List[str]]:
    """(exclude, exact, names) as NCCL reads such a list (src/misc/socket.cc findInterfaces,
    src/misc/utils.cc parseStringList): a leading `^` excludes, then a leading `=` asks for
    exact names instead of prefixes; entries are comma-separated, `:port` suffixes dropped."""
    exclude = value.startswith("^")
    rest = value[1:] if exclude else value
    exact = rest.startswith("=")
    rest = rest[1:] if exact else rest
    names = [entry.split(":", 1)[0] for entry in rest.split(",")]
    return exclude, exact, [name for name in names if name]


def selected(names: Sequence[str], value: str) -> List[str]:
    """The names among `names` that the list `value` selects (NCCL compares case-sensitively)."""
    exclude, exact, wanted = parse_interface_list(value)

    def listed(name: str) -> bool:
        if not wanted:
            return True  # an empty list matches everything (matchIfList)
        return any(name == entry if exact else name.startswith(entry) for entry in wanted)

    return [name for name in names if listed(name) != exclude]
