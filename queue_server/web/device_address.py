"""The address a new TV or kiosk opens, as the Settings page shows it once with its token: where this server is
reached on the mall's LAN, never the admin's own browser address (an admin working on the server machine at
http://127.0.0.1:8000 was shown a link no TV can open; an outside review). The same choice as `queue-server device
add` (cli.server_address), from what this process knows: the host it is bound to and the port it listens on.

- bound to every address (0.0.0.0): this machine's LAN address (the default route's), its other networks' listed;
- bound to one address: that one;
- bound to loopback only (a reverse proxy in front) or no network yet: the site's public address if one is
  configured (notify.public_url) and is not itself on loopback, else the loopback address, said plainly to be out
  of a TV's reach.

The link also comes as a QR code (segno, as the kiosk's tickets), for a phone or tablet used as a kiosk."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

import segno

from queue_server.common import messages
from queue_server.common.lan import lan_addresses
from queue_server.domain.catalogue import Site
from queue_server.settings.config import Config

LOOPBACK = ("127.0.0.1", "localhost", "::1")
EVERYWHERE = ("0.0.0.0", "::", "")  # noqa: S104 - naming, not binding


def reach(config: Config, site: Site, port: int) -> dict[str, Any]:
    """`base` (scheme, host and port), `kind` (lan, bound, public, loopback) and what it rests on, in both
    languages."""
    host, public = config.host, site.notify.public_url
    if public and urlsplit(public).hostname in LOOPBACK:
        public = None  # a public address on loopback (the demo's) is no way in for a TV either
    params: dict[str, Any] = {"port": port, "host": host}
    if host in EVERYWHERE:
        addresses = lan_addresses()
        if addresses:
            params |= {"address": addresses[0], "others": ", ".join(addresses[1:])}
            kind = "lan_others" if len(addresses) > 1 else "lan"
            return _said(f"http://{addresses[0]}:{port}", kind, params)
        kind = "no_network"
    elif host not in LOOPBACK:
        return _said(f"http://{host}:{port}", "bound", params)
    else:
        kind = "loopback"
    if public:
        return _said(public, f"{kind}_public", {**params, "public": public})
    return _said(f"http://127.0.0.1:{port}", kind, params)


def _said(base: str, kind: str, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "base": base,
        "kind": kind,
        "reachable": kind not in ("loopback", "no_network"),
        "message": messages.text("device_address", kind, "id", params),
        "message_en": messages.text("device_address", kind, "en", params),
    }


def qr_svg(address: str) -> str:
    """The address as a QR code, an SVG that scales to its box (error correction M, never a Micro QR)."""
    out = io.BytesIO()
    segno.make_qr(address, error="m").save(
        out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, omitsize=True, title=None, desc=None, unit=None
    )
    return out.getvalue().decode()
