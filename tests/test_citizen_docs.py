"""docs/citizen.md kept honest: every route and every error code of the citizen package is in it."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.routing import Route

from citizen.web import ROUTES

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "citizen.md").read_text()


def test_every_citizen_route_is_documented() -> None:
    for route in ROUTES:
        if isinstance(route, Route):
            assert f"`{route.path}" in DOC or f"{route.path}`" in DOC, f"{route.path} missing from docs/citizen.md"
            for method in sorted((route.methods or set()) - {"HEAD", "GET"}):
                assert f"`{method} {route.path}`" in DOC, f"{method} {route.path} missing from docs/citizen.md"


def test_every_citizen_error_code_is_documented() -> None:
    pattern = re.compile(r'Refusal\(\s*"([a-z_]+)[."]')
    codes = {
        next(g for g in match.groups() if g)
        for path in (ROOT / "citizen").rglob("*.py")
        for match in pattern.finditer(path.read_text())
    }
    assert {"printer_fault", "not_a_kiosk", "not_an_escpos_printer"} <= codes
    missing = sorted(code for code in codes if f"`{code}`" not in DOC)
    assert not missing, f"error codes missing from docs/citizen.md: {missing}"
