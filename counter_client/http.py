"""The two HTTP calls a counter needs before its websocket: sign in, and read the site's catalogue.

Plain urllib in a worker thread: two requests per start-up do not justify another run-time dependency.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

TIMEOUT = 10.0
# The server is on the mall's LAN: never go through an HTTP proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class HttpRefused(Exception):
    """The server said no (or could not be reached); `body` has code, message (Indonesian) and message_en."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message_en") or body.get("code"))
        self.status = status
        self.body = body

    @property
    def code(self) -> str:
        return str(self.body.get("code"))


@dataclass(frozen=True)
class Session:
    token: str
    user: dict[str, Any]


def _request(url: str, method: str = "GET", body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - http(s) URL given by the operator
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as response:
            return json.loads(response.read() or b"{}")  # type: ignore[no-any-return]
    except urllib.error.HTTPError as exc:
        with exc:
            try:
                error = json.loads(exc.read()).get("error") or {}
            except ValueError:
                error = {}
        raise HttpRefused(exc.code, error or _unexpected(exc.code)) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HttpRefused(
            0,
            {
                "code": "unreachable",
                "message": f"Server tidak dapat dihubungi ({url}): {reason}",
                "message_en": f"Cannot reach the server ({url}): {reason}",
            },
        ) from None


def _unexpected(status: int) -> dict[str, Any]:
    return {
        "code": "http_error",
        "message": f"Jawaban server tidak terduga (HTTP {status}).",
        "message_en": f"Unexpected answer from the server (HTTP {status}).",
    }


async def login(base_url: str, username: str, password: str) -> Session:
    body = await asyncio.to_thread(
        _request, f"{base_url}/api/v1/auth/login", "POST", {"username": username, "password": password}
    )
    return Session(str(body["token"]), dict(body.get("user") or {}))


async def catalogue(base_url: str, site: str) -> dict[str, Any]:
    """The site's agencies, services and counters (public; what the kiosk shows)."""
    return await asyncio.to_thread(_request, f"{base_url}/api/v1/sites/{quote(site, safe='')}")
