"""The front-office desk page, /desk/{site}: staff sign in, pick a service and (when it applies) a priority group,
issue the ticket through the API (channel "desk") and print it on the desk's printer through the browser."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from queue_server.web.kit import sites_of

from .common import lang_of, not_found, page_config, pages


async def desk_page(request: Request) -> Response:
    site = sites_of(request).get(request.path_params["site"])
    if site is None:
        return not_found(request, "desk")
    config = page_config(site, lang_of(request))
    return pages.render(request, "desk.html", site=site, config=config, lang=config["lang"],
                        t=config["text"][config["lang"]])  # fmt: skip
