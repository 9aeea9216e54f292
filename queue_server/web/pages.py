"""Shared helpers for the server-rendered pages (display/, counter_client/ ...): one Jinja2 setup, local assets."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope


class Pages:
    """Renders one package's templates. Every asset is served by this server: the mall's LAN may have no internet."""

    def __init__(self, template_dir: Path) -> None:
        self.template_dir = template_dir
        self.env = Environment(loader=FileSystemLoader(template_dir), autoescape=select_autoescape(["html"]))
        self._texts: dict[str, dict[str, str]] | None = None

    def texts(self) -> dict[str, dict[str, str]]:
        """Every sentence of the package's pages, per language (templates/text.toml), read once."""
        if self._texts is None:
            with (self.template_dir / "text.toml").open("rb") as f:
                self._texts = tomllib.load(f)
        return self._texts

    def render(self, request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(request=request, **context)
        return HTMLResponse(html, status_code=status_code, headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
                                       "style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:",
            "X-Content-Type-Options": "nosniff",
        })  # fmt: skip


class Assets(StaticFiles):
    """A page's CSS and JS. `no-cache` makes a browser revalidate (a cheap 304), so an upgrade reaches a TV or a
    kiosk on its next load."""

    def file_response(self, full_path: Any, stat_result: Any, scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        return response
