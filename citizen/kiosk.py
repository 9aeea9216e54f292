"""The self-service kiosk page, /kiosk/{site}#token=<kiosk device token>. The page holds the public catalogue; its
device token (in the URL fragment, which browsers never send to a server or its logs) issues tickets.

/kiosk/{site}/config serves the same catalogue alone, from the same builder: the kiosk reads it again when the
site's `configuration_version` changes and redraws its tiles on the start screen, without a reload."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from queue_server.web.kit import NEAR_BLACK, WHITE, JSONResponse, Refusal, Site, channels, contrast, luminance, sites_of

from .common import lang_of, not_found, page_config, pages, settings_of


def _tile(colour: str) -> tuple[str, str]:
    """A tile's background and text: the agency's colour with black or white text, whichever reads better; a
    mid-tone colour on which neither reaches 4.5:1 (WCAG AA for the tile's small text) is darkened, step by step,
    until white does: the tile keeps its hue and every word on it stays readable."""
    try:
        r, g, b = channels(colour)
    except ValueError:
        return "#1f4e79", "#ffffff"
    for step in range(0, 20):
        shade = (r * (1 - step / 20), g * (1 - step / 20), b * (1 - step / 20))
        lum = luminance(shade)
        on_dark, on_white = contrast(lum, NEAR_BLACK), contrast(lum, WHITE)
        if step == 0 and on_dark >= 4.5 and on_dark > on_white:
            return colour, "#111111"
        if on_white >= 4.5:
            return "#" + "".join(f"{round(c * 255):02x}" for c in shade), "#ffffff"
    return "#000000", "#ffffff"


def kiosk_config(request: Request, site: Site) -> dict[str, Any]:
    settings = settings_of(request)
    config = page_config(site, lang_of(request), idle_seconds=settings.idle_seconds,
                         ticket_seconds=settings.ticket_seconds)  # fmt: skip
    for agency in config["agencies"]:
        agency["tile"], agency["ink"] = _tile(agency["colour"])
    return config


async def kiosk_page(request: Request) -> Response:
    site = sites_of(request).get(request.path_params["site"])
    if site is None:
        return not_found(request, "kiosk")
    config = kiosk_config(request, site)
    return pages.render(request, "kiosk.html", site=site, config=config, lang=config["lang"],
                        t=config["text"][config["lang"]])  # fmt: skip


async def kiosk_config_route(request: Request) -> Response:
    """The kiosk's config as its page embeds it: public, no token needed (the page itself is public)."""
    site = sites_of(request).get(request.path_params["site"])
    if site is None:
        raise Refusal("unknown_site", site_id=request.path_params["site"])
    return JSONResponse(kiosk_config(request, site), headers={"Cache-Control": "no-store"})
