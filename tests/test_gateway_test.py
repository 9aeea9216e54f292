"""An admin checks the site's WhatsApp/SMS gateway from Settings ("Kirim pesan uji", docs/notifications.md, "Checking
the gateway"): one test message to a number typed, through the outbox and a real gateway (tests/receiver.py) that
answers, fails with 500, answers too late or listens nowhere; its state read back as the Pengiriman page knows it;
every refusal of the API; and the number in no answer beyond its masked form, no log line, no audit entry and no
file of the data folder. On both databases."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from queue_server.application import gateway_test

from .helpers import Server, eventually
from .receiver import Receiver, notify_server
from .test_outbox import FAST, PHONE, PHONE_FORMS, _data_files

BOTH_DATABASES = True
ROUTE = "/api/v1/sites/tegal/gateway/test"
NUMBERS = (*PHONE_FORMS, "6281234567890", "081234567890")


async def send(s: Server, phone: str = PHONE, user: str = "admin", **extra: Any) -> Any:
    return await s.http.post(ROUTE, json={"phone": phone, **extra}, headers=await s.login(user))


async def state_of(s: Server, message: str) -> dict[str, Any]:
    r = await s.http.get(f"{ROUTE}/{message}", headers=await s.login("admin"))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def reaches(s: Server, message: str, state: str, seconds: float = 30) -> dict[str, Any]:
    """The message's state once it is `state`."""
    seen: dict[str, Any] = {}

    async def there() -> bool:
        seen.update(await state_of(s, message))
        return seen["state"] == state

    await eventually(there, f"the test message {state}", seconds, every=0.1)
    return seen


async def test_a_test_message_goes_through_the_gateway_and_the_number_is_nowhere_in_clear(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "gw-token-123")
    caplog.set_level("DEBUG")
    seen: list[str] = []
    with Receiver() as gateway:
        gateway.start()
        async with notify_server(database, tmp_path, gateway, **FAST) as s:
            r = await send(s)
            assert r.status_code == 202, r.text
            seen.append(r.text)
            answer = r.json()
            assert answer["phone"] == "0812*****890" and answer["state"] in ("queued", "sent")
            done = await reaches(s, answer["id"], "sent")
            seen.append(json.dumps(done))
            assert done["sent_at"] and done["error_words"] is None and done["gateway_paused"] is False
            english = (await send(s, "+62 812 3456 7890", lang="en")).json()
            await reaches(s, english["id"], "sent")
            [request, request_en] = gateway.requests
            body = request.json()
            assert body == {
                "target": "6281234567890",
                "message": "Pesan uji dari MPP Kabupaten Tegal: gateway WhatsApp/SMS berfungsi. Tidak perlu dibalas.",
                "ref": answer["id"],
            }
            assert request.headers["Idempotency-Key"] == answer["id"]
            assert request.headers["Authorization"] == "Bearer gw-token-123"
            assert request_en.json()["message"] == (
                "Test message from MPP Kabupaten Tegal: the WhatsApp/SMS gateway works. No need to reply."
            )
            # Audited by whom and which message, never the number; on the Pengiriman page as the gateway's sent.
            audit = await s.http.get("/api/v1/sites/tegal/audit", headers=await s.login("admin"))
            seen.append(audit.text)
            entries = [e for e in audit.json()["entries"] if e["action"] == "gateway.test"]
            assert {e["details"]["message"] for e in entries} == {answer["id"], english["id"]}
            assert entries[0]["actor"] == "admin" and entries[0]["summary"]["id"].startswith("Pesan uji dikirim")
            deliveries = await s.http.get("/api/v1/sites/tegal/deliveries", headers=await s.login("supervisor"))
            seen.append(deliveries.text)
            assert {row["endpoint"]: row for row in deliveries.json()["endpoints"]}["gateway"]["sent"] == 2
            events = await s.http.get("/api/v1/sites/tegal/state", headers=await s.login("admin"))
            seen.append(events.text)
            files = await asyncio.to_thread(_data_files, tmp_path)
    out = "\n".join(seen) + "\n" + caplog.text
    for form in NUMBERS:
        assert form not in out, f"{form} in an answer, the audit log or the log"
        assert form.encode() not in files, f"{form} in a file of the data folder (database, WAL, event log)"
    if isinstance(database, str):
        from .pg_support import dump_text

        dumped = await dump_text(database)
        assert not any(form in dumped for form in NUMBERS), "the number in the PostgreSQL database"


async def test_a_gateway_answering_500_is_said_in_words_retried_then_given_up(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.status = 500
        gateway.start()
        settings = {**FAST, "outbox_max_attempts": 2}
        # The server's clock held still: the retry falls due when the test moves it, not 0.1-0.2 s later (a busy
        # machine's reads missed the message while it was retrying and saw it dead).
        async with notify_server(database, tmp_path, gateway, tick=False, **settings) as s:
            message = (await send(s)).json()["id"]
            retrying = await reaches(s, message, "retrying")
            assert retrying["error_kind"] == "receiver_error" and retrying["next_try_at"]
            assert "HTTP 500" in retrying["error_words"]["id"] and "HTTP 500" in retrying["error_words"]["en"]
            assert retrying["last_error"].startswith("HTTP 500")
            s.clock.advance(seconds=2)  # past the retry (at most outbox_retry_cap_seconds, 1 s)
            dead = await reaches(s, message, "dead")
            assert dead["attempts"] == 2 and dead["error_kind"] == "receiver_error"
            assert dead["error_words"]["id"].startswith("Server penerima sedang bermasalah")
            # Given up, it is a dead letter like any: resent from the Pengiriman page once the gateway is mended.
            gateway.status = 200
            r = await s.http.post("/api/v1/sites/tegal/deliveries/resend", json={"message": message},
                                  headers=await s.login("supervisor"))  # fmt: skip
            assert r.json() == {"resent": 1}
            await reaches(s, message, "sent")


async def test_a_gateway_too_slow_to_answer_leaves_the_outcome_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.delay = 3.0
        gateway.start()
        settings = {**FAST, "outbox_timeout_seconds": 0.5, "outbox_retry_seconds": 600}
        async with notify_server(tmp_path / "q.sqlite3", tmp_path, gateway, **settings) as s:
            message = (await send(s)).json()["id"]
            said = await reaches(s, message, "retrying")
            assert said["error_kind"] == "timeout" and said["outcome_unknown"] is True
            assert said["error_words"]["id"].startswith("Penerima tidak menjawab dalam"), said["error_words"]


async def test_a_gateway_nobody_listens_at_is_said_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:  # never started: the port refuses
        async with notify_server(tmp_path / "q.sqlite3", tmp_path, gateway, **FAST) as s:
            message = (await send(s)).json()["id"]
            said = await reaches(s, message, "retrying")
            assert said["error_kind"] == "connection_refused" and said["outcome_unknown"] is False
            assert "127.0.0.1" in said["error_words"]["id"], said["error_words"]


async def test_the_api_refuses_with_reasons_and_limits_what_a_test_may_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.start()
        async with notify_server(tmp_path / "q.sqlite3", tmp_path, gateway, tick=False, **FAST) as s:
            assert (await s.http.post(ROUTE, json={"phone": PHONE})).status_code == 401
            for user in ("supervisor", "op-disdukcapil"):
                r = await send(s, user=user)
                assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
            for body in ({"phone": "12345"}, {"phone": "0812"}, {"phone": "021-5551234"}):
                r = await s.http.post(ROUTE, json=body, headers=await s.login("admin"))
                error = r.json()["error"]
                assert r.status_code == 422 and error["code"] == "invalid_phone", r.text
                assert error["message"].startswith("Nomor ponsel") and error["message_en"].startswith("The phone")
                assert error["details"] == {"field": "phone"}
            r = await s.http.post(ROUTE, json={"phone": PHONE, "to": "x"}, headers=await s.login("admin"))
            assert r.status_code == 422, r.text
            r = await s.http.post(ROUTE, json={}, headers=await s.login("admin"))
            assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "phone", r.text
            r = await s.http.get(f"{ROUTE}/01a0000000000000000000000000abcd", headers=await s.login("admin"))
            assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_gateway_test", r.text
            # None of those spent the limit: three a minute from one account, the fourth refused with Retry-After.
            for _ in range(3):
                assert (await send(s)).status_code == 202
            r = await send(s)
            assert r.status_code == 429 and r.headers["Retry-After"] == "60", r.text
            error = r.json()["error"]
            assert error["code"] == "too_many_requests" and error["details"]["limit"] == "account"
            assert "per menit" in error["message"] and "a minute" in error["message_en"]
            assert not any(form in r.text for form in NUMBERS)


async def test_a_site_sends_so_many_a_day_and_is_told_when_it_may_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    monkeypatch.setattr(gateway_test, "PER_SITE_DAY", 2)
    with Receiver() as gateway:
        gateway.start()
        async with notify_server(tmp_path / "q.sqlite3", tmp_path, gateway, tick=False, **FAST) as s:
            for _ in range(2):
                assert (await send(s)).status_code == 202
            r = await send(s)
            error = r.json()["error"]
            assert r.status_code == 429 and error["details"]["limit"] == "site", r.text
            assert 23 * 3600 < int(r.headers["Retry-After"]) <= 24 * 3600 + 1
            assert (
                error["message"]
                == "Sudah 2 pesan uji dikirim dari lokasi ini dalam 24 jam terakhir. Coba lagi dalam 24 jam."
            )
            s.clock.advance(hours=24, seconds=1)  # the day since the first is over
            assert (await send(s)).status_code == 202
            assert not any(form in r.text for form in NUMBERS)


async def test_tests_sent_together_get_no_more_than_the_site_s_day_allows(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count and the message are one step (under the site's lock on PostgreSQL): three sent at once when two
    are left give two messages, one refusal, and an audit entry for each message only."""
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    monkeypatch.setattr(gateway_test, "PER_SITE_DAY", 2)
    with Receiver() as gateway:
        gateway.start()
        async with notify_server(database, tmp_path, gateway, tick=False, **FAST) as s:
            admin = await s.login("admin")
            answers = await asyncio.gather(
                *(s.http.post(ROUTE, json={"phone": PHONE}, headers=admin) for _ in range(3))
            )
            assert sorted(r.status_code for r in answers) == [202, 202, 429], [r.text for r in answers]
            [refused] = [r for r in answers if r.status_code == 429]
            assert refused.json()["error"]["details"]["limit"] == "site"
            sent = {r.json()["id"] for r in answers if r.status_code == 202}
            audit = (await s.http.get("/api/v1/sites/tegal/audit", headers=admin)).json()["entries"]
            assert {e["details"]["message"] for e in audit if e["action"] == "gateway.test"} == sent
            deliveries = await s.http.get("/api/v1/sites/tegal/deliveries", headers=admin)
            row = {r["endpoint"]: r for r in deliveries.json()["endpoints"]}["gateway"]
            assert row["pending"] + row["sent"] + row["retrying"] == 2, row


async def test_a_site_without_a_gateway_is_told_where_it_is_configured(server: Server) -> None:
    r = await send(server)
    error = r.json()["error"]
    assert r.status_code == 409 and error["code"] == "gateway_missing", r.text
    assert "[notify.gateway]" in error["message"] and "berkas situs" in error["message"]
    assert "[notify.gateway]" in error["message_en"] and "site file" in error["message_en"]
    assert not any(form in r.text for form in NUMBERS)
