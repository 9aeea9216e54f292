from .helpers import Server


async def test_health(server: Server) -> None:
    r = await server.http.get("/healthz")
    assert r.status_code == 200
    assert r.json()["sites"] == ["tegal"]


async def test_issue_and_call(server: Server) -> None:
    ticket = await server.issue("ktp")
    assert ticket["ticket"]["label"] == "A-001"
    op = await server.login("op-disdukcapil")
    assert (await server.command(op, "1", "open")).status_code == 200
    r = await server.command(op, "1", "call_next")
    assert r.status_code == 200, r.text
    assert r.json()["ticket"]["label"] == "A-001"
