"""Routes of the operator web page: /counter/{site}/{counter}. The page signs in with the operator's account and
then works over the websocket like the Python client; everything it loads is served from /static/counter."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from queue_server.web.kit import Pages, sites_of

HERE = Path(__file__).parent
pages = Pages(HERE / "templates")


async def counter_page(request: Request) -> Response:
    sites = sites_of(request)
    site = sites.get(request.path_params["site"])
    counter = site.counters.get(request.path_params["counter"]) if site else None
    if site is None or counter is None:
        known = [
            (f"/counter/{s.id}/{c.id}", f"{s.name} · {c.name}") for s in sites.values() for c in s.counters.values()
        ]
        return pages.render(request, "counter_not_found.html", 404, known=known)
    services = [site.services[s] for s in counter.services]
    agency = site.agencies[counter.agency]
    return pages.render(request, "counter.html", site=site, counter=counter, services=services, agency=agency)


ROUTES: list[BaseRoute] = [
    Route("/counter/{site}/{counter}", counter_page, methods=["GET"]),
    Mount("/static/counter", StaticFiles(directory=HERE / "static"), name="counter-static"),
]
