"""A WhatsApp/SMS gateway's settings that HTTP cannot send (an outside review of citizens' messages): a header whose
value holds a line break (often a variable read from a file saved on Windows, "...\\r") or whose name is not one.
Before, they were taken, and every message to the gateway raised out of the delivery worker's round, every second:
no message of any mall and no webhook went out, with nothing for a supervisor to see. Now such settings are refused at
start-up and on the web, naming the header and never its value, and a request that cannot be made anyway is one
failed try of its message, not the end of every delivery."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from queue_server.domain.catalogue import Gateway
from queue_server.settings.sitefile import DEMO_SITE

from .helpers import eventually, running_server, ticking
from .receiver import Receiver, notify_server
from .test_outbox import FAST, add_webhook, deliveries

BOTH_DATABASES = True
SECRET = "token-from-a-windows-file"


def gateway_site(tmp_path: Path, headers: str) -> Path:
    path = tmp_path / "tegal.toml"
    path.write_text(DEMO_SITE.read_text() + f"""
[notify]
public_url = "http://antrean.mpp.test"

[notify.gateway]
url = "https://wa.example.id/send"
headers = {headers}
body = {{ target = "{{phone}}", message = "{{text}}" }}
""")  # fmt: skip
    return path


@pytest.mark.sqlite_only
def test_serve_refuses_a_gateway_header_with_a_line_break_naming_the_header_not_its_value(tmp_path: Path) -> None:
    site = gateway_site(tmp_path, '{ Authorization = "Bearer ${TEST_WA_TOKEN}" }')
    env = {**os.environ, "TEST_WA_TOKEN": SECRET + "\r"}
    served = subprocess.run(
        [sys.executable, "-m", "queue_server", "serve", "--site", str(site), "--db", str(tmp_path / "q.sqlite3"),
         "--port", "0"], capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    said = served.stdout + served.stderr
    assert served.returncode == 1, said
    assert "notify.gateway.headers.Authorization: holds a line break" in said, said
    assert "(from its environment variable)" in said and SECRET not in said, said
    bad_name = gateway_site(tmp_path, '{ "X Token" = "abc" }')
    checked = subprocess.run([sys.executable, "-m", "queue_server", "check-site", str(bad_name)], capture_output=True,
                             text=True, timeout=60, check=False)  # fmt: skip
    assert checked.returncode != 0 and "is not a valid header name" in checked.stdout + checked.stderr


async def test_the_web_refuses_such_a_header_in_the_page_s_words(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway:
        gateway.start()
        async with notify_server(database, tmp_path, gateway, tick=False) as s:
            admin = await s.login("admin")
            stored = (await s.http.get("/api/v1/sites/tegal/configuration", headers=admin)).json()
            for headers, problem in (
                ({"Authorization": "Bearer ${TEST_GATEWAY_TOKEN}", "X-Key": "abc\ndef"}, "berisi ganti baris"),
                ({"Authorization": "Bearer ${TEST_GATEWAY_TOKEN}", "X Key": "abc"}, "bukan nama header yang sah"),
            ):
                document: dict[str, Any] = stored["document"]
                document["notify"]["gateway"]["headers"] = headers
                r = await s.http.put("/api/v1/sites/tegal/configuration",
                                     json={"version": stored["version"], "document": document}, headers=admin)  # fmt: skip
                assert r.status_code == 422, r.text
                error = r.json()["error"]
                assert error["code"] == "configuration_invalid" and problem in error["message"], error
                assert "abc" not in error["message"]


async def test_a_request_that_cannot_be_made_is_a_failed_try_and_every_other_delivery_goes_on(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GATEWAY_TOKEN", "x")
    with Receiver() as gateway, Receiver() as agency:
        gateway.start()
        agency.start()
        async with notify_server(database, tmp_path, gateway, **FAST) as s:
            hook = (await add_webhook(s, agency.url + "/hook", events=["ticket.issued"]))["endpoint"]["id"]
            # As a gateway read before its settings were checked would be: HTTP cannot send this header.
            site = s.ctx.sites["tegal"]
            broken = Gateway(site.notify.gateway.url, (("X-Key", "abc\r\nX-Other: 1"),), site.notify.gateway.body)
            s.ctx.sites["tegal"] = dataclasses.replace(site, notify=dataclasses.replace(site.notify, gateway=broken))
            await s.issue("ktp", notify={"phone": "0812-3456-7890", "consent": True})
            await s.issue("ktp")
            status: dict[str, Any] = {}

            async def both_seen() -> bool:
                status.update(await deliveries(s))
                return status[hook]["sent"] == 2 and bool(status["gateway"]["last_error"])

            await eventually(both_seen, "the webhooks sent, the gateway's try failed with a reason", 60, 0.1)
            assert status["gateway"]["last_error"].startswith("the request could not be made (ValueError)")
            assert "abc" not in status["gateway"]["last_error"] and not gateway.requests


# --- a key in the address's query or in the body (Zenziva-style) --------------------------------------------------

USER, KEY = "mpp-tegal", "k3y&+/=rahasia"  # & and + in a query would split or change it if not encoded


def keyed_site(tmp_path: Path, receiver: Receiver) -> Path:
    path = tmp_path / "tegal_keyed.toml"
    path.write_text(DEMO_SITE.read_text() + f"""
[notify]
public_url = "http://antrean.mpp.test"

[notify.gateway]
url = "{receiver.url}/api/sendWA/?userkey=${{TEST_GW_USER}}&passkey=${{TEST_GW_KEY}}"
body = {{ userkey = "${{TEST_GW_USER}}", auth = {{ key = "${{TEST_GW_KEY}}" }}, to = "{{phone_local}}", message = "{{text}}" }}
""")  # fmt: skip
    return path


async def test_a_key_in_the_query_or_the_body_is_sent_and_never_shown_or_logged(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Before, ${VARIABLE} worked only in headers: a gateway wanting its key in the query or the body had it in
    plain text in the configuration supervisors read (the API, the deliveries page). Now the key is filled in only
    as a message goes (percent-encoded in the query), and every page, answer and log line keeps ${TEST_GW_KEY}."""
    monkeypatch.setenv("TEST_GW_USER", USER)
    monkeypatch.setenv("TEST_GW_KEY", KEY)
    with Receiver() as gateway:
        gateway.start()
        async with running_server(database, site_files=[keyed_site(tmp_path, gateway)], **FAST) as s, \
                ticking(s.clock):  # fmt: skip
            await s.issue("ktp", notify={"phone": "0812-3456-7890", "consent": True})
            await eventually(lambda: gateway.requests, "the message sent", 60, 0.1)
            sent = gateway.requests[0]
            query = parse_qs(urlsplit(sent.path).query)
            assert query == {"userkey": [USER], "passkey": [KEY]}, sent.path
            body = sent.json()
            assert body["userkey"] == USER and body["auth"] == {"key": KEY} and body["to"] == "081234567890"
            seen = []
            for account in ("supervisor", "admin"):
                headers = await s.login(account)
                for url in ("/api/v1/sites/tegal/configuration", "/api/v1/sites/tegal/deliveries",
                            "/api/v1/sites/tegal/configuration/site-file"):  # fmt: skip
                    r = await s.http.get(url, headers=headers)
                    seen.append((url, r.status_code, r.text))
            assert any("passkey=${TEST_GW_KEY}" in text for _, _, text in seen), seen
            for url, _, text in seen:
                assert KEY not in text and "k3y" not in text, url
    assert "k3y" not in caplog.text


async def test_the_web_keeps_a_query_or_body_key_only_as_stored(
    database: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document from the web may keep a reference in the query or the body exactly where the stored one has it
    (a change elsewhere is saved); a new or moved one, or the address changed under a kept key, is refused, by its
    place, before any variable is looked up."""
    monkeypatch.setenv("TEST_GW_USER", USER)
    monkeypatch.setenv("TEST_GW_KEY", KEY)
    monkeypatch.setenv("OTHER_SECRET", "not-for-the-web")
    with Receiver() as gateway:
        gateway.start()
        async with running_server(database, site_files=[keyed_site(tmp_path, gateway)]) as s:
            admin = await s.login("admin")

            async def put(change: Any) -> Any:
                stored = (await s.http.get("/api/v1/sites/tegal/configuration", headers=admin)).json()
                document = stored["document"]
                change(document["notify"]["gateway"])
                return await s.http.put("/api/v1/sites/tegal/configuration",
                                        json={"version": stored["version"], "document": document}, headers=admin)  # fmt: skip

            def moved(g: dict[str, Any]) -> None:
                g["body"]["auth"] = {"secret": "${TEST_GW_KEY}"}

            def new_one(g: dict[str, Any]) -> None:
                g["url"] = g["url"].replace("${TEST_GW_USER}", "${OTHER_SECRET}")

            def new_address(g: dict[str, Any]) -> None:
                g["url"] = g["url"].replace("/api/sendWA/", "/api/other/")

            for change, place in ((moved, "notify.gateway.body.auth.secret"), (new_one, "notify.gateway.url"),
                                  (new_address, "notify.gateway.url")):  # fmt: skip
                r = await put(change)
                assert r.status_code == 422, r.text
                error = r.json()["error"]
                assert error["code"] == "configuration_invalid" and place in str(error["details"]), error
                assert "only in the site file" in error["message_en"] and "not-for-the-web" not in r.text

            def kept(g: dict[str, Any]) -> None:
                g["body"]["sender"] = "MPP Tegal"

            r = await put(kept)
            assert r.status_code == 200, r.text


@pytest.mark.sqlite_only
def test_check_site_takes_a_key_only_in_the_query_and_names_a_variable_not_set(tmp_path: Path) -> None:
    site = tmp_path / "tegal.toml"

    def check(url: str, body: str, **env: str) -> str:
        site.write_text(DEMO_SITE.read_text() + f"""
[notify]
public_url = "http://antrean.mpp.test"

[notify.gateway]
url = "{url}"
body = {body}
""")  # fmt: skip
        done = subprocess.run([sys.executable, "-m", "queue_server", "check-site", str(site)], capture_output=True,
                              text=True, timeout=60, check=False, env={**os.environ, **env})  # fmt: skip
        return done.stdout + done.stderr if done.returncode else ""

    body = '{ to = "{phone}", message = "{text}", key = "${TEST_GW_KEY}" }'
    assert check("https://gw.example.id/send?key=${TEST_GW_KEY}", body, TEST_GW_KEY="x") == ""
    said = check("https://${TEST_GW_KEY}.example.id/send", body, TEST_GW_KEY="x")
    assert "notify.gateway.url: may name an environment variable only in its query" in said, said
    said = check("https://gw.example.id/send", body)
    assert "notify.gateway.body.key: names the environment variable TEST_GW_KEY, which is not set" in said, said
    said = check("https://gw.example.id/send", body, TEST_GW_KEY="abc\r")
    assert "notify.gateway.body.key: holds a line break" in said and "abc" not in said, said
