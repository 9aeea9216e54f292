"""The server speaks each call: the event carries its announcement, and the WAV decodes and lasts as it should."""

from __future__ import annotations

import io
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import pytest

from queue_server.application.announcements import VocabularyError
from queue_server.live.wire import event_message
from queue_server.settings.config import Config
from queue_server.settings.sitefile import DEMO_SITE
from queue_server.web.app import create_app

from .helpers import Server, running_server


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        return w.getnframes() / w.getframerate()


async def called_at_loket_5(server: Server) -> tuple[int, dict[str, Any]]:
    """F-001 (issued by the caller) called at Loket 5 (Polres): the call's seq, and its announcement as a lobby
    screen is told it."""
    op = await server.login("op-polres")
    assert (await server.command(op, "5", "open")).status_code == 200
    assert (await server.command(op, "5", "call_next")).status_code == 200
    seq = server.ctx.storage.last_seq
    event = (await server.ctx.storage.events_after("tegal", seq - 1, 1))[0]
    assert event.type == "ticket.called"
    return seq, event_message(event, "public", server.ctx.sites["tegal"])["data"]["announcement"]


async def test_a_call_is_spoken(server: Server) -> None:
    for _ in range(12):
        await server.issue("skck")
    seq, announcement = await called_at_loket_5(server)
    assert announcement["text"] == "Nomor antrean F satu, silakan menuju loket lima"
    assert announcement["url"] == f"/api/v1/sites/tegal/announcements/{seq}.wav" and announcement["repeat"] == 1
    wav = await server.http.get(announcement["url"])
    assert wav.status_code == 200 and wav.headers["content-type"] == "audio/wav"
    seconds = wav_seconds(wav.content)
    assert 2.5 < seconds < 8, seconds  # chime (~1.2 s) + eight words
    # Recall: announced again, said as a recall ("Panggilan ulang, ..."; an outside review: a blind citizen could
    # not tell a recall from a call): the chime, the two words, then the same call.
    await server.command(await server.login("op-polres"), "5", "recall")
    recalled = (await server.ctx.storage.events_after("tegal", seq, 1))[0]
    again = event_message(recalled, "public", server.ctx.sites["tegal"])["data"]["announcement"]
    assert again["text"] == "Panggilan ulang, nomor antrean F satu, silakan menuju loket lima"
    said_again = await server.http.get(again["url"])
    assert said_again.status_code == 200 and said_again.content != wav.content
    clips = Path(__file__).parent.parent / "sounds" / "clips"
    chime, call = pcm((clips / "chime.wav").read_bytes()), pcm(wav.content)
    words = [pcm((clips / f"{word}.wav").read_bytes()) for word in ("panggilan", "ulang")]
    frames = pcm(said_again.content)
    assert frames.startswith(chime)
    at = [frames.find(word) for word in words]
    assert len(chime) < at[0] < at[1], at
    assert frames.find(call[len(chime) + 22050 : -22050]) > at[1], "then the call's own words"
    assert wav_seconds(said_again.content) > seconds + 1


async def test_a_call_has_a_brief_form_for_a_busy_hall(server: Server) -> None:
    """The short form a screen says while many calls wait (an outside review: in a burst a TV said one call every
    ~8 s and a citizen lost their turn unheard): the number and the counter, with no chime, far shorter."""
    await server.issue("skck")
    _, announcement = await called_at_loket_5(server)
    brief = announcement["brief"]
    assert brief == {"url": announcement["url"] + "?brief=1", "text": "F satu, ke loket lima", "text_en": None}
    where = announcement["with_zone"]["brief"]
    assert where["url"] == announcement["url"] + "?zone=1&brief=1"
    assert where["text"] == "F satu, ke loket lima, lantai satu"
    full, short = (await server.http.get(announcement["url"])).content, (await server.http.get(brief["url"])).content
    clips = Path(__file__).parent.parent / "sounds" / "clips"
    chime = pcm((clips / "chime.wav").read_bytes())
    assert pcm(full).startswith(chime) and pcm(short).find(chime[:22050]) < 0  # no chime at all
    assert pcm(short).startswith(pcm((clips / "ef.wav").read_bytes()))  # "F": the number at once
    assert 1.5 < wav_seconds(short) < wav_seconds(full) * 0.4
    zoned = (await server.http.get(where["url"])).content
    assert wav_seconds(zoned) > wav_seconds(short) + 0.4  # "lantai satu" too


async def test_only_calls_have_announcements(server: Server) -> None:
    await server.issue("ktp")
    for path in ("/api/v1/sites/tegal/announcements/1.wav", "/api/v1/sites/tegal/announcements/999.wav",
                 "/api/v1/sites/tegal/announcements/abc.wav", "/api/v1/sites/tegal/announcements/-1.wav"):  # fmt: skip
        r = await server.http.get(path)
        assert r.status_code == 404 and r.json()["error"]["code"] in ("unknown_announcement", "not_found"), path


async def test_counter_name_words_are_rendered_at_start(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(DEMO_SITE.read_text().replace('name = "Loket 24"', 'name = "Loket Pos 24"'))
    async with running_server(tmp_path / "db.sqlite3", site_files=[site], sound_cache=tmp_path / "cache") as s:
        assert (tmp_path / "cache" / "tegal" / "extra").exists()
        assert list((tmp_path / "cache" / "tegal" / "extra").glob("*.wav")), "the word 'pos' was rendered"
        await s.issue("pos_kirim")
        op = await s.login("op-pos")
        await s.command(op, "24", "open")
        await s.command(op, "24", "call_next")
        r = await s.http.get(f"/api/v1/sites/tegal/announcements/{s.ctx.storage.last_seq}.wav")
        assert r.status_code == 200 and wav_seconds(r.content) > 2.5


def test_a_counter_name_that_cannot_be_spoken_is_refused_at_start(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(DEMO_SITE.read_text().replace('name = "Loket 24"', 'name = "Loket ☎ 24"'))
    with pytest.raises(VocabularyError, match="counter 24 name 'Loket ☎ 24' cannot be spoken: ☎ has no sound"):
        create_app(Config(database=tmp_path / "db.sqlite3", site_files=[site]))
    result = subprocess.run([sys.executable, "-m", "queue_server", "serve", "--site", str(site), "--db",
                             str(tmp_path / "db.sqlite3")], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode != 0 and "☎ has no sound" in result.stderr


def pcm(data: bytes) -> bytes:
    with wave.open(io.BytesIO(data)) as w:
        return w.readframes(w.getnframes())


async def test_a_screen_over_several_floors_says_the_floor_after_the_counter(server: Server) -> None:
    """Issue 17: "silakan menuju loket lima, lantai satu" on a screen that serves more than one floor; the words
    are the shipped clips, in that order, after the same call a one-floor screen hears."""
    await server.issue("skck")
    _, announcement = await called_at_loket_5(server)
    zone = server.ctx.sites["tegal"].counters["5"].zone
    assert zone == "Lantai 1"
    where = announcement["with_zone"]
    assert where["text"] == "Nomor antrean F satu, silakan menuju loket lima, lantai satu"
    assert where["url"] == announcement["url"] + "?zone=1"
    plain = (await server.http.get(announcement["url"])).content
    spoken = (await server.http.get(where["url"])).content
    assert wav_seconds(spoken) > wav_seconds(plain) + 0.4, "two more words"
    clips = Path(__file__).parent.parent / "sounds" / "clips"
    lantai, satu = pcm((clips / "lantai.wav").read_bytes()), pcm((clips / "satu.wav").read_bytes())
    tail = pcm(spoken)[len(pcm(plain)) - 2 * 22050 // 10 :]  # after the call a one-floor screen hears
    at_lantai = tail.find(lantai[200:-200])
    assert at_lantai >= 0, "the floor word is the shipped clip"
    assert tail.find(satu[200:-200], at_lantai) > at_lantai, "then its number, in that order"
    # the pages: the lobby (both floors) plays this variant, the first floor's screen the plain one
    from display.web import page_config

    site = server.ctx.sites["tegal"]
    assert page_config(site, site.screens["lobby"], "id")["multi_floor"] is True
    assert page_config(site, site.screens["lantai1"], "id")["multi_floor"] is False
