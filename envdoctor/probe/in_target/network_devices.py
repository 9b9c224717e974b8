# The machine's network interfaces and RDMA (InfiniBand/RoCE) devices: what NCCL_SOCKET_IFNAME,
# GLOO_SOCKET_IFNAME, NCCL_NET and NCCL_IB_HCA name.  Names, states and address families only,
# never addresses.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax,
# nothing written.  Linux only: elsewhere the section says what it could not read.
#
# An interface counts for NCCL's socket transport when it is running (IFF_RUNNING) and has an
# IPv4 or a non-loopback IPv6 address (NCCL's findInterfaces, src/misc/socket.cc), so those are
# what is recorded.  Interfaces are the machine's real ones; the RDMA devices are read from
# /sys/class/infiniband under the stand-in root of the tests (stack_facts.py: docs/reference/test-variables.md).
import os
import struct

# _socket, not socket: the C module has what is needed here (if_nameindex, a datagram socket's
# file descriptor) and imports in under 1 ms, where socket.py (enum classes for every constant)
# took 7-25 ms of every probe on the test machine.
import _socket

from .stack_facts import _read, _system_path

SIOCGIFFLAGS = 0x8913
SIOCGIFADDR = 0x8915
IFF_RUNNING = 0x40


def _ioctl(request, name):
    """The ifreq answer of one interface ioctl, or None (no such address, not Linux)."""
    import fcntl

    packed = struct.pack("256s", name.encode("utf-8", "surrogateescape")[:15])
    sock = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    try:
        return fcntl.ioctl(sock.fileno(), request, packed)
    except OSError:
        return None
    finally:
        sock.close()


def _ipv6_interfaces():
    """Interfaces with a non-loopback IPv6 address (/proc/net/if_inet6: address ... name)."""
    names = set()
    for line in (_read("/proc/net/if_inet6") or "").splitlines():
        fields = line.split()
        if len(fields) == 6 and fields[0] != "0" * 31 + "1":
            names.add(fields[5])
    return names


def _interface(name, ipv6):
    flags = _ioctl(SIOCGIFFLAGS, name)
    running = None
    if flags is not None:
        running = bool(struct.unpack_from("H", flags, 16)[0] & IFF_RUNNING)
    families = []
    if _ioctl(SIOCGIFADDR, name) is not None:
        families.append("inet")
    if name in ipv6:
        families.append("inet6")
    state = _read("/sys/class/net/%s/operstate" % name)
    return {"name": name, "operstate": state.strip() if state else None, "running": running,
            "families": families}


def _ib_devices(errors):
    folder = _system_path("/sys/class/infiniband")
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return []
    except OSError as exc:
        errors.append("%s: %s" % (folder, exc.strerror or exc))
        return []
    devices = []
    for name in names:
        ports = []
        try:
            numbers = sorted(os.listdir(os.path.join(folder, name, "ports")), key=lambda n: (len(n), n))
        except OSError:
            numbers = []
        for number in numbers:
            port = os.path.join(folder, name, "ports", number)
            state = _read(os.path.join(port, "state"))  # "4: ACTIVE"
            layer = _read(os.path.join(port, "link_layer"))
            ports.append({"number": int(number) if number.isdigit() else 0,
                          "state": state.split(":")[-1].strip() if state else None,
                          "link_layer": layer.strip() if layer else None})
        devices.append({"name": name, "ports": ports})
    return devices


def network_facts():
    """The `network` section."""
    errors = []
    interfaces = []
    source = ""
    if hasattr(_socket, "if_nameindex"):
        try:
            names = [name for _, name in _socket.if_nameindex()]
            ipv6 = _ipv6_interfaces()
            interfaces = [_interface(name, ipv6) for name in names]
            source = "if_nameindex(), SIOCGIFFLAGS/SIOCGIFADDR, /proc/net/if_inet6, /sys/class/net"
        except (OSError, ImportError) as exc:
            errors.append("network interfaces: %s" % exc)
    else:
        errors.append("network interfaces: if_nameindex() is not available on this platform")
    return {
        "interfaces": interfaces,
        "interfaces_source": source,
        "ib_devices": _ib_devices(errors),
        "ib_source": _system_path("/sys/class/infiniband"),
        "errors": errors,
    }
