"""The front-office desk page, /desk/{site}: staff sign in, pick a service and (when it applies) a priority group,
issue the ticket through the API (channel "desk") and print it on the desk's printer through the browser.
/desk/{site}/config serves the page's catalogue alone, so the desk redraws its services when the site's
configuration changes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from queue_server.web.kit import JSONResponse, Refusal, Site, sites_of

from .common import lang_of, page_config, pages, settings_of, unknown_mall


def desk_config(request: Request, site: Site) -> dict[str, Any]:
    return page_config(site, lang_of(request), poll_seconds=settings_of(request).desk_poll_seconds)


async def desk_page(request: Request) -> Response:
    site = sites_of(request).get(request.path_params["site"])
    if site is None:
        return unknown_mall(request)
    config = desk_config(request, site)
    return pages.render(request, "desk.html", site=site, config=config, lang=config["lang"],
                        t=config["text"][config["lang"]])  # fmt: skip


async def desk_config_route(request: Request) -> Response:
    """The desk's config as its page embeds it, read again when the site's configuration changes."""
    site = sites_of(request).get(request.path_params["site"])
    if site is None:
        raise Refusal("unknown_site", site_id=request.path_params["site"])
    return JSONResponse(desk_config(request, site), headers={"Cache-Control": "no-store"})
