"""Settings that staff change from a kiosk's panel: each kiosk's printer, by its device id, and each site's public
address for QR codes. The server keeps them in its database (`Context.kiosk_settings`, migration 0030), so a backup
holds them and every server process sees one setting; this package checks a printer's fields on the way in and on
the way out (a setting made by an older release, or by hand, may no longer pass)."""

from __future__ import annotations

import logging

from starlette.requests import Request

from queue_server.web.kit import Context, Refusal, ctx_of

from .printing.config import PrinterConfig

log = logging.getLogger(__name__)


class CitizenStore:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.settings = ctx.kiosk_settings

    async def printer(self, device_id: int) -> PrinterConfig:
        raw = await self.settings.printer(device_id)
        if raw is None:
            return PrinterConfig()
        try:
            return PrinterConfig.from_dict(raw)
        except Refusal:
            log.warning("printer of kiosk %s is invalid; using the browser's printing", device_id)
            return PrinterConfig()

    async def public_url(self, site_id: str) -> str | None:
        return await self.settings.public_url(site_id)

    async def save(self, device_id: int, printer: PrinterConfig, site_id: str, public_url: str | None, by: str) -> None:
        await self.settings.save(device_id, site_id, printer.to_dict(), public_url, self.ctx.now(), by)


def store_of(request: Request) -> CitizenStore:
    return CitizenStore(ctx_of(request))
