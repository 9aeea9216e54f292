"""The self-service kiosk page, /kiosk/{site}#token=<kiosk device token>. The page holds the public catalogue; its
device token (in the URL fragment, which browsers never send to a server or its logs) issues tickets.

/kiosk/{site}/config serves the same catalogue alone, from the same builder: the kiosk reads it again when the
site's `configuration_version` changes and redraws its tiles on the start screen, without a reload."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from queue_server.web.kit import JSONResponse, Refusal, Site, ctx_of, readable_pair, sites_of

from .common import lang_of, page_config, pages, settings_of, unknown_mall


def kiosk_config(request: Request, site: Site) -> dict[str, Any]:
    settings = settings_of(request)
    config = page_config(site, lang_of(request), idle_seconds=settings.idle_seconds,
                         ticket_seconds=settings.ticket_seconds, poll_seconds=settings.kiosk_poll_seconds)  # fmt: skip
    for agency in config["agencies"]:
        agency["tile"], agency["ink"] = readable_pair(agency["colour"])  # the same pair as the lobby TV
        # A service no counter serves issues nothing (service_not_served): the kiosk does not offer it, nor an
        # agency left with nothing to offer.
        agency["services"] = [s for s in agency["services"] if site.counters_serving(s["id"])]
    config["agencies"] = [agency for agency in config["agencies"] if agency["services"]]
    # "Lapor hadir" on the first paint as the day's answer (GET .../today `check_in`) will say it
    ctx = ctx_of(request)
    config["check_in"] = ctx.state(site.id).check_in_offered(ctx.today(site))
    return config


async def kiosk_page(request: Request) -> Response:
    site = sites_of(request).get(request.path_params["site"])
    if site is None:
        return unknown_mall(request, links=False)
    config = kiosk_config(request, site)
    return pages.render(request, "kiosk.html", site=site, config=config, lang=config["lang"],
                        t=config["text"][config["lang"]])  # fmt: skip


async def kiosk_config_route(request: Request) -> Response:
    """The kiosk's config as its page embeds it: public, no token needed (the page itself is public)."""
    site = sites_of(request).get(request.path_params["site"])
    if site is None:
        raise Refusal("unknown_site", site_id=request.path_params["site"])
    return JSONResponse(kiosk_config(request, site), headers={"Cache-Control": "no-store"})
