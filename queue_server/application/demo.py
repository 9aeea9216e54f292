"""Demo accounts and device tokens, created only by `queue-server demo`. Outside demo mode there are none."""

from __future__ import annotations

from functools import cache

from queue_server.application.auth import Accounts, hash_password
from queue_server.domain.catalogue import Site

DEMO_PASSWORD = {
    "admin": "demo-admin",
    "supervisor": "demo-supervisor",
    "operator": "demo-operator",
    "regional": "demo-regional",
}
NATIONAL_ACCOUNT = "nasional"  # a regional account without a list of sites: the national view of every mall


def demo_display_token(site: str, screen: str) -> str:
    return f"d_display_demo_{site}_{screen}"


def demo_kiosk_token(site: str) -> str:
    return f"d_kiosk_demo_{site}"


@cache
def _demo_hash(role: str) -> str:
    """One argon2 hash per demo password (salted once): seeding twenty accounts stays fast."""
    return hash_password(DEMO_PASSWORD[role])


async def seed_demo(accounts: Accounts, sites: dict[str, Site]) -> None:
    existing = {u["username"] for u in await accounts.list_users()}
    if "admin" not in existing:
        await accounts.create_user(
            "admin", DEMO_PASSWORD["admin"], "admin", display_name="Admin MPP", password_hash=_demo_hash("admin")
        )
    if NATIONAL_ACCOUNT not in existing:
        await accounts.create_user(
            NATIONAL_ACCOUNT,
            DEMO_PASSWORD["regional"],
            "regional",
            display_name="Pemantau Nasional",
            password_hash=_demo_hash("regional"),
        )
    devices = {(d["kind"], d["site"], d["screen"]) for d in await accounts.list_devices()}
    for site in sites.values():
        name = f"supervisor-{site.id}" if len(sites) > 1 else "supervisor"
        if name not in existing:
            await accounts.create_user(
                name,
                DEMO_PASSWORD["supervisor"],
                "supervisor",
                site=site.id,
                display_name=f"Supervisor {site.name}",
                password_hash=_demo_hash("supervisor"),
            )
        for agency in site.agencies.values():
            username = f"op-{agency.id}".replace("_", "-")
            if username not in existing:
                await accounts.create_user(
                    username,
                    DEMO_PASSWORD["operator"],
                    "operator",
                    site=site.id,
                    agency=agency.id,
                    display_name=f"Operator {agency.short_name}",
                    password_hash=_demo_hash("operator"),
                )
        for screen in site.screens.values():
            if ("display", site.id, screen.id) not in devices:
                await accounts.create_device(
                    "display", site.id, f"Demo {screen.name}", screen.id, token=demo_display_token(site.id, screen.id)
                )
        if ("kiosk", site.id, None) not in devices:
            await accounts.create_device("kiosk", site.id, "Demo kiosk", token=demo_kiosk_token(site.id))
