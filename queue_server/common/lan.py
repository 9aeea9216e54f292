"""This machine's addresses on its networks: what a TV, a kiosk or a counter PC opens to reach the server (never
`localhost`, which would be the TV itself)."""

from __future__ import annotations

import fcntl
import socket
import struct

_SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address


def lan_address() -> str | None:
    """The address of the default route's network, or None: the local address of a UDP socket "connected" towards
    a public address (a UDP connect only picks the route; nothing is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: routed by the default route, never reached
            address = str(probe.getsockname()[0])
        except OSError:  # no route at all: an offline box
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address  # noqa: S104


def lan_addresses() -> list[str]:
    """Every IPv4 address of this machine but loopback, the default route's first: a box on the mall's LAN and on a
    citizens' Wi-Fi, or with no default route at all (a LAN without internet), has one on each network."""
    found = [a for a in (lan_address(),) if a]
    try:
        interfaces = socket.if_nameindex()
    except OSError:
        return found
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in interfaces:
            try:
                answer = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR, struct.pack("256s", name[:15].encode()))
            except OSError:  # an interface without an IPv4 address (down, or IPv6 only)
                continue
            address = socket.inet_ntoa(answer[20:24])
            if not address.startswith("127.") and address not in found:
                found.append(address)
    return found
