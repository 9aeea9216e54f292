"""Authorisation as a matrix: who (role and agency) x what action x whose counter or ticket."""

import pytest

from queue_server.application.auth import POLICY, Principal, allowed, hash_password, verify_password

from .helpers import KIOSK, LOBBY, Server, bearer

ADMIN = Principal("user", "admin", "admin", 1)
SUPERVISOR = Principal("user", "supervisor", "sup", 2, "tegal")
OTHER_SITE_SUPERVISOR = Principal("user", "supervisor", "sup2", 3, "brebes")
OP_DUKCAPIL = Principal("user", "operator", "op1", 4, "tegal", "disdukcapil")
OP_POLRES = Principal("user", "operator", "op2", 5, "tegal", "polres")
DISPLAY = Principal("device", "display", "tv", 6, "tegal", screen="lobby")
KIOSK_P = Principal("device", "kiosk", "kiosk", 7, "tegal")
REGIONAL = Principal("user", "regional", "jateng", 8, sites=frozenset({"tegal", "brebes"}))
OTHER_REGION = Principal("user", "regional", "jatim", 9, sites=frozenset({"malang"}))
NATIONAL = Principal("user", "regional", "pusat", 10)  # no list: every site
UPLINK = Principal("device", "uplink", "Server MPP Tegal", 11, "tegal")
OTHER_SITE_UPLINK = Principal("device", "uplink", "Server MPP Brebes", 12, "brebes")

# (principal, action, agency of the counter/ticket) -> allowed
MATRIX = [
    (ADMIN, "counter.command", "polres", True),
    (SUPERVISOR, "counter.command", "polres", True),
    (OTHER_SITE_SUPERVISOR, "counter.command", "polres", False),
    (OP_DUKCAPIL, "counter.command", "disdukcapil", True),
    (OP_DUKCAPIL, "counter.command", "polres", False),
    (OP_POLRES, "counter.command", "polres", True),
    (DISPLAY, "counter.command", "polres", False),
    (KIOSK_P, "counter.command", "polres", False),
    (OP_DUKCAPIL, "ticket.manage", "disdukcapil", True),
    (OP_DUKCAPIL, "ticket.manage", "polres", False),
    (SUPERVISOR, "ticket.manage", "polres", True),
    (KIOSK_P, "ticket.manage", "polres", False),
    (KIOSK_P, "ticket.issue", None, True),
    (OP_POLRES, "ticket.issue", None, True),
    (DISPLAY, "ticket.issue", None, False),
    (OTHER_SITE_SUPERVISOR, "ticket.issue", None, False),
    (SUPERVISOR, "site.close_day", None, True),
    (OP_DUKCAPIL, "site.close_day", None, False),
    (KIOSK_P, "site.close_day", None, False),
    (DISPLAY, "display.follow", None, True),
    (KIOSK_P, "display.follow", None, False),
    (OP_DUKCAPIL, "agency.follow", "disdukcapil", True),
    (OP_DUKCAPIL, "agency.follow", "polres", False),
    (OP_DUKCAPIL, "site.follow", None, False),
    (SUPERVISOR, "site.follow", None, True),
    (ADMIN, "accounts.manage", None, True),
    (SUPERVISOR, "accounts.manage", None, False),
    (DISPLAY, "site.read_state", None, True),
    (SUPERVISOR, "site.running_text", None, True),
    (OP_DUKCAPIL, "site.running_text", None, False),
    (DISPLAY, "site.running_text", None, False),
    (SUPERVISOR, "report.read", None, True),
    (OTHER_SITE_SUPERVISOR, "report.read", None, False),
    (OP_DUKCAPIL, "report.read", "disdukcapil", False),
    (ADMIN, "audit.read", None, True),
    (SUPERVISOR, "audit.read", None, True),
    (OTHER_SITE_SUPERVISOR, "audit.read", None, False),
    (OP_DUKCAPIL, "audit.read", None, False),
    (OP_DUKCAPIL, "survey.collect", "disdukcapil", True),
    (OP_DUKCAPIL, "survey.collect", "polres", False),
    (KIOSK_P, "survey.collect", "polres", False),
    (ADMIN, "national.read", None, True),
    (NATIONAL, "national.read", None, True),
    (REGIONAL, "national.read", None, True),
    (SUPERVISOR, "national.read", None, False),
    (OP_DUKCAPIL, "national.read", None, False),
    (DISPLAY, "national.read", None, False),
    # Where citizens' numbers and messages go (the gateway, the public address): admins only.
    (ADMIN, "site.notify", None, True),
    (SUPERVISOR, "site.notify", None, False),
    (OP_DUKCAPIL, "site.notify", None, False),
    # Webhooks receive every ticket's times: admins only. Deliveries: the site's supervisors too.
    (ADMIN, "webhook.manage", None, True),
    (SUPERVISOR, "webhook.manage", None, False),
    (REGIONAL, "webhook.manage", None, False),
    (ADMIN, "outbox.read", None, True),
    (SUPERVISOR, "outbox.read", None, True),
    (OTHER_SITE_SUPERVISOR, "outbox.read", None, False),
    (OP_DUKCAPIL, "outbox.read", None, False),
    (SUPERVISOR, "outbox.resend", None, True),
    (OP_DUKCAPIL, "outbox.resend", None, False),
    (KIOSK_P, "outbox.resend", None, False),
    # A regional account reads its sites' supervisor views and changes nothing.
    (REGIONAL, "report.read", None, True),
    (REGIONAL, "audit.read", None, True),
    (REGIONAL, "site.follow", None, True),
    (REGIONAL, "agency.follow", "polres", True),
    (REGIONAL, "site.read_state", None, True),
    (OTHER_REGION, "report.read", None, False),
    (OTHER_REGION, "site.follow", None, False),
    (NATIONAL, "report.read", None, True),
    (REGIONAL, "ticket.issue", None, False),
    (REGIONAL, "counter.command", "polres", False),
    (REGIONAL, "ticket.manage", "polres", False),
    (REGIONAL, "site.close_day", None, False),
    (REGIONAL, "site.running_text", None, False),
    (NATIONAL, "accounts.manage", None, False),
    # The site's configuration, staff accounts and device tokens: admins and the site's supervisors, nobody else.
    (ADMIN, "site.configure", None, True),
    (SUPERVISOR, "site.configure", None, True),
    (OTHER_SITE_SUPERVISOR, "site.configure", None, False),
    (OP_DUKCAPIL, "site.configure", None, False),
    (REGIONAL, "site.configure", None, False),
    (DISPLAY, "site.configure", None, False),
    (SUPERVISOR, "site.accounts", None, True),
    (OTHER_SITE_SUPERVISOR, "site.accounts", None, False),
    (OP_DUKCAPIL, "site.accounts", None, False),
    (REGIONAL, "site.accounts", None, False),
    (ADMIN, "site.devices", None, True),
    (SUPERVISOR, "site.devices", None, True),
    (KIOSK_P, "site.devices", None, False),
    (REGIONAL, "site.devices", None, False),
    # A test message through the gateway goes to a number the admin types: admins only.
    (ADMIN, "gateway.test", None, True),
    (SUPERVISOR, "gateway.test", None, False),
    (OP_DUKCAPIL, "gateway.test", None, False),
    (REGIONAL, "gateway.test", None, False),
    (KIOSK_P, "gateway.test", None, False),
    (NATIONAL, "display.follow", None, False),
    (NATIONAL, "survey.collect", "polres", False),
    # A mall's own server sends its log to the server mirroring it: only its uplink token, only for its site.
    (UPLINK, "site.relay", None, True),
    (OTHER_SITE_UPLINK, "site.relay", None, False),
    (ADMIN, "site.relay", None, False),
    (KIOSK_P, "site.relay", None, False),
    (UPLINK, "ticket.issue", None, False),
    (UPLINK, "site.read_state", None, False),
    # A service's issuing paused with a reason: supervisors, and an operator for their own agency's services.
    (SUPERVISOR, "service.pause", "disdukcapil", True),
    (ADMIN, "service.pause", "polres", True),
    (OP_DUKCAPIL, "service.pause", "disdukcapil", True),
    (OP_DUKCAPIL, "service.pause", "polres", False),
    (OTHER_SITE_SUPERVISOR, "service.pause", "disdukcapil", False),
    (REGIONAL, "service.pause", "disdukcapil", False),
    (KIOSK_P, "service.pause", "disdukcapil", False),
    (DISPLAY, "service.pause", "disdukcapil", False),
]


@pytest.mark.parametrize(("principal", "action", "agency", "expected"), MATRIX)
def test_policy_matrix(principal: Principal, action: str, agency: str | None, expected: bool) -> None:
    assert allowed(principal, action, "tegal", agency) is expected


def test_every_action_is_in_the_matrix() -> None:
    assert {action for _, action, _, _ in MATRIX} == set(POLICY)


def test_passwords_are_argon2() -> None:
    stored = hash_password("rahasia-sekali")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "rahasia-sekali") and not verify_password(stored, "salah")
    assert not verify_password("not-a-hash", "x")


HTTP_ACTIONS = {
    "issue": ("POST", "/api/v1/sites/tegal/tickets", {"service": "pkb"}),
    "dukcapil counter": ("POST", "/api/v1/sites/tegal/counters/1/commands", {"command": "pause"}),
    "polres counter": ("POST", "/api/v1/sites/tegal/counters/5/commands", {"command": "pause"}),
    "dukcapil ticket": ("POST", "/api/v1/sites/tegal/tickets/A-001/actions", {"action": "requeue"}),
    "polres ticket": ("POST", "/api/v1/sites/tegal/tickets/F-001/actions", {"action": "requeue"}),
    "read state": ("GET", "/api/v1/sites/tegal/state", None),
}
# Who may do what over HTTP: True = allowed (the answer may still be a 409 from the queue rules), else the status.
HTTP_MATRIX = {
    "admin": {"issue": True, "dukcapil counter": True, "polres counter": True, "dukcapil ticket": True,
              "polres ticket": True, "read state": True},
    "supervisor": {"issue": True, "dukcapil counter": True, "polres counter": True, "dukcapil ticket": True,
                   "polres ticket": True, "read state": True},
    "op-disdukcapil": {"issue": True, "dukcapil counter": True, "polres counter": 403, "dukcapil ticket": True,
                       "polres ticket": 403, "read state": True},
    "kiosk": {"issue": True, "dukcapil counter": 403, "polres counter": 403, "dukcapil ticket": 403,
              "polres ticket": 403, "read state": True},
    "display": {"issue": 403, "dukcapil counter": 403, "polres counter": 403, "dukcapil ticket": 403,
                "polres ticket": 403, "read state": True},
    "anonymous": {"issue": 401, "dukcapil counter": 401, "polres counter": 401, "dukcapil ticket": 401,
                  "polres ticket": 401, "read state": 401},
}  # fmt: skip


async def test_http_authorisation_matrix(server: Server) -> None:
    await server.issue("ktp")
    await server.issue("skck")
    headers = {
        "admin": await server.login("admin"),
        "supervisor": await server.login("supervisor"),
        "op-disdukcapil": await server.login("op-disdukcapil"),
        "kiosk": bearer(KIOSK),
        "display": bearer(LOBBY),
        "anonymous": {},
    }
    failures = []
    for who, row in HTTP_MATRIX.items():
        for action, expected in row.items():
            method, path, body = HTTP_ACTIONS[action]
            r = await server.http.request(method, path, json=body, headers=headers[who])
            ok = r.status_code not in (401, 403) if expected is True else r.status_code == expected
            if not ok:
                failures.append(f"{who} {action}: {r.status_code} {r.text[:120]}")
            if r.status_code in (401, 403):
                assert r.json()["error"]["message"], "refusals explain themselves"
    assert not failures, failures


async def test_revoked_device_token_stops_working(server: Server) -> None:
    accounts = server.ctx.accounts
    token = await accounts.create_device("kiosk", "tegal", "Kios lantai 2")
    r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "pkb"}, headers=bearer(token))
    assert r.status_code == 201
    device = next(d for d in await accounts.list_devices() if d["name"] == "Kios lantai 2")
    await accounts.revoke_device(device["id"])
    r = await server.http.post("/api/v1/sites/tegal/tickets", json={"service": "pkb"}, headers=bearer(token))
    assert r.status_code == 401


async def test_account_rules(server: Server) -> None:
    accounts = server.ctx.accounts
    with pytest.raises(ValueError, match="8 to 200 characters"):
        await accounts.create_user("pendek", "short", "supervisor", site="tegal")
    with pytest.raises(ValueError, match="'kua' is not an agency of tegal"):
        await accounts.create_user("op-x", "panjang-sekali", "operator", site="tegal", agency="kua")
    with pytest.raises(ValueError, match="exists already"):
        await accounts.create_user("admin", "panjang-sekali", "admin")
    with pytest.raises(ValueError, match="no such site: brebes"):
        await accounts.create_user("jateng", "panjang-sekali", "regional", sites=["tegal", "brebes"])
    with pytest.raises(ValueError, match="only a regional account"):
        await accounts.create_user("sup-x", "panjang-sekali", "supervisor", site="tegal", sites=["tegal"])
    with pytest.raises(ValueError, match="not one site"):
        await accounts.create_user("reg-x", "panjang-sekali", "regional", site="tegal")
    with pytest.raises(ValueError, match="'atap' is not a screen of tegal"):  # the wrong value named
        await accounts.create_device("display", "tegal", "TV", screen="atap")
