"""Sending one rendered slip to the configured ESC/POS printer, blocking (run it in a thread). Every way a printer
can fail ends as PrinterFault with a message staff can act on.

The slip is rendered on python-escpos's Dummy printer first and sent in one write: a printer that fails mid-way
prints nothing rather than half a ticket without its number. Network and device-file printers get the bytes
straight from the standard library (python-escpos's Network printer leaks its socket when the connection is
refused); USB by vendor/product id goes through python-escpos and pyusb.
"""

from __future__ import annotations

import socket

from escpos.exceptions import Error as EscposError
from escpos.printer import Dummy

from .config import PrinterConfig
from .escpos_slip import write_slip
from .slip import Slip


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


def send(config: PrinterConfig, data: bytes, timeout: float) -> None:
    try:
        if config.mode == "network":
            with socket.create_connection((config.host or "", config.port), timeout=timeout) as conn:
                conn.sendall(data)
        elif config.mode == "file":
            with open(config.device or "", "wb") as device:
                device.write(data)
        elif config.mode == "usb":
            _send_usb(config, data, timeout)
        else:
            raise PrinterFault(f"mode '{config.mode}' does not print on the server")
    except (OSError, EscposError) as exc:
        raise PrinterFault(f"{describe(config)}: {' '.join(str(exc).split())}") from None


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


def print_slip(config: PrinterConfig, slip: Slip, timeout: float) -> None:
    send(config, render(config, slip), timeout)
