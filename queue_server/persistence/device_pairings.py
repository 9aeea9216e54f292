"""The SQL of the short codes that pair a TV or kiosk (migrations 0023, 0024, 0026; application/device_pairing.py
keeps the rules). A code, the device entry it makes (or the entry it gives a new token) and the audit entry that says
so are written in one transaction under the code's lock: two admins typing the same code at once, on one process or
two, or at two malls, pair it once, and the audit log names only the pairing that happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from queue_server.persistence.port import StoragePort, utc_iso


@dataclass(frozen=True)
class Pairing:
    code: str
    token_hash: str
    site: str | None  # None: a code of the start page (/perangkat), any mall's until paired (then its device's)
    created_at: datetime
    expires_at: datetime
    paired_at: datetime | None
    paired_claim: str | None
    paired_device: int | None
    # What the page that asked is (migration 0026): "display" with its screen, or "kiosk"; None: the start page's
    # code (or an earlier release's page's), which pairs as whatever the admin chooses.
    kind: str | None = None
    screen: str | None = None


# A code that may still be paired at a site, as each statement below says it (its parameters: now, the site): not
# paired, not expired, and asked for at that site's page or at the start page (no site).


@dataclass(frozen=True)
class AuditRow:
    """What the `device.pair` entry says besides its target (the device entry, known inside the transaction)."""

    site: str
    actor: str
    role: str
    details: str  # JSON
    seq: int


_COLUMNS = "code, token_hash, site, created_at, expires_at, paired_at, paired_claim, paired_device, kind, screen"


def _pairing(row: tuple[object, ...]) -> Pairing:
    def when(value: object) -> datetime | None:
        return datetime.fromisoformat(str(value)) if value is not None else None

    def text(value: object) -> str | None:
        return str(value) if value is not None else None

    created, expires = when(row[3]), when(row[4])
    assert created is not None and expires is not None
    device = int(str(row[7])) if row[7] is not None else None
    return Pairing(str(row[0]), str(row[1]), text(row[2]), created, expires, when(row[5]), text(row[6]), device,
                   text(row[8]), text(row[9]))  # fmt: skip


class DevicePairingStore:
    def __init__(self, storage: StoragePort) -> None:
        self.storage = storage

    async def offer(self, pairing: Pairing, waiting_max: int, forget_before: datetime) -> bool:
        """The new code, unless `waiting_max` codes wait already, or its code is taken (one in 100 million: the
        caller draws another): False, nothing written. Codes made before `forget_before` go first."""
        now = utc_iso(pairing.created_at)
        await self.storage.run(
            [
                ("DELETE FROM device_pairings WHERE created_at < ?", [(utc_iso(forget_before),)]),
                (
                    "INSERT INTO device_pairings (code, token_hash, site, created_at, expires_at, kind, screen) "
                    "SELECT ?,?,?,?,?,?,? "
                    "WHERE (SELECT COUNT(*) FROM device_pairings WHERE paired_at IS NULL AND expires_at > ?) < ? "
                    "ON CONFLICT DO NOTHING",
                    [
                        (
                            pairing.code,
                            pairing.token_hash,
                            pairing.site,
                            now,
                            utc_iso(pairing.expires_at),
                            pairing.kind,
                            pairing.screen,
                            now,
                            waiting_max,
                        )
                    ],  # fmt: skip
                ),
            ],
            lock="device_pairings",
        )
        row = await self.by_token(pairing.token_hash)
        return row is not None and row.code == pairing.code

    async def waiting_count(self, now: datetime) -> int:
        row = await self.storage.fetch_one(
            "SELECT COUNT(*) FROM device_pairings WHERE paired_at IS NULL AND expires_at > ?", (utc_iso(now),)
        )
        return int(str(row[0])) if row is not None else 0

    async def by_code(self, code: str) -> Pairing | None:
        row = await self.storage.fetch_one(
            f"SELECT {_COLUMNS} FROM device_pairings WHERE code = ?",  # noqa: S608 - constant columns
            (code,),
        )
        return _pairing(row) if row is not None else None

    async def by_token(self, token_hash: str) -> Pairing | None:
        row = await self.storage.fetch_one(
            f"SELECT {_COLUMNS} FROM device_pairings WHERE token_hash = ?",  # noqa: S608 - constant columns
            (token_hash,),
        )
        return _pairing(row) if row is not None else None

    async def pair_new(self, code: str, claim: str, audit: AuditRow, kind: str, name: str, screen: str | None,
                       now: datetime) -> bool:  # fmt: skip
        """A new device entry of the audit row's site with the waiting page's token, if the code still waits (not
        paired, not expired, the site's or no site's): whether this request paired it."""
        at, site = utc_iso(now), audit.site
        await self._pair(
            code, claim, audit, now,
            ("INSERT INTO devices (token_hash, kind, site, name, screen, created_at) SELECT token_hash, ?, ?, ?, ?, ? "
             "FROM device_pairings WHERE code = ? AND paired_at IS NULL AND expires_at > ? "
             "AND (site IS NULL OR site = ?)",
             [(kind, site, name, screen, at, code, at, site)]),
        )  # fmt: skip
        return await self._paired_by(code, claim)

    async def pair_existing(self, code: str, claim: str, audit: AuditRow, device_id: int, now: datetime) -> bool:
        """The existing device entry takes the waiting page's token in place of its own (its old token is refused
        from then on; a revoked entry is live again with it), if the code still waits: whether this request paired
        it."""
        at, site = utc_iso(now), audit.site
        await self._pair(
            code, claim, audit, now,
            ("UPDATE devices SET revoked_at = NULL, token_hash = (SELECT token_hash FROM device_pairings "
             "WHERE code = ? AND paired_at IS NULL AND expires_at > ? AND (site IS NULL OR site = ?)) WHERE id = ? "
             "AND EXISTS (SELECT 1 FROM device_pairings WHERE code = ? AND paired_at IS NULL AND expires_at > ? AND "
             "(site IS NULL OR site = ?))",
             [(code, at, site, device_id, code, at, site)]),
        )  # fmt: skip
        return await self._paired_by(code, claim)

    async def _pair(self, code: str, claim: str, audit: AuditRow, now: datetime,
                    device: tuple[str, list[tuple[object, ...]]]) -> None:  # fmt: skip
        at = utc_iso(now)
        await self.storage.run(
            [
                device,
                (
                    "UPDATE device_pairings SET paired_at = ?, paired_claim = ?, paired_by = ? "
                    "WHERE code = ? AND paired_at IS NULL AND expires_at > ? AND (site IS NULL OR site = ?)",
                    [(at, claim, audit.actor, code, at, audit.site)],
                ),
                (
                    "UPDATE device_pairings SET paired_device = (SELECT id FROM devices WHERE devices.token_hash = "
                    "device_pairings.token_hash) WHERE code = ? AND paired_claim = ?",
                    [(code, claim)],
                ),
                # `device.pair`, only when this request paired it (house rule: logged if and only if it happened)
                (
                    "INSERT INTO audit (site, at, actor, role, action, target, details, seq) SELECT ?, ?, ?, ?, "
                    "'device.pair', 'device ' || CAST(paired_device AS TEXT), ?, CAST(? AS BIGINT) "
                    "FROM device_pairings WHERE code = ? AND paired_claim = ?",
                    [(audit.site, at, audit.actor, audit.role, audit.details, audit.seq, code, claim)],
                ),
            ],
            lock=f"device_pairing {code}",
        )

    async def _paired_by(self, code: str, claim: str) -> bool:
        row = await self.by_code(code)
        return row is not None and row.paired_claim == claim
