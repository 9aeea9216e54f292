"""Demo accounts and device tokens, created only by `queue-server demo`. Outside demo mode there are none."""

from __future__ import annotations

from functools import cache

from queue_server.application.auth import Accounts, hash_password, token_hash, verified
from queue_server.domain.catalogue import Site
from queue_server.persistence.accounts import AccountStore

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


CHECKED_AT_MOST = 20  # accounts whose password is tried at a real server's start (argon2: ~40 ms each)


async def published_credentials(store: AccountStore, sites: dict[str, Site]) -> list[str]:
    """What a database holds, still usable, of the demo's accounts and device tokens, whose passwords and tokens
    the README prints: a real server must not start with them (a database the demo ran on, then used for a mall)."""
    found: list[str] = []
    roles = {"admin": "admin", NATIONAL_ACCOUNT: "regional", "supervisor": "supervisor"}
    roles |= {f"supervisor-{site}": "supervisor" for site in sites}
    roles |= {f"op-{agency}".replace("_", "-"): "operator" for site in sites.values() for agency in site.agencies}
    users = {u.username: u for u in await store.users() if u.active and u.username in roles}
    for username in sorted(users, key=lambda name: (roles[name] == "operator", name))[:CHECKED_AT_MOST]:
        credentials = await store.credentials(username)
        if credentials is not None and await verified(credentials.password_hash, DEMO_PASSWORD[roles[username]]):
            found.append(f"account {username}")
    tokens = [demo_kiosk_token(site.id) for site in sites.values()]
    tokens += [demo_display_token(site.id, screen) for site in sites.values() for screen in site.screens]
    for token in tokens:
        device = await store.live_device(token_hash(token))
        if device is not None:
            found.append(f"device {device.id} ({device.name})")
    return found
