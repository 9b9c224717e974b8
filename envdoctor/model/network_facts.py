"""The machine's network as NCCL, Gloo and torch.distributed see it: what their interface and
HCA settings are judged against (checks/nccl_settings.py), and what `diff` compares between hosts.

Only names, states and address families are recorded, never addresses.
"""

from __future__ import annotations

from typing import Optional, Tuple

from envdoctor.model.record import Record, record


@record
class NetworkInterface(Record):
    """One network interface, as NCCL's socket transport weighs it (getifaddrs: running, with an address)."""

    name: str
    operstate: Optional[str] = None  # /sys/class/net/NAME/operstate: up | down | unknown (lo) | ...
    running: Optional[bool] = None  # IFF_RUNNING (SIOCGIFFLAGS); None when it could not be read
    families: Tuple[str, ...] = ()  # "inet", "inet6" (IPv6 loopback left out, as NCCL skips it)

    def usable(self, family: Optional[str] = None) -> bool:
        """Whether NCCL's socket transport can use it: running, with an address (of `family`)."""
        return self.running is not False and (family in self.families if family else bool(self.families))


@record
class IbPort(Record):
    number: int
    state: Optional[str] = None  # "ACTIVE", "DOWN", ... (/sys/class/infiniband/DEV/ports/N/state)
    link_layer: Optional[str] = None  # "InfiniBand" or "Ethernet" (RoCE)


@record
class IbDevice(Record):
    """An RDMA device of /sys/class/infiniband: what NCCL's IB transport (InfiniBand or RoCE) uses."""

    name: str
    ports: Tuple[IbPort, ...] = ()


@record
class Network(Record):
    interfaces: Tuple[NetworkInterface, ...] = ()
    interfaces_source: str = ""
    ib_devices: Tuple[IbDevice, ...] = ()
    ib_source: str = ""  # the folder read; it is absent on a machine without RDMA devices
    errors: Tuple[str, ...] = ()  # what could not be read, and why

    def interface_names(self) -> Tuple[str, ...]:
        return tuple(interface.name for interface in self.interfaces)
