"""The page a person's browser gets where there is no page: an address this server has none at (404), one a browser
cannot open (405: a GET of an address that only takes a POST), a mall this server does not know. One template for
all of them (templates/error.html), the server's own CSS, Indonesian first then English, and links a person can use.

Who meets it: a citizen following an old QR or a printed link, a member of staff who typed an address. So the links
are the pages of the mall the address names, where this server has that mall (booking for the citizen; counter,
desk and dashboard for staff; never the kiosk, which is a device's page, not a person's), and the server's list of
pages (`GET /`, public already). A mall the server does not have gets no list of the others: the page names none.

An API client (a path under /api/, or a request that does not ask for HTML: a script, `fetch`, a websocket) keeps
the JSON error of docs/api.md; only a browser's page request gets this page (`a_person_asks`)."""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from queue_server.domain.catalogue import Site
from queue_server.web.pages import Pages
from queue_server.web.requests import server_of

pages = Pages(Path(__file__).parent / "templates")

SHOWN_PATH = 200  # characters of the address asked for that the page repeats


def a_person_asks(request: Request) -> bool:
    """A browser's page request (not the API, not a script): it wants a page it can read, not JSON. A browser's
    navigation sends `Accept: text/html,...`; `fetch` and the API's clients send `*/*` or `application/json`."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def mall_named(request: Request) -> Site | None:
    """The mall this server has that the address names where every page's address has it, after the page's name
    (/supervisor/tegal/nosuch, and the mistyped /kios/tegal: tegal), if any."""
    parts = request.url.path.split("/")
    if len(parts) > 2:
        site: Site | None = server_of(request.app).sites.get(parts[2])
        return site
    return None


def _mall_links(request: Request, site: Site) -> list[tuple[str, str, str]]:
    """(Indonesian, English, address) of the mall's pages a person opens; a mall only mirrored here: its dashboard
    (its booking, counters and desk are at the mall's own server)."""
    state = server_of(request.app).ctx
    mirrored = state is not None and state.state(site.id).mirrored
    t, t_en = pages.texts()["id"], pages.texts()["en"]
    named = [("link_booking", f"/booking/{site.id}"), ("link_counter", f"/counter/{site.id}"),
             ("link_desk", f"/desk/{site.id}"), ("link_supervisor", f"/supervisor/{site.id}")]  # fmt: skip
    return [(t[key], t_en[key], path) for key, path in named if not mirrored or key == "link_supervisor"]


def _said(sentence: str, path: str, mall: str) -> Markup:
    """A sentence of text.toml with the address (and the mall's id) put in, escaped: they are what someone typed."""
    shown = Markup("<code>{}</code>")
    return escape(sentence).format(path=shown.format(path[:SHOWN_PATH]), mall=shown.format(mall[:SHOWN_PATH]))


def error_page(request: Request, status: int, *, unknown_mall: str | None = None, links: bool = True) -> HTMLResponse:
    """The page for `status` (404 or 405) at the address asked for. `unknown_mall`: the mall id of a page's address
    that this server does not have (the page says so, and names no other mall). `links` False: a kiosk's or a survey
    tablet's address, which a citizen may be standing at; it must not send them wandering."""
    kind = "unknown_mall" if unknown_mall is not None else "method" if status == 405 else "not_found"
    site = mall_named(request) if unknown_mall is None else None
    listed = (_mall_links(request, site) if site is not None else []) if links else []
    t, t_en = pages.texts()["id"], pages.texts()["en"]
    path, mall = request.url.path, unknown_mall or ""
    return pages.render(
        request, "error.html", status, status=status, t=t, t_en=t_en, kind=kind, site=site, links=listed, home=links,
        said=_said(t[f"{kind}_said"], path, mall), said_en=_said(t_en[f"{kind}_said"], path, mall),
    )  # fmt: skip
