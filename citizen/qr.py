"""QR codes drawn on the server with segno, as SVG: no script library in the browser, no CDN, and the same code
on the screen, on paper and in the tests."""

from __future__ import annotations

import io
import re

import segno
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from queue_server.web.kit import Refusal, ctx_of, limit_code_lookups

from .store import store_of

BOOKING_CODE = re.compile(r"^BK-[A-Z0-9]{6}$")


def qr_svg(data: str, scale: int = 6) -> str:
    """One SVG document; error correction M survives a crumpled ticket or a scratched screen. Never a Micro QR
    (segno.make picks one for short data such as a booking code): most phones and scanners cannot read it."""
    out = io.BytesIO()
    code = segno.make_qr(data, error="m")
    # omitsize: a viewBox instead of a fixed size, so the code scales to its box on the screen and on paper.
    code.save(out, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True, omitsize=True, title=None, desc=None,
              unit=None)  # fmt: skip
    return out.getvalue().decode()


def qr_inline(data: str, scale: int = 6) -> Markup:
    return Markup(qr_svg(data, scale))  # noqa: S704 - segno's own markup from a URL or code we built


async def base_url(request: Request, site_id: str) -> str:
    """Where a phone reaches this server: the site's public address if staff set one (a kiosk on the server itself
    asks on 127.0.0.1, which no phone can reach), else the address this request came to."""
    return (await store_of(request).public_url(site_id) or str(request.base_url)).rstrip("/")


async def follow_url(request: Request, site_id: str, token: str) -> str:
    return f"{await base_url(request, site_id)}/t/{token}"


def _svg(text: str) -> Response:
    return Response(text, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=86400"})


async def ticket_qr(request: Request) -> Response:
    """The QR of a ticket's follow link. Only for real tickets, so this is not a QR service for anyone's URL."""
    token = request.path_params["token"]
    storage = ctx_of(request).storage
    ticket = await storage.ticket_by_token(token)
    if ticket is None:
        raise Refusal("unknown_ticket")
    return _svg(qr_svg(await follow_url(request, ticket.site, token)))


async def booking_qr(request: Request) -> Response:
    """The QR of a booking code, for the kiosk's scanner (it types the code like a keyboard). Drawn for any code of
    the right form without looking it up: the QR holds only the code's own text, so it tells nothing, and a code that
    exists and one that does not are answered alike (this route told them apart, 200 or 404, with no limit: an
    oracle for guessing the codes that alone cancel a booking). Counted all the same with the other look-ups by code
    of the address (30 a minute)."""
    await limit_code_lookups(request)
    code = request.path_params["code"].upper()
    if not BOOKING_CODE.match(code):
        raise Refusal("unknown_booking", code=code[:12])
    return _svg(qr_svg(code))
