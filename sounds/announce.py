"""One WAV file per call: chime + word clips, in one or more languages, cached by content.

The file name is a hash of the clip sequence, the gaps and each clip's sha256, so the same
call again is a file lookup, and a re-rendered clip can never be served from a stale file.
Words that are not in the shipped vocabulary (agency names in counter names, custom template
words) are rendered once through the Renderer's worker process into <cache_dir>/extra/.

Files are written atomically, so a page fetching an announcement always gets a complete file.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import threading
import wave
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import audio
from .manifest import CHIME_KEY, clip_file, load_manifest
from .phrase import PAUSE, ClipSpec, Phrase, needed_clips
from .tts import Renderer

GAP_MS = 40  # between words; with the clips' own 5+15 ms margins about 60 ms of silence
PAUSE_MS = 220  # at a comma of the template
CHIME_GAP_MS = 400  # after the chime, before the first word
LANG_GAP_MS = 400  # between the Indonesian and the English part
TAIL_MS = 150  # some players click or clip the last few ms; end on silence
LANG_BREAK = "|"  # marks the change of language in Announcement.clips
_FORMAT_VERSION = 1  # bump when the way files are joined changes
REPEAT_GAP_MS = 700  # between two repeats of one call, as a lobby TV plays them (display/static/js/announcer.js)
MAX_CACHED = 2000  # announcements kept on disk (~200 kB each); least recently used go first


def repeated(path: Path, times: int) -> bytes:
    """A call's WAV said `times` over, as one WAV: what a lobby TV plays for a site's `repeat` (it plays the one file
    that often, REPEAT_GAP_MS apart), for a page that lets someone hear it before it is saved."""
    frames = audio.silence(REPEAT_GAP_MS).join([audio.read_frames(path)] * max(1, times))
    out = io.BytesIO()
    with wave.open(out, "wb") as f:
        f.setnchannels(audio.CHANNELS)
        f.setsampwidth(audio.SAMPLE_WIDTH)
        f.setframerate(audio.SAMPLE_RATE)
        f.writeframes(frames)
    return out.getvalue()


class ClipUnavailableError(RuntimeError):
    """A word has no clip and none could be rendered."""


@dataclass(frozen=True)
class Announcement:
    path: Path
    duration_ms: float
    clips: tuple[str, ...]  # "chime", word keys, PAUSE (","), LANG_BREAK ("|"), in play order
    captions: tuple[str, ...]  # the text of each language part, for on-screen captions
    cached: bool  # True when the file already existed


@dataclass
class _Clip:
    path: Path
    sha256: str
    frames: bytes | None = None


class AnnouncementBuilder:
    """Builds and caches announcement WAVs for one site.

    clip_dir: shipped clips, normally sounds.CLIP_DIR (described by sounds/manifest.json).
    cache_dir: site-specific; holds extra/ (words rendered on demand) and announcements/.
    renderer: renders missing words; None means missing words are an error.
    """

    def __init__(
        self,
        clip_dir: Path | str,
        cache_dir: Path | str,
        renderer: Renderer | None = None,
        max_cached: int = MAX_CACHED,
    ) -> None:
        self.clip_dir = Path(clip_dir)
        self.cache_dir = Path(cache_dir)
        self.extra_dir = self.cache_dir / "extra"
        self.out_dir = self.cache_dir / "announcements"
        self.renderer = renderer
        self.max_cached = max_cached
        self._clips: dict[str, _Clip] = {}
        manifest = self.clip_dir.parent / "manifest.json"
        if manifest.exists():  # known hashes: no need to read the shipped clips to name a file
            for key, entry in load_manifest(manifest).items():
                self._clips[key] = _Clip(manifest.parent / entry.file, entry.sha256)
        self._thread_lock = threading.Lock()
        self._async_lock = asyncio.Lock()

    # ------------------------------------------------------------ clips
    def _find(self, key: str) -> _Clip | None:
        clip = self._clips.get(key)
        if clip is not None and clip.path.exists():
            return clip
        for folder in (self.clip_dir, self.extra_dir):
            path = folder / clip_file(key)
            if path.exists():
                self._clips[key] = clip = _Clip(path, audio.sha256_file(path))
                return clip
        return None

    def missing(self, specs: Iterable[ClipSpec]) -> list[ClipSpec]:
        """The clips among `specs` that exist neither shipped nor in the extra folder."""
        return [s for s in specs if self._find(s.key) is None]

    def _render(self, spec: ClipSpec) -> None:
        if self.renderer is None:
            raise ClipUnavailableError(f"no clip for the word {spec.text!r} (key {spec.key!r}) and no renderer")
        try:
            self.renderer.render_clip(spec.key, spec.text, spec.lang, self.extra_dir / clip_file(spec.key))
        except Exception as e:
            raise ClipUnavailableError(f"cannot make a clip for the word {spec.text!r} (key {spec.key!r}): {e}") from e
        self._clips.pop(spec.key, None)

    def ensure_vocabulary(self, phrases: Iterable[Phrase]) -> list[str]:
        """Render every word the phrases need that has no clip yet (blocking); returns their keys.

        Call it when a site file is loaded, with one Phrase per counter and language, so the
        first real call does not wait for the TTS and a word that cannot be spoken is
        reported at once, by name.
        """
        return self._ensure_specs(needed_clips(phrases))

    async def aensure_vocabulary(self, phrases: Iterable[Phrase]) -> list[str]:
        """ensure_vocabulary for the event loop: rendering waits in a thread, runs in the worker."""
        specs = needed_clips(phrases)
        async with self._async_lock:
            if not self.missing(specs):  # the usual case: no thread hop at all
                return []
            return await asyncio.get_running_loop().run_in_executor(None, self._ensure_specs, specs)

    def _ensure_specs(self, specs: list[ClipSpec]) -> list[str]:
        with self._thread_lock:
            todo = self.missing(specs)
            for spec in todo:
                self._render(spec)
        return [s.key for s in todo]

    def _clip(self, key: str) -> _Clip:
        clip = self._find(key)
        if clip is None:
            raise ClipUnavailableError(f"no clip for key {key!r}")
        return clip

    def _frames(self, key: str) -> bytes:
        clip = self._clip(key)
        if clip.frames is None:
            clip.frames = audio.read_frames(clip.path)
        return clip.frames

    # ------------------------------------------------------------ announcements
    def phrases(
        self,
        ticket: str,
        counter: str,
        languages: Sequence[str] = ("id",),
        mode: str = "number",
        templates: Mapping[str, str] | None = None,
        zone: str | None = None,
        recall: bool = False,
        brief: bool = False,
    ) -> list[Phrase]:
        if not languages:
            raise ValueError("an announcement needs at least one language")
        templates = templates or {}
        return [Phrase(ticket, counter, lang, mode, templates.get(lang), zone, recall, brief) for lang in languages]

    def _plan(self, phrases: list[Phrase], chime: bool) -> tuple[list[str], list[str]]:
        sequence = [CHIME_KEY] if chime else []
        for i, phrase in enumerate(phrases):
            sequence += ([LANG_BREAK] if i else []) + phrase.keys()
        return sequence, [p.text() for p in phrases]

    def _target(self, sequence: list[str]) -> Path:
        signature = {
            "v": _FORMAT_VERSION,
            "gaps": [GAP_MS, PAUSE_MS, CHIME_GAP_MS, LANG_GAP_MS, TAIL_MS],
            "clips": [[k, "" if k in (PAUSE, LANG_BREAK) else self._clip(k).sha256] for k in sequence],
        }
        digest = hashlib.sha256(json.dumps(signature).encode()).hexdigest()[:32]
        return self.out_dir / f"{digest}.wav"

    def _join(self, sequence: list[str]) -> bytes:
        parts: list[bytes] = []
        previous_was_word = False
        for key in sequence:
            if key == CHIME_KEY:
                parts += [self._frames(key), audio.silence(CHIME_GAP_MS)]
                previous_was_word = False
            elif key == LANG_BREAK:
                parts.append(audio.silence(LANG_GAP_MS))
                previous_was_word = False
            elif key == PAUSE:
                parts.append(audio.silence(PAUSE_MS))
                previous_was_word = False
            else:
                if previous_was_word:
                    parts.append(audio.silence(GAP_MS))
                parts.append(self._frames(key))
                previous_was_word = True
        parts.append(audio.silence(TAIL_MS))
        return b"".join(parts)

    def _finish(self, sequence: list[str], captions: list[str]) -> Announcement:
        target = self._target(sequence)
        cached = target.exists()
        if cached:
            os.utime(target)  # mark as recently used for pruning
            with wave.open(str(target), "rb") as f:
                duration_ms = f.getnframes() / f.getframerate() * 1000
        else:
            frames = self._join(sequence)
            audio.write_wav(target, frames)
            duration_ms = audio.duration_ms(frames)
            self._prune()
        return Announcement(target, duration_ms, tuple(sequence), tuple(captions), cached)

    def _prune(self) -> None:
        files = [e for e in os.scandir(self.out_dir) if e.name.endswith(".wav")]
        if len(files) <= self.max_cached:
            return
        files.sort(key=lambda e: e.stat().st_mtime_ns)
        for entry in files[: len(files) - self.max_cached]:
            Path(entry.path).unlink(missing_ok=True)

    def build_sync(
        self,
        ticket: str,
        counter: str,
        languages: Sequence[str] = ("id",),
        mode: str = "number",
        templates: Mapping[str, str] | None = None,
        chime: bool = True,
        zone: str | None = None,
        recall: bool = False,
        brief: bool = False,
    ) -> Announcement:
        """Blocking build: renders missing words (in the worker) then joins the clips."""
        phrases = self.phrases(ticket, counter, languages, mode, templates, zone, recall, brief)
        sequence, captions = self._plan(phrases, chime and not brief)
        self.ensure_vocabulary(phrases)
        return self._finish(sequence, captions)

    async def build(
        self,
        ticket: str,
        counter: str,
        languages: Sequence[str] = ("id",),
        mode: str = "number",
        templates: Mapping[str, str] | None = None,
        chime: bool = True,
        zone: str | None = None,
        recall: bool = False,
        brief: bool = False,
    ) -> Announcement:
        """Build for the event loop: TTS never runs on the loop; joining (~2 ms) does.

        ticket: label such as "A-123"; counter: name such as "Loket 5"; languages: e.g.
        ["id"] or ["id", "en"]; mode: "number" or "digits"; templates: per language,
        e.g. {"id": "Nomor antrean {ticket}, silakan ke {counter}"}; zone: the counter's floor, said after it
        ("..., silakan menuju loket sembilan, lantai dua"); recall: begins with "Panggilan ulang" ("Once again");
        brief: the short form of a busy hall ("A dua belas, ke loket satu"), without the chime.
        """
        phrases = self.phrases(ticket, counter, languages, mode, templates, zone, recall, brief)
        sequence, captions = self._plan(phrases, chime and not brief)
        await self.aensure_vocabulary(phrases)
        return self._finish(sequence, captions)
