"""Routes of the lobby display pages. The page itself holds no live data; it follows the hall over the websocket
with its device token (given in the URL fragment, which browsers never send to the server or its logs).

What the page gets here is the public catalogue it needs to name things (agencies with their colours, services,
counters, the screen's scope) and its on-screen text, Indonesian first, English with `?lang=en`. The same object is
served alone at /display/{site}/{screen}/config, so a board re-reads it when the site's configuration changes
(`site.configured`) instead of reloading and losing its calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from queue_server.web.kit import (
    Assets,
    JSONResponse,
    Pages,
    Refusal,
    Screen,
    Site,
    error_page,
    readable_pair,
    screen_scope,
    sites_of,
)

HERE = Path(__file__).parent
pages = Pages(HERE / "templates")
LANGUAGES = ("id", "en")


def _agency(name: str, short_name: str, colour: str) -> dict[str, str]:
    tile, ink = readable_pair(colour)
    return {"name": name, "short_name": short_name, "colour": colour, "tile": tile, "ink": ink}


def page_config(site: Site, screen: Screen, lang: str) -> dict[str, Any]:
    """The public catalogue the board needs, with the screen's scope. Nothing here is secret or personal."""
    services, counters = screen_scope(site, screen)
    floors = {c.zone for c in site.counters.values() if c.zone and (counters is None or c.id in counters)}
    return {
        "lang": lang,
        "text": pages.texts()[lang],
        "site": {"id": site.id, "name": site.name, "timezone": site.timezone, "running_text": site.running_text},
        "screen": {"id": screen.id, "name": screen.name, "speaker": screen.speaker},
        # Each agency drawn as the kiosk draws it: its colour, darkened where neither ink reaches 4.5:1.
        "agencies": {a.id: _agency(a.name, a.short_name, a.colour) for a in site.agencies.values()},
        # Every service and counter (a call may name one outside the scope); the scope decides the tiles.
        "services": {s.id: {"name": s.name, "prefix": s.prefix, "agency": s.agency} for s in site.services.values()},
        "counters": {c.id: {"name": c.name, "agency": c.agency, "zone": c.zone} for c in site.counters.values()},
        "scope": {
            "counters": [c for c in site.counters if counters is None or c in counters],
            "services": [s for s in site.services if services is None or s in services],
        },
        # An unfiltered screen's websocket follows the whole site, so a counter added later reaches it as it is;
        # a filtered one follows the scope it had at its hello and must ask again when the scope changes.
        "whole_site": services is None and counters is None,
        # A screen over several floors shows and says where a counter is ("Loket 9 · Lantai 2").
        "multi_floor": len(floors) > 1,
    }


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang", "id")
    return lang if lang in LANGUAGES else "id"


async def display_page(request: Request) -> Response:
    sites = sites_of(request)
    lang = _lang(request)
    site = sites.get(request.path_params["site"])
    screen = site.screens.get(request.path_params["screen"]) if site else None
    if site is None:  # the server's error page, which names no other mall
        return error_page(request, 404, unknown_mall=request.path_params["site"])
    if screen is None:  # the screens of this mall, for whoever sets up the TV to find the right address
        known = [f"/display/{site.id}/{sc}" for sc in site.screens]
        text = pages.texts()
        return pages.render(request, "not_found.html", 404, known=known, t=text["id"], t_en=text["en"])
    config = page_config(site, screen, lang)
    return pages.render(request, "display.html", site=site, screen=screen, lang=lang, t=config["text"], config=config)


async def device_start_page(request: Request) -> Response:
    """/perangkat, the one start address of any new TV or kiosk: a pairing code of no mall until one pairs it
    (js/device-start.js). The same for every mall on this server, so a technician types one short address."""
    lang = _lang(request)
    other = "en" if lang == "id" else "id"
    text = pages.texts()
    return pages.render(request, "device_start.html", lang=lang, other=other, t=text[lang], t_other=text[other])


async def device_start_redirect(request: Request) -> Response:
    """/device: the English name of the start address, kept as one place (/perangkat) with its ?lang=."""
    query = request.url.query
    return RedirectResponse("/perangkat" + (f"?{query}" if query else ""), status_code=307)


async def display_config(request: Request) -> Response:
    """The board's config as the page embeds it, built by the same function, read again after `site.configured`."""
    site = sites_of(request).get(request.path_params["site"])
    if site is None:
        raise Refusal("unknown_site", site_id=request.path_params["site"])
    screen = site.screens.get(request.path_params["screen"])
    if screen is None:
        raise Refusal("unknown_screen", screen=request.path_params["screen"], site=site.name)
    return JSONResponse(page_config(site, screen, _lang(request)), headers={"Cache-Control": "no-store"})


ROUTES: list[BaseRoute] = [
    Route("/perangkat", device_start_page, methods=["GET"]),
    Route("/device", device_start_redirect, methods=["GET"]),
    Route("/display/{site}/{screen}", display_page, methods=["GET"]),
    Route("/display/{site}/{screen}/config", display_config, methods=["GET"]),
    Mount("/static/display", Assets(directory=HERE / "static"), name="display-static"),
]
