"""Routes of the operator web page (filled in by the counter client)."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
