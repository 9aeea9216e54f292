"""The 80 mm ticket for the browser's print (kiosks in "browser" mode, the staff desk): the same slip as ESC/POS,
laid out with @page { size: 80mm ... }. Holding the ticket's token is the authority, as for /t/{token}."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from queue_server.web.kit import ctx_of

from .common import not_found, pages
from .printing.slip import slip_for
from .qr import follow_url, qr_inline


async def print_page(request: Request) -> Response:
    ctx = ctx_of(request)
    token = request.path_params["token"]
    ticket = await ctx.storage.ticket_by_token(token)
    if ticket is None or ticket.site not in ctx.sites:
        return not_found(request, "ticket")
    url = await follow_url(request, ticket.site, token)
    lang = request.query_params.get("lang", "id")  # the language the citizen chose at the kiosk
    slip = slip_for(ctx, ticket, url, lang)
    return pages.render(request, "print.html", slip=slip, qr=qr_inline(url, scale=4), t=pages.texts()[slip.lang])
