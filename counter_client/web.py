"""Routes of the operator web page: /counter/{site}/{counter}. The page signs in with the operator's account and
then works over the websocket like the Python client; everything it loads is served from /static/counter.

The catalogue the page needs (its counter, the services it serves, every service it may transfer to, the agencies'
names and colours) is embedded in the page and served alone at /counter/{site}/{counter}/config, by the same
function: the page reads it again when the site's configuration changes (`site.configured`), without a reload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from queue_server.web.kit import JSONResponse, Pages, Refusal, Site, error_page, sites_of

HERE = Path(__file__).parent
pages = Pages(HERE / "templates")


def counter_config(site: Site, counter_id: str) -> dict[str, Any]:
    """The public catalogue as this counter's page uses it. Nothing live, nothing personal."""
    counter = site.counters[counter_id]
    return {
        "site": {"id": site.id, "name": site.name, "timezone": site.timezone},
        "counter": {
            "id": counter.id,
            "name": counter.name,
            "agency": counter.agency,
            "services": list(counter.services),
        },
        # every counter's name: a ticket parked at another counter says where
        "counters": [{"id": c.id, "name": c.name} for c in site.counters.values()],
        "agencies": [
            {"id": a.id, "name": a.name, "short_name": a.short_name, "colour": a.colour} for a in site.agencies.values()
        ],
        "services": [
            {"id": s.id, "name": s.name, "prefix": s.prefix, "agency": s.agency} for s in site.services.values()
        ],
    }


async def counter_page(request: Request) -> Response:
    sites = sites_of(request)
    site = sites.get(request.path_params["site"])
    counter = site.counters.get(request.path_params["counter"]) if site else None
    if site is None:  # the server's error page, which names no other mall
        return error_page(request, 404, unknown_mall=request.path_params["site"])
    if counter is None:  # the picker of this mall's counters
        known = [(f"/counter/{site.id}/{c.id}", f"{site.name} · {c.name}") for c in site.counters.values()]
        return pages.render(request, "counter_not_found.html", 404, known=known)
    services = [site.services[s] for s in counter.services]
    agency = site.agencies[counter.agency]
    config = counter_config(site, counter.id)
    return pages.render(
        request, "counter.html", site=site, counter=counter, services=services, agency=agency, config=config
    )


async def counter_picker(request: Request) -> Response:
    """/counter/{site}: the site's counters to pick from (an unknown site: the server's error page, 404)."""
    site = sites_of(request).get(request.path_params["site"])
    if site is None:
        return error_page(request, 404, unknown_mall=request.path_params["site"])
    known = [(f"/counter/{site.id}/{c.id}", f"{site.name} · {c.name}") for c in site.counters.values()]
    return pages.render(request, "counter_not_found.html", known=known, found=True)


async def counter_config_route(request: Request) -> Response:
    """The page's config alone; a counter removed from the site answers 404 `unknown_counter`, which the page says."""
    site = sites_of(request).get(request.path_params["site"])
    if site is None:
        raise Refusal("unknown_site", site_id=request.path_params["site"])
    counter_id = request.path_params["counter"]
    if counter_id not in site.counters:
        raise Refusal("unknown_counter", counter_id=counter_id, site=site.name, details={"counter": counter_id})
    return JSONResponse(counter_config(site, counter_id), headers={"Cache-Control": "no-store"})


ROUTES: list[BaseRoute] = [
    Route("/counter/{site}", counter_picker, methods=["GET"]),
    Route("/counter/{site}/{counter}", counter_page, methods=["GET"]),
    Route("/counter/{site}/{counter}/config", counter_config_route, methods=["GET"]),
    Mount("/static/counter", StaticFiles(directory=HERE / "static"), name="counter-static"),
]
