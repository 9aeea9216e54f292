"""Routes of the lobby display pages. The page itself holds no data; it follows the hall over the websocket
with its device token (given in the URL fragment, which browsers never send to the server or its logs)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from queue_server.pages import Pages

HERE = Path(__file__).parent
pages = Pages(HERE / "templates")


async def display_page(request: Request) -> Response:
    sites = request.app.state.sites
    site = sites.get(request.path_params["site"])
    screen = site.screens.get(request.path_params["screen"]) if site else None
    if site is None or screen is None:
        known = [f"/display/{s.id}/{sc}" for s in sites.values() for sc in s.screens]
        return pages.render(request, "not_found.html", 404, known=known)
    return pages.render(request, "display.html", site=site, screen=screen)


ROUTES: list[BaseRoute] = [
    Route("/display/{site}/{screen}", display_page, methods=["GET"]),
    Mount("/static/display", StaticFiles(directory=HERE / "static"), name="display-static"),
]
