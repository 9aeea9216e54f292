"""What every citizen page shares: one Jinja2 setup, the sentences in both languages, the public catalogue a page
needs to name things, and the settings a deployment (or a test) may change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from queue_server.web.kit import PRIORITY_GROUPS, Pages, Site, error_page

HERE = Path(__file__).parent
pages = Pages(HERE / "templates")
LANGUAGES = ("id", "en")
T = TypeVar("T")


@dataclass(frozen=True)
class CitizenSettings:
    """Timings of the pages. A test may put its own on `app.state.citizen_settings`."""

    idle_seconds: int = 60  # a kiosk screen left untouched goes back to the start
    ticket_seconds: int = 30  # how long a ticket stays on the kiosk screen
    # The kiosk reads its day this often (GET .../today): what no event says (opening hours passing, the messaging
    # gateway's breaker), and everything while its websocket is down; what an event changes comes over the socket.
    kiosk_poll_seconds: int = 15
    # The front-office desk reads its day, its configuration and the pauses this often: while its websocket is down
    # (and for what no event says: opening hours passing, the gateway's breaker); events come over the socket.
    desk_poll_seconds: int = 15
    # The server pushes the phone a `status` frame whenever its place in the line changes; the page also re-reads
    # it this often while waiting, as a safety net (an estimate can move with no event, e.g. as service times age).
    status_refresh_seconds: int = 60
    print_timeout_seconds: float = 5.0  # an ESC/POS printer that does not answer within this is at fault


def settings_of(request: Request) -> CitizenSettings:
    value = getattr(request.app.state, "citizen_settings", None)
    return value if isinstance(value, CitizenSettings) else CitizenSettings()


def app_value(request: Request, name: str, factory: Callable[[], T]) -> T:
    """Something this package keeps once per application (stores, locks), made on first use: the app is built
    by queue_server.app, which does not know this package."""
    state = request.app.state
    value = getattr(state, name, None)
    if value is None:
        value = factory()
        setattr(state, name, value)
    return value


def lang_of(request: Request) -> str:
    lang = request.query_params.get("lang", "id")
    return lang if lang in LANGUAGES else "id"


def priority_groups() -> list[dict[str, str]]:
    return [{"id": key, "id_label": ind, "en_label": eng} for key, (ind, eng) in PRIORITY_GROUPS.items()]


def catalogue(site: Site) -> dict[str, Any]:
    """Agencies with their services, as public as GET /api/v1/sites/{site}: names and colours, nothing live."""
    return {
        "site": {"id": site.id, "name": site.name, "timezone": site.timezone},
        "agencies": [
            {
                "id": a.id,
                "name": a.name,
                "short_name": a.short_name,
                "colour": a.colour,
                "services": [
                    {"id": s.id, "name": s.name, "prefix": s.prefix, "online": s.online_quota > 0}
                    for s in site.services.values()
                    if s.agency == a.id
                ],
            }
            for a in site.agencies.values()
        ],
        "priority_groups": priority_groups(),
        "notify": site.notify.offered,  # WhatsApp/SMS messages can be sent: the pages offer to take a number
        "wifi": wifi_of(site),
    }


def wifi_of(site: Site, *, password: bool = True) -> dict[str, str | None] | None:
    """The Wi-Fi a phone joins before the QR's link opens (a mobile unit's box without internet), as the slip says it;
    None where phones reach the server anyway. `password`: for a page that asks someone to join it (the kiosk); a
    phone already on it needs only the name."""
    if site.wifi is None:
        return None
    return {"name": site.wifi.name, "password": site.wifi.password if password else None}


def page_config(site: Site, lang: str, **extra: Any) -> dict[str, Any]:
    return {"lang": lang, "text": pages.texts(), **catalogue(site), **extra}


def not_found(request: Request, what: str) -> Response:
    """A ticket's or a booking's page whose token or code is not known: said in both languages, no links."""
    return pages.render(request, "not_found.html", 404, what=what, t=pages.texts()["id"], t_en=pages.texts()["en"])


def unknown_mall(request: Request, *, links: bool = True) -> Response:
    """A page's address naming a mall this server does not have: the server's error page, which names no other mall
    (`links` False for a kiosk's address, where a citizen may stand: kiosks must not wander)."""
    return error_page(request, 404, unknown_mall=request.path_params["site"], links=links)


def too_many(request: Request) -> Response:
    """The page for an address past its look-ups by code (429), in both languages: wait a minute, then the same page
    again (it was the API's JSON error, shown raw in a citizen's browser). Citizens behind one carrier NAT or the
    mall's Wi-Fi share the limit, so it says that too."""
    response = pages.render(request, "too_many.html", 429, again=request.url.path, t=pages.texts()["id"],
                            t_en=pages.texts()["en"])  # fmt: skip
    response.headers["Retry-After"] = "60"
    return response
