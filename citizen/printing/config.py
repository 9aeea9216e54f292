"""A kiosk's printer, as staff set it in the kiosk panel (kept in the database), checked field by field.

Modes:
- "browser": the kiosk's browser prints the 80 mm page (/citizen/print/{token}) on the system printer; with
  Chromium's --kiosk-printing it does so without a dialog. The default: it needs no set-up on the server.
- "network": an ESC/POS printer on the mall's LAN (raw TCP, port 9100 by default; ports 9100-9109, private
  addresses only: see `check_network_printer`).
- "file": an ESC/POS USB printer through the kernel's printer device (/dev/usb/lp0); no extra library.
- "usb": an ESC/POS USB printer by vendor and product id through pyusb (python-escpos[usb]).
- "none": no printer; the kiosk shows the number and QR to photograph.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass
from typing import Any

from escpos.capabilities import CAPABILITIES

from queue_server.web.kit import Refusal, addresses

MODES = ("browser", "network", "file", "usb", "none")
ESCPOS_MODES = ("network", "file", "usb")
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){LABEL}(?:\.{LABEL})*$")
# Only printer devices: the panel must not become a way to write into any file on the server.
DEVICE = re.compile(r"^/dev/(?:usb/)?lp\d{1,2}$")
USB_ID = re.compile(r"^(?:0x)?[0-9a-fA-F]{1,4}$")
PUBLIC_URL = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+(?:/[A-Za-z0-9._~/-]*)?$")


@dataclass(frozen=True)
class PrinterConfig:
    mode: str = "browser"
    host: str | None = None
    port: int = 9100
    device: str | None = None
    vendor_id: str | None = None  # hex, as printed by lsusb ("04b8")
    product_id: str | None = None
    profile: str = "default"  # a python-escpos printer profile: code pages, paper width, columns
    qr_native: bool = True  # most current printers draw a QR themselves (GS ( k); older ones need an image

    @property
    def escpos(self) -> bool:
        return self.mode in ESCPOS_MODES

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> PrinterConfig:
        return parse_printer(raw)


def _text(raw: dict[str, Any], key: str, max_len: int = 253) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Refusal("invalid_field.text", details={"field": key})
    if len(value) > max_len:
        raise Refusal("invalid_field.too_long", max_len=max_len, details={"field": key})
    return value.strip()


def _required(value: str | None, key: str, example: str) -> str:
    if value is None:
        raise Refusal("invalid_field.required_for_mode", key=key, example=example, details={"field": key})  # fmt: skip
    return value


def parse_printer(raw: dict[str, Any]) -> PrinterConfig:
    """A PrinterConfig from the panel's JSON; a Refusal (invalid_field, naming the field) for anything wrong."""
    allowed = {"mode", "host", "port", "device", "vendor_id", "product_id", "profile", "qr_native"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise Refusal(
            "invalid_field.unknown_fields", unknown=unknown, allowed=sorted(allowed), details={"field": unknown[0]}
        )
    mode = raw.get("mode", "browser")
    if mode not in MODES:
        raise Refusal("invalid_field.choice", choices=list(MODES), details={"field": "mode"})  # fmt: skip
    port = raw.get("port", 9100)
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise Refusal("invalid_field.port", details={"field": "port"})
    profile = _text(raw, "profile", 40) or "default"
    if profile not in CAPABILITIES["profiles"]:
        raise Refusal("invalid_field.printer_profile", profile=profile, details={"field": "profile"})  # fmt: skip
    qr_native = raw.get("qr_native", True)
    if not isinstance(qr_native, bool):
        raise Refusal("invalid_field.boolean", details={"field": "qr_native"})
    host, device = _text(raw, "host"), _text(raw, "device", 20)
    vendor, product = _text(raw, "vendor_id", 6), _text(raw, "product_id", 6)
    if mode == "network":
        host = _required(host, "host", "192.168.1.50")
        if not _is_host(host):
            raise Refusal("invalid_field.host", host=host, details={"field": "host"})  # fmt: skip
    if mode == "file" and not DEVICE.match(_required(device, "device", "/dev/usb/lp0")):
        raise Refusal("invalid_field.printer_device", details={"field": "device"})  # fmt: skip
    if mode == "usb":
        for key, value in (("vendor_id", vendor), ("product_id", product)):
            if not USB_ID.match(_required(value, key, "04b8")):
                raise Refusal("invalid_field.usb_id", key=key, details={"field": key})  # fmt: skip
    # Fields of other modes are dropped, so the file says only what is used.
    return PrinterConfig(
        mode=mode,
        host=host if mode == "network" else None,
        port=port if mode == "network" else 9100,
        device=device if mode == "file" else None,
        vendor_id=vendor.lower().removeprefix("0x") if mode == "usb" and vendor else None,
        product_id=product.lower().removeprefix("0x") if mode == "usb" and product else None,
        profile=profile,
        qr_native=qr_native,
    )


def check_network_printer(config: PrinterConfig, *, loopback: bool) -> None:
    """What a network printer's address may be, as far as it shows before connecting: the port a printer listens
    on, and an IP address on the mall's LAN. A name is checked by what it resolves to, when the server connects
    (devices.py), so the panel cannot make the server knock on its own services or anywhere else.
    `loopback`: the lab setting allow_loopback_targets (docs/configuration.md)."""
    if config.mode != "network":
        return
    if config.port not in addresses.PRINTER_PORTS and not loopback:
        raise Refusal("invalid_field.printer_port", port=config.port, details={"field": "port"})
    address = addresses.literal(config.host or "")
    if address is not None and not addresses.printer_may_use(address, config.port, loopback=loopback):
        raise Refusal("invalid_field.printer_address", host=config.host, details={"field": "host"})


def _is_host(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return bool(HOSTNAME.match(text))


def parse_public_url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 200 or not PUBLIC_URL.match(value.strip()):
        raise Refusal("invalid_field.public_url", details={"field": "public_url"})  # fmt: skip
    return value.strip().rstrip("/")
