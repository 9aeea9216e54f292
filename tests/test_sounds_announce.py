"""Announcements, the TTS worker and the shipped clips. These need espeak-ng: `make test` installs
it; without it they fail (not skip), because then the lobby TV would be mute or speak English."""

import asyncio
import ctypes.util
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from sounds import CLIP_DIR, MANIFEST_PATH, audio, tts
from sounds.announce import LANG_BREAK, AnnouncementBuilder, ClipUnavailableError
from sounds.manifest import load_manifest
from sounds.phrase import PAUSE, Phrase, phrase_keys
from sounds.regenerate import expected_keys, main, regenerate
from sounds.tts import Renderer, RenderError, VoiceNotFoundError, check_voice

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def renderer() -> Iterator[Renderer]:
    if shutil.which("espeak-ng") is None or ctypes.util.find_library("espeak-ng") is None:
        pytest.fail("espeak-ng is not installed: run `make setup` (or apt-get install espeak-ng libespeak-ng1)")
    with Renderer() as r:
        yield r


@pytest.fixture
def builder(renderer: Renderer, tmp_path: Path) -> AnnouncementBuilder:
    return AnnouncementBuilder(CLIP_DIR, tmp_path / "cache", renderer)


def _wav(path: Path) -> tuple[tuple[int, int, int], float]:
    with wave.open(str(path), "rb") as f:
        return (f.getnchannels(), f.getsampwidth(), f.getframerate()), f.getnframes() / f.getframerate() * 1000


def test_voice_check_finds_indonesian(renderer: Renderer) -> None:
    voice = renderer.check_voice("id")
    assert "id" in voice.languages
    assert voice.id.endswith("/id")  # espeak-ng 1.51: "poz/id"
    assert voice.name == "Indonesian"
    assert check_voice("id") == voice  # the one-shot helper for server start-up
    english = renderer.check_voice("en")
    assert any(lang.startswith("en") for lang in english.languages)


def test_unknown_language_is_an_error_not_english(renderer: Renderer) -> None:
    with pytest.raises(VoiceNotFoundError, match="'xx'"):
        renderer.check_voice("xx")
    with pytest.raises(VoiceNotFoundError):
        renderer.render_clip("x", "halo", "xx", "/nonexistent/x.wav")


def test_shipped_clips_pass_the_regenerate_check() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sounds.regenerate", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "present and match" in result.stdout


def test_regenerate_check_reports_a_damaged_clip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(CLIP_DIR, tmp_path / "clips")
    shutil.copy(MANIFEST_PATH, tmp_path / "manifest.json")
    assert main(["--check", "--root", str(tmp_path)]) == 0
    damaged = tmp_path / "clips" / "seratus.wav"
    damaged.write_bytes(damaged.read_bytes()[:-2] + b"\x01\x02")
    (tmp_path / "clips" / "en" / "ten.wav").unlink()
    assert main(["--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "clip 'seratus'" in err and "sha256" in err
    assert "clip 'en/ten'" in err and "missing" in err


def test_manifest_describes_every_clip() -> None:
    entries = load_manifest()
    assert list(entries) == expected_keys()
    for e in entries.values():
        fmt, ms = _wav(MANIFEST_PATH.parent / e.file)
        assert fmt == (1, 2, 22_050)
        assert abs(ms - e.duration_ms) < 0.1
        assert e.sample_rate == 22_050
        if e.key == "chime":
            continue
        assert 150 < e.duration_ms < 1_200, e  # one trimmed word
        assert e.voice == ("poz/id" if e.lang == "id" else "gmw/en")
        assert e.espeak_ng
    assert entries["antrean"].text == "antrean" and entries["be"].text == "B"
    # package-data in pyproject must ship these: clips/*.wav and clips/en/*.wav
    assert {str(Path(e.file).parent) for e in entries.values()} == {"clips", "clips/en"}


def test_regenerating_reproduces_the_shipped_clips(tmp_path: Path) -> None:
    shipped = load_manifest()
    version = next(e.espeak_ng for e in shipped.values() if e.espeak_ng)
    entries = regenerate(tmp_path)
    if entries[1].espeak_ng != version:
        pytest.skip(f"shipped clips were made with espeak-ng {version}, this machine has {entries[1].espeak_ng}")
    changed = [e.key for e in entries if e.sha256 != shipped[e.key].sha256]
    assert not changed, f"clips differ from sounds/clips; run `python -m sounds.regenerate`: {changed}"


def test_a_clip_does_not_depend_on_what_was_said_before(renderer: Renderer, tmp_path: Path) -> None:
    # libespeak-ng keeps noise and phase state between utterances: in one long-lived engine the second "nol"
    # came out as other samples, and clips re-rendered after a retry or out of order never matched (seen in CI).
    shipped = load_manifest()
    first = renderer.render_clip("nol", "nol", "id", tmp_path / "1.wav")
    renderer.render_clip("en/ess", "S", "en", tmp_path / "2.wav")
    renderer.render_clip("satu", "satu", "id", tmp_path / "3.wav")
    again = renderer.render_clip("nol", "nol", "id", tmp_path / "4.wav")
    english = renderer.render_clip("en/ess", "S", "en", tmp_path / "5.wav")
    assert first.sha256 == again.sha256
    if first.voice.espeak_version == shipped["nol"].espeak_ng:
        assert again.sha256 == shipped["nol"].sha256
        assert english.sha256 == shipped["en/ess"].sha256


def test_an_engine_that_dies_is_a_render_error_and_the_next_clip_works(renderer: Renderer, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="died"):
        renderer._call(tts._in_fresh_engine, os._exit, 3)  # what a crash inside libespeak-ng looks like
    assert renderer.render_clip("nol", "nol", "id", tmp_path / "nol.wav").duration_ms > 150


def test_announcement_a123_loket5(builder: AnnouncementBuilder) -> None:
    a = builder.build_sync("A-123", "Loket 5")
    assert a.clips == ("chime", *phrase_keys("A-123", "Loket 5"))
    assert a.clips[:3] == ("chime", "nomor", "antrean")
    assert a.captions == ("Nomor antrean A seratus dua puluh tiga, silakan menuju loket lima",)
    fmt, ms = _wav(a.path)
    assert fmt == (1, 2, 22_050)
    assert abs(ms - a.duration_ms) < 0.1
    entries = load_manifest()
    clip_sum = sum(entries[k].duration_ms for k in a.clips if k != PAUSE)
    assert clip_sum - 5 < ms < clip_sum + 1_500  # clips + ~60 ms gaps + 400 ms after the chime + pauses
    assert 2_500 < ms < 10_000
    # chime first, byte for byte, then silence, then the first word
    frames = audio.read_frames(a.path)
    chime = audio.read_frames(CLIP_DIR / "chime.wav")
    assert frames.startswith(chime)
    assert frames[len(chime) :].startswith(audio.silence(390))
    assert frames.endswith(audio.silence(100))


def test_same_call_is_a_cache_hit(builder: AnnouncementBuilder) -> None:
    first = builder.build_sync("A-7", "Loket 2")
    again = builder.build_sync("A-007", "2")  # same words, so the same file
    assert not first.cached and again.cached
    assert again.path == first.path
    assert again.duration_ms == pytest.approx(first.duration_ms)
    digits = builder.build_sync("A-007", "Loket 2", mode="digits")
    assert digits.path != first.path
    assert digits.clips[1:] == tuple(phrase_keys("A-007", "Loket 2", mode="digits"))


def test_bilingual_announcement(builder: AnnouncementBuilder) -> None:
    only_id = builder.build_sync("AB-012", "Loket 3")
    both = builder.build_sync("AB-012", "Loket 3", languages=["id", "en"])
    i = both.clips.index(LANG_BREAK)
    assert both.clips[:i] == only_id.clips
    assert both.clips[i + 1 :] == tuple(phrase_keys("AB-012", "Loket 3", lang="en"))
    assert both.captions[1] == "Ticket number A B twelve, please go to counter three"
    assert both.duration_ms > only_id.duration_ms + 400 + 2_000
    assert _wav(both.path)[1] < 20_000


def test_a_recall_is_the_chime_then_panggilan_ulang_then_the_call(builder: AnnouncementBuilder) -> None:
    call = builder.build_sync("F-2", "Loket 6")
    recall = builder.build_sync("F-2", "Loket 6", recall=True)
    assert recall.clips == ("chime", "panggilan", "ulang", PAUSE, *call.clips[1:])
    assert recall.captions == ("Panggilan ulang, nomor antrean F dua, silakan menuju loket enam",)
    frames, chime = audio.read_frames(recall.path), audio.read_frames(CLIP_DIR / "chime.wav")
    assert frames.startswith(chime)
    words = [audio.read_frames(CLIP_DIR / f"{k}.wav") for k in ("panggilan", "ulang", "nomor")]
    at = [frames.find(w) for w in words]
    assert at[0] > len(chime) and at[0] < at[1] < at[2], at  # the marker's words, in order, before the call's
    entries = load_manifest()
    assert recall.duration_ms > call.duration_ms + entries["panggilan"].duration_ms + entries["ulang"].duration_ms


def test_the_brief_form_has_no_chime_and_is_far_shorter(builder: AnnouncementBuilder) -> None:
    full = builder.build_sync("F-2", "Loket 6", languages=["id", "en"], zone="Lantai 2")
    brief = builder.build_sync("F-2", "Loket 6", languages=["id", "en"], zone="Lantai 2", brief=True)
    assert "chime" not in brief.clips
    assert brief.captions == ("F dua, ke loket enam, lantai dua", "F two, counter six, floor two")
    frames = audio.read_frames(brief.path)
    ef, enam = audio.read_frames(CLIP_DIR / "ef.wav"), audio.read_frames(CLIP_DIR / "enam.wav")
    assert frames.startswith(ef)  # the first word at once
    assert 0 < frames.find(enam) < frames.find(audio.read_frames(CLIP_DIR / "en" / "six.wav"))
    fmt, ms = _wav(brief.path)
    assert fmt == (1, 2, 22_050) and abs(ms - brief.duration_ms) < 0.1
    assert 4_000 < ms < full.duration_ms * 0.6, (ms, full.duration_ms)  # every word there, in about half the time
    # In Indonesian alone (most malls): about 2 s instead of about 6
    full, brief = builder.build_sync("F-2", "Loket 6"), builder.build_sync("F-2", "Loket 6", brief=True)
    assert 1_500 < brief.duration_ms < full.duration_ms * 0.4, (brief.duration_ms, full.duration_ms)


def test_unknown_word_is_rendered_into_the_site_cache(builder: AnnouncementBuilder) -> None:
    assert not (builder.extra_dir / "disdukcapil.wav").exists()
    a = builder.build_sync("A-1", "Loket Disdukcapil 2", languages=["id", "en"])
    assert a.clips.count("disdukcapil") == 2  # the Indonesian name, in both language parts
    fmt, ms = _wav(builder.extra_dir / "disdukcapil.wav")
    assert fmt == (1, 2, 22_050)
    assert 500 < ms < 2_000  # four syllables
    assert not (CLIP_DIR / "disdukcapil.wav").exists()  # the shipped vocabulary stays as it is


def test_ensure_vocabulary_renders_missing_words_once(builder: AnnouncementBuilder) -> None:
    phrases = [Phrase("A-1", "Loket Imigrasi 1", lang) for lang in ("id", "en")]
    phrases.append(Phrase("A-1", "2", "en", template="Now serving {ticket} at {counter}"))
    assert builder.ensure_vocabulary(phrases) == ["imigrasi", "en/now", "en/serving", "en/at"]
    assert builder.ensure_vocabulary(phrases) == []
    assert (builder.extra_dir / "en" / "serving.wav").exists()


def test_ensure_vocabulary_names_the_word_it_cannot_make(tmp_path: Path) -> None:
    builder = AnnouncementBuilder(CLIP_DIR, tmp_path, renderer=None)
    with pytest.raises(ClipUnavailableError, match="'Samsat'"):
        builder.ensure_vocabulary([Phrase("A-1", "Loket Samsat 1")])

    class Broken(Renderer):
        def render_clip(self, key, text, lang, out_path):
            raise RenderError("espeak-ng wrote no audio")

    builder = AnnouncementBuilder(CLIP_DIR, tmp_path, renderer=Broken())
    with pytest.raises(ClipUnavailableError, match=r"'Samsat'.*wrote no audio"):
        builder.build_sync("A-1", "Loket Samsat 1")


class SlowRenderer(Renderer):
    """A renderer whose every clip takes 300 ms and which notes the thread each clip was rendered on: build() must
    never run it on the event loop's thread (the loop would stall for every word, and with it every screen)."""

    def __init__(self, inner: Renderer) -> None:
        super().__init__()
        self.inner = inner
        self.threads: list[int] = []
        self.busy = 0  # clips being rendered now

    def render_clip(self, key, text, lang, out_path):
        self.threads.append(threading.get_ident())
        self.busy += 1
        try:
            time.sleep(0.3)
            return self.inner.render_clip(key, text, lang, out_path)
        finally:
            self.busy -= 1


async def test_async_build_never_blocks_the_event_loop(renderer: Renderer, tmp_path: Path) -> None:
    """What happened, not how fast (a busy machine stalls any loop now and then: a 150 ms limit failed under load):
    every clip is rendered off the loop's thread, and the loop went on running while they were."""
    slow = SlowRenderer(renderer)
    builder = AnnouncementBuilder(CLIP_DIR, tmp_path, slow)
    ticks_while_rendering = 0

    async def watch() -> None:
        nonlocal ticks_while_rendering
        while True:
            was_busy = slow.busy > 0
            await asyncio.sleep(0.005)
            ticks_while_rendering += was_busy and slow.busy > 0

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0)
    a, b = await asyncio.gather(builder.build("B-42", "Loket Pajak 4"), builder.build("B-42", "Loket Pajak 4"))
    watcher.cancel()
    assert a.path == b.path and a.path.exists()
    assert _wav(a.path)[1] == pytest.approx(a.duration_ms)
    assert slow.threads and threading.get_ident() not in slow.threads, "a clip was rendered on the event loop"
    assert ticks_while_rendering > 0, "the loop never ran while the clips were rendered"
    assert (await builder.build("B-42", "Loket Pajak 4")).cached


async def test_async_render_clip(renderer: Renderer, tmp_path: Path) -> None:
    clip = await renderer.arender_clip("pelayanan", "pelayanan", "id", tmp_path / "pelayanan.wav")
    assert clip.voice.id.endswith("/id")
    assert 400 < clip.duration_ms < 1_500
    assert _wav(tmp_path / "pelayanan.wav")[1] == pytest.approx(clip.duration_ms)


def test_old_announcements_are_pruned(renderer: Renderer, tmp_path: Path) -> None:
    builder = AnnouncementBuilder(CLIP_DIR, tmp_path, renderer, max_cached=3)
    paths = []
    for n in range(1, 6):
        paths.append(builder.build_sync(f"C-{n}", "1").path)
        time.sleep(0.02)  # pruning goes by mtime; some file systems tick only every few ms
    kept = sorted(p.name for p in builder.out_dir.iterdir())
    assert kept == sorted(p.name for p in paths[-3:])


def test_manifest_is_json_with_one_clip_per_line() -> None:
    text = MANIFEST_PATH.read_text()
    data = json.loads(text)
    assert data["format"] == {"sample_rate": 22_050, "channels": 1, "sample_width": 2}
    assert len(text.splitlines()) == len(data["clips"]) + 2
