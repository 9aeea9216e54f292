"""The citizen's phone: /t/{token}, reached from the QR code on the ticket. It shows the ticket's public status
(number, service, place in the queue, wait, counter when called): nothing personal, since the ticket holds nothing
personal and the priority group is never sent to the public."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from queue_server.web.kit import ctx_of, public_status

from .common import lang_of, not_found, pages, settings_of, wifi_of


async def ticket_page(request: Request) -> Response:
    ctx = ctx_of(request)
    token = request.path_params["token"]
    ticket = await ctx.storage.ticket_by_token(token)
    if ticket is not None and ticket.site in ctx.left_out:
        raise ctx.not_hosted(ticket.site)  # its mall left out at start-up: said as such, not "unknown ticket"
    if ticket is None or ticket.site not in ctx.sites:
        return not_found(request, "ticket")
    site = ctx.sites[ticket.site]
    lang = lang_of(request)
    config = {
        "lang": lang,
        "text": pages.texts(),
        "token": token,
        "site": {"id": site.id, "name": site.name, "timezone": site.timezone},
        # each counter's name and, in a mall of several floors, its floor (a call names both)
        "counters": {c.id: {"name": c.name, "zone": site.counter_zone(c.id)} for c in site.counters.values()},
        "status": public_status(ctx, ticket),
        "refresh_seconds": settings_of(request).status_refresh_seconds,
        # a phone that left a mobile unit's Wi-Fi (no internet there) for mobile data is asked to go back to it
        "wifi": wifi_of(site, password=False),
    }
    return pages.render(request, "ticket.html", site=site, config=config, status=config["status"], lang=lang,
                        t=pages.texts()[lang])  # fmt: skip
