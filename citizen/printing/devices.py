"""Sending one rendered slip to the configured ESC/POS printer, blocking (run it in a thread). Every way a printer
can fail ends as PrinterFault with a message staff can act on.

The slip is rendered on python-escpos's Dummy printer first and sent in one write: a printer that fails mid-way
prints nothing rather than half a ticket without its number. Network and device-file printers get the bytes
straight from the standard library (python-escpos's Network printer leaks its socket when the connection is
refused); USB by vendor/product id goes through python-escpos and pyusb.
"""

from __future__ import annotations

import logging
import socket

from escpos.exceptions import Error as EscposError
from escpos.printer import Dummy

from queue_server.web.kit import addresses

from .config import PrinterConfig
from .escpos_slip import write_slip
from .slip import Slip

log = logging.getLogger(__name__)


class PrinterFault(Exception):
    """The slip did not reach the printer. The message names the printer and what went wrong."""


def describe(config: PrinterConfig) -> str:
    if config.mode == "network":
        return f"{config.host}:{config.port}"
    if config.mode == "file":
        return config.device or "?"
    if config.mode == "usb":
        return f"USB {config.vendor_id}:{config.product_id}"
    return config.mode


def render(config: PrinterConfig, slip: Slip) -> bytes:
    printer = Dummy(profile=config.profile)
    write_slip(printer, slip, qr_native=config.qr_native)
    return bytes(printer.output)


class PrinterAddressRefused(PrinterFault):
    """A network printer whose address is not one the server connects to (the mall's LAN, printing ports)."""


def send(config: PrinterConfig, data: bytes, timeout: float, *, loopback: bool = False) -> None:
    """`loopback`: the lab setting allow_loopback_targets (a printer on this machine, any port)."""
    if config.mode == "network":
        _send_network(config, data, timeout, loopback)
        return
    try:
        if config.mode == "file":
            with open(config.device or "", "wb") as device:
                device.write(data)
        elif config.mode == "usb":
            _send_usb(config, data, timeout)
        else:
            raise PrinterFault(f"mode '{config.mode}' does not print on the server")
    except (OSError, EscposError) as exc:
        raise PrinterFault(f"{describe(config)}: {' '.join(str(exc).split())}") from None


def printer_addresses(config: PrinterConfig, *, loopback: bool) -> list[addresses.Address]:
    """Where a network printer's host resolves to, each one checked (common/addresses.py): PrinterAddressRefused
    when none may be used, PrinterFault when the name does not resolve."""
    try:
        found = addresses.resolve(config.host or "", config.port)
    except (OSError, UnicodeError):
        log.info("printer %s: its name does not resolve", describe(config))
        raise PrinterFault(f"{describe(config)}: the printer's name is not known on this network") from None
    usable = [a for a in found if addresses.printer_may_use(a, config.port, loopback=loopback)]
    if not usable:
        raise PrinterAddressRefused(f"{describe(config)}: not a printer address on the mall's LAN")
    return usable


def _send_network(config: PrinterConfig, data: bytes, timeout: float, loopback: bool) -> None:
    """To an address checked as it is connected to (a name resolved once, here, and that address used), and
    with one message for every way a connection fails: the panel must not tell which ports of a host are open.
    The log keeps the system's own words for whoever runs the server."""
    for address in printer_addresses(config, loopback=loopback):
        try:
            with socket.create_connection((str(address), config.port), timeout=timeout) as conn:
                conn.sendall(data)
            return
        except OSError as exc:
            log.info("printer %s (%s): %s", describe(config), address, " ".join(str(exc).split()))
    raise PrinterFault(f"the printer did not answer at {describe(config)}")


def _send_usb(config: PrinterConfig, data: bytes, timeout: float) -> None:
    from escpos.printer import Usb

    if not Usb.is_usable():
        raise PrinterFault("USB printing needs pyusb: pip install 'python-escpos[usb]' (or use mode 'file')")
    printer = Usb(int(config.vendor_id or "0", 16), int(config.product_id or "0", 16), timeout=int(timeout * 1000),
                  profile=config.profile)  # fmt: skip
    try:
        printer.open()
        printer._raw(data)  # noqa: SLF001 - python-escpos's one way to send prepared bytes
    finally:
        printer.close()


def print_slip(config: PrinterConfig, slip: Slip, timeout: float, *, loopback: bool = False) -> None:
    send(config, render(config, slip), timeout, loopback=loopback)
