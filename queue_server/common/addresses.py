"""Which network addresses the server connects to on a staff member's word: a kiosk's network printer (a
supervisor's panel) and a webhook endpoint (an admin). Neither may turn the server into a way to reach what only the
server itself can: its own services on loopback, a cloud's metadata service (169.254.169.254), or, for a printer,
anything but a printer on the mall's LAN. A name is checked by what it resolves to, when the server connects.

`loopback`: the lab setting `allow_loopback_targets` (docs/configuration.md), off by default: the tests' fake
printers and webhook receivers listen on this machine."""

from __future__ import annotations

import ipaddress
import socket

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Printers: on the mall's LAN only (RFC 1918, and IPv6 unique local addresses), at the raw printing ports.
PRIVATE_LAN = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
PRINTER_PORTS = range(9100, 9110)  # raw TCP printing (JetDirect), 9100 and a multi-port print server's next ones
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # connecting to 0.x.x.x reaches this machine on Linux


def literal(host: str) -> Address | None:
    """`host` as an IP address when it is one (an IPv6 one also in [brackets]); an IPv4 address written as IPv6
    (::ffff:127.0.0.1) as the IPv4 address it is."""
    try:
        address = ipaddress.ip_address(host.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        return None
    return _unmapped(address)


def _unmapped(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to, as the server would connect to it (blocking: run it in a thread).
    OSError when it resolves to none."""
    found: list[Address] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = _unmapped(ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]))
        if address not in found:
            found.append(address)
    return found


def on_private_lan(address: Address) -> bool:
    return any(address in network for network in PRIVATE_LAN if network.version == address.version)


def printer_may_use(address: Address, port: int, *, loopback: bool) -> bool:
    """A network printer: an address on the mall's LAN at a printing port, or (lab setting) this machine's own."""
    if loopback and address.is_loopback:
        return True
    return on_private_lan(address) and port in PRINTER_PORTS


def webhook_may_use(address: Address, *, loopback: bool) -> bool:
    """A webhook receiver: anywhere but this machine (loopback, 0.x.x.x), link-local addresses (a cloud's metadata
    service), multicast or reserved ones. Private LAN addresses are fine: agencies' systems are there."""
    if address.is_loopback:
        return loopback
    if isinstance(address, ipaddress.IPv4Address) and address in _THIS_NETWORK:
        return False
    return not (address.is_link_local or address.is_unspecified or address.is_multicast or address.is_reserved)
