"""The evening try-out's switch is not forgotten: while the configuration lets tickets be taken outside opening hours
(`enforce_hours = false`, Settings' "Tolak tiket di luar jam buka" unticked), every dashboard shows an alert saying
what it means and where to switch it back, the Settings page says it beside the switch and the national view marks
the mall; switched back on, all of it goes, live. Against a real server, the dashboard in Chromium (axe clean)."""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser

from queue_server.supervision import national

from .display_support import until
from .helpers import Server, running_server
from .test_accessibility import need_axe
from .test_supervisor_a11y import CONNECTED, opened
from .test_supervisor_phone_tables import axe_clean

CONFIGURATION = "/api/v1/sites/tegal/configuration"
DASHBOARD = "/api/v1/sites/tegal/dashboard"
WAIT = 30_000  # ms: a busy machine runs axe and two pages meanwhile; what is asserted is what they end up showing
SAID_ID = "Aktifkan lagi 'Tolak tiket di luar jam buka' di Pengaturan > Situs & layar."
SAID_EN = "Turn 'Refuse tickets outside opening hours' back on in Settings > Site & screens."


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    # The demo's own `ignore_hours` is the server's, not the site's switch: it raises nothing (first assertions).
    async with running_server(tmp_path / "queue.sqlite3", ignore_hours=True, dashboard_seconds=0.3) as s:
        yield s


async def switch(server: Server, on: bool) -> None:
    """Sets the site's "Tolak tiket di luar jam buka" as the Settings page saves it (PUT .../configuration)."""
    admin = await server.login("admin")
    current = (await server.http.get(CONFIGURATION, headers=admin)).json()
    document = copy.deepcopy(current["document"])
    document["site"]["enforce_hours"] = on
    r = await server.http.put(CONFIGURATION, json={"version": current["version"], "document": document}, headers=admin)
    assert r.status_code == 200, r.text


async def alerts_of(server: Server, agency: str | None = None) -> dict[str, dict[str, Any]]:
    params = {"agency": agency} if agency else {}
    r = await server.http.get(DASHBOARD, params=params, headers=await server.login("supervisor"))
    assert r.status_code == 200, r.text
    return {alert["id"]: alert for alert in r.json()["alerts"]}


async def national_row(server: Server) -> tuple[dict[str, Any], dict[str, Any]]:
    r = await server.http.get("/api/v1/national", headers=await server.login("nasional"))
    assert r.status_code == 200, r.text
    view = r.json()
    return next(row for row in view["sites"] if row["site"] == "tegal"), view


async def test_the_switch_left_off_is_an_alert_on_every_dashboard_and_the_national_row_until_it_is_on(
    server: Server,
) -> None:
    assert "hours_not_enforced" not in await alerts_of(server)
    row, _ = await national_row(server)
    assert row["hours_not_enforced"] is None

    await switch(server, False)
    assert server.ctx.sites["tegal"].enforce_hours is False
    alert = (await alerts_of(server))["hours_not_enforced"]
    assert alert["kind"] == "hours_not_enforced" and alert["agencies"] == []
    assert alert["message"].startswith("Tiket tetap dapat diambil di luar jam buka (uji coba?)")
    assert alert["message"].endswith(SAID_ID) and alert["message_en"].endswith(SAID_EN)
    # an agency's dashboard too: its own kiosk tiles issue at night
    assert "hours_not_enforced" in await alerts_of(server, "disdukcapil")
    row, view = await national_row(server)
    assert row["hours_not_enforced"] == {"message": alert["message"], "message_en": alert["message_en"]}
    assert view["totals"]["hours_not_enforced"] == 1
    lines = list(csv.DictReader(io.StringIO(national.to_csv(view))))
    assert [line["hours_not_enforced"] for line in lines] == ["1", "1"], "the mall's 1, the totals' count"

    await switch(server, True)
    assert "hours_not_enforced" not in await alerts_of(server)
    row, view = await national_row(server)
    assert row["hours_not_enforced"] is None and view["totals"]["hours_not_enforced"] == 0


async def test_the_dashboard_shows_the_alert_live_and_drops_it_when_settings_switch_it_back(
    browser: Browser, server: Server
) -> None:
    need_axe()
    alert = "() => document.querySelector('[data-alert=hours_not_enforced]')?.textContent ?? ''"
    async with opened(browser, server, "/supervisor/tegal", ready=CONNECTED, bypass_csp=True) as dashboard:
        await until(dashboard, "() => document.querySelector('.alert') !== null", timeout_ms=WAIT)
        assert await dashboard.evaluate(alert) == ""
        await switch(server, False)
        await until(dashboard, f"() => ({alert})().includes({SAID_ID!r})", timeout_ms=WAIT)
        said = await dashboard.evaluate(alert)
        assert said.startswith("Jam buka: Tiket tetap dapat diambil di luar jam buka"), said
        await axe_clean(dashboard, "dashboard with the alert")

        # The Settings page says it beside the switch; ticked again there, the dashboard drops the alert, no reload.
        async with opened(browser, server, "/supervisor/tegal/admin", user="admin", bypass_csp=True) as settings:
            await settings.click("[data-tab=site]")
            beside = "() => document.getElementById('site-enforce-hours')?.textContent ?? ''"
            await until(settings, f"() => ({beside})().includes('Untuk uji coba saja')", timeout_ms=WAIT)
            assert (await settings.evaluate(beside)).startswith("Tidak · Tiket tetap dapat diambil di luar jam buka")
            await axe_clean(settings, "Settings, the switch off")
            await settings.click("#edit-site")
            await settings.check("#f-enforce_hours")
            await settings.click("#editor-save")
            await until(settings, f"() => ({beside})() === 'Ya'", timeout_ms=WAIT)
        await until(dashboard, f"() => ({alert})() === ''", timeout_ms=WAIT)
        assert server.ctx.sites["tegal"].enforce_hours is False, "the demo server's own ignore_hours still holds"
