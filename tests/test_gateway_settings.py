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

import pytest

from queue_server.domain.catalogue import Gateway
from queue_server.settings.sitefile import DEMO_SITE

from .helpers import eventually, running_server
from .receiver import Receiver
from .test_outbox import FAST, add_webhook, deliveries, notify_site, ticking

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
        async with running_server(database, site_files=[notify_site(tmp_path, gateway)]) as s:
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
        async with running_server(database, site_files=[notify_site(tmp_path, gateway)], **FAST) as s, \
                ticking(s.clock):  # fmt: skip
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
