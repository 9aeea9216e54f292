"""The sample call of the Settings page ("Dengar contoh"): POST .../announcements/sample answers the WAV the lobby TVs
would play with the announcement settings sent, not saved (the TVs' builder, the repeats as a TV plays them), to the
site's admins and supervisors only; settings a save would refuse are refused with the same problems, never a 500."""

from __future__ import annotations

import io
import json
import sqlite3
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import Server, running_server
from .test_announcements import wav_seconds

SAMPLE = "/api/v1/sites/tegal/announcements/sample"
SETTINGS: dict[str, Any] = {"languages": ["id"], "reading": "number", "repeat": 1, "chime": True}


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with running_server(tmp_path / "queue.sqlite3", ignore_hours=True) as s:
        yield s


async def sample_seconds(server: Server, headers: dict[str, str], **changed: Any) -> float:
    r = await server.http.post(SAMPLE, json={"announcements": {**SETTINGS, **changed}}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/wav" and r.headers["cache-control"] == "no-store"
    return wav_seconds(r.content)


async def test_a_sample_call_is_said_with_the_settings_sent_and_nothing_is_saved(server: Server) -> None:
    supervisor = await server.login("supervisor")
    once = await sample_seconds(server, supervisor)
    twice = await sample_seconds(server, supervisor, repeat=2)
    english = await sample_seconds(server, supervisor, languages=["id", "en"])
    digits = await sample_seconds(server, supervisor, reading="digits")
    quiet = await sample_seconds(server, supervisor, chime=False)
    assert 1.5 < once < 12, once
    assert twice > 2 * once, (once, twice)  # said again, 0.7 s apart, as a TV plays it
    assert english > once + 1, (once, english)
    assert digits != once  # "A satu dua tiga" is not "A seratus dua puluh tiga"
    assert quiet < once
    # The same as a TV plays for a real call with these settings (A-123 at the first counter): the TVs' builder.
    admin = await server.login("admin")
    assert await sample_seconds(server, admin) == once
    configuration = (await server.http.get("/api/v1/sites/tegal/configuration", headers=admin)).json()
    assert configuration["version"] == 0, "nothing saved"
    assert configuration["queue_settings"]["announcements"]["repeat"] == 1


async def test_a_sample_is_refused_to_an_operator_and_to_a_stranger(server: Server) -> None:
    operator = await server.login("op-disdukcapil")
    r = await server.http.post(SAMPLE, json={"announcements": SETTINGS}, headers=operator)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
    r = await server.http.post(SAMPLE, json={"announcements": SETTINGS})
    assert r.status_code == 401, r.text


async def test_bad_settings_are_refused_with_the_problems_a_save_would_say(server: Server) -> None:
    supervisor = await server.login("supervisor")

    async def refused(body: Any, **kwargs: Any) -> dict[str, Any]:
        r = await server.http.post(SAMPLE, json=body, headers=supervisor, **kwargs)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)
        return dict(r.json()["error"])

    error = await refused({"announcements": {**SETTINGS, "repeat": 4, "reading": "words"}})
    assert error["code"] == "configuration_invalid"
    assert error["details"]["problems"] == [
        "announcements.reading: 'words' must be 'number' or 'digits'",
        "announcements.repeat: must be a whole number from 1 to 3, got 4",
    ]
    said = error["details"]["problems_text"]["id"]
    assert said[1] == "panggilan suara, ulangan panggilan: harus bilangan bulat dari 1 sampai 3", said
    # a save of the same settings says the same
    admin = await server.login("admin")
    url = "/api/v1/sites/tegal/configuration"
    current = (await server.http.get(url, headers=admin)).json()
    document = {**current["document"], "announcements": {**SETTINGS, "repeat": 4, "reading": "words"}}
    r = await server.http.put(url, json={"version": current["version"], "document": document}, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["details"]["problems"] == error["details"]["problems"]
    # a template without the ticket, one too long, one with a field of its own
    error = await refused({"announcements": {**SETTINGS, "template_id": "Silakan menuju {counter}"}})
    assert error["details"]["problems"] == [
        "announcements.template_id: must be a text containing {ticket} and {counter}"
    ]
    error = await refused({"announcements": {**SETTINGS, "template_id": "{ticket} {counter} " + "x" * 200}})
    assert error["details"]["problems"] == ["announcements.template_id: is 219 characters long, at most 200"]
    error = await refused({"announcements": {**SETTINGS, "template_id": "{ticket} {counter} {name}"}})
    assert error["details"]["problems"][0].startswith("announcements.template_id: bad announcement template")
    assert error["details"]["problems_text"]["id"] == [
        "panggilan suara, kalimat panggilan (Indonesia): di antara kurung kurawal hanya boleh {ticket} atau {counter}"
    ]
    # the wrong shapes: not a table, an unknown key, a sample number that is not a ticket's, a huge body, not JSON
    assert (await refused({"announcements": "id"}))["code"] == "configuration_invalid"
    assert (await refused({}))["code"] == "configuration_invalid"
    assert (await refused({"announcements": SETTINGS, "voice": "x"}))["code"] == "invalid_field"
    for ticket in ("A123", "a-1", "A-12345", 7, "A-1\n"):
        error = await refused({"announcements": SETTINGS, "ticket": ticket})
        assert error["code"] == "invalid_field" and error["details"]["field"] == "ticket", ticket
    assert (await refused({"announcements": {**SETTINGS, "template_id": "x" * 10_000}}))["code"] == "body_too_large"
    r = await server.http.post(SAMPLE, content="[1]", headers={**supervisor, "content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_an_object", r.text
    # a sample with another number says it
    r = await server.http.post(SAMPLE, json={"announcements": SETTINGS, "ticket": "KH-7"}, headers=supervisor)
    assert r.status_code == 200 and wav_seconds(r.content) > 1


def frames(data: bytes) -> bytes:
    with wave.open(io.BytesIO(data)) as w:
        return w.readframes(w.getnframes())


async def test_the_sample_is_the_call_a_tv_plays_said_as_often_as_the_tv_says_it(server: Server) -> None:
    """The TVs' own builder: the sample of a ticket at the first counter is, frame for frame, the WAV a lobby TV
    fetches for that call; with a repeat of 2 it is that WAV twice, 0.7 s apart, as the TV plays it."""
    ticket = (await server.issue("ktp"))["ticket"]
    operator = await server.login("op-disdukcapil")
    assert (await server.command(operator, "1", "open")).status_code == 200
    assert (await server.command(operator, "1", "call_next")).status_code == 200
    seq = server.ctx.storage.last_seq
    assert (await server.ctx.storage.events_after("tegal", seq - 1, 1))[0].type == "ticket.called"
    tv = await server.http.get(f"/api/v1/sites/tegal/announcements/{seq}.wav")
    assert tv.status_code == 200
    supervisor = await server.login("supervisor")
    for repeat in (1, 2):
        body = {"announcements": {**SETTINGS, "repeat": repeat}, "ticket": ticket["label"]}
        r = await server.http.post(SAMPLE, json=body, headers=supervisor)
        assert r.status_code == 200, r.text
        gap = bytes(2 * round(22_050 * 0.7))
        assert frames(r.content) == gap.join([frames(tv.content)] * repeat), repeat


async def test_a_longer_call_sentence_saved_before_the_limit_stays_in_force_after_the_upgrade(tmp_path: Path) -> None:
    """TEMPLATE_MAX came with this release: a sentence of 296 characters saved on the Settings page before it was
    refused at start as "cannot be read here", and the site file served in place of everything saved there (the
    counters, hours ... of that version too). In force, it is served as it is, as a running text is; a new change
    must mend it."""
    database = tmp_path / "queue.sqlite3"
    long = "Nomor antrean {ticket}, silakan menuju {counter}. " + "Mohon siapkan dokumen asli dan fotokopi. " * 6
    async with running_server(database, ignore_hours=True) as server:
        admin = await server.login("admin")
        url = "/api/v1/sites/tegal/configuration"
        current = (await server.http.get(url, headers=admin)).json()
        document = {**current["document"], "announcements": {**SETTINGS, "repeat": 2}}
        r = await server.http.put(url, json={"version": current["version"], "document": document}, headers=admin)
        assert r.status_code == 200, r.text
    with sqlite3.connect(database) as conn:  # as the earlier release let it be saved
        (text,) = conn.execute("SELECT value FROM site_settings WHERE key = 'configuration'").fetchone()
        stored = json.loads(text)
        stored["document"]["announcements"]["template_id"] = long
        conn.execute("UPDATE site_settings SET value = ? WHERE key = 'configuration'", (json.dumps(stored),))
    async with running_server(database, ignore_hours=True) as server:
        admin = await server.login("admin")
        current = (await server.http.get("/api/v1/sites/tegal/configuration", headers=admin)).json()
        assert current["version"] == 1 and current["source"] == "web", current["version"]
        said = current["queue_settings"]["announcements"]
        assert (said["template_id"], said["repeat"]) == (long, 2)
        r = await server.http.put(
            "/api/v1/sites/tegal/configuration", json={"version": 1, "document": current["document"]}, headers=admin
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"]["details"]["problems"] == [
            f"announcements.template_id: is {len(long)} characters long, at most 200"
        ]
