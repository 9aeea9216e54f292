"""Speech clips from pyttsx3 (espeak-ng), rendered in ONE worker process.

Why a worker process: pyttsx3 is synchronous and libespeak-ng may only be initialised once
per process, so it must never run on the server's asyncio loop. The worker's initializer
creates the single engine; every clip is one save_to_file + runAndWait (several save_to_file
calls before one runAndWait keep only the last).

pyttsx3 2.99 traps worth knowing (all checked here):
- An unknown voice does not raise: the driver's error is swallowed by the command queue and
  the engine keeps speaking English. We pick the voice by language, then read the voice back
  after rendering and reject the clip if it is not the one asked for.
- setProperty() is queued until the first runAndWait(), so the voice is set in the same
  batch as save_to_file and verified afterwards.
- The espeak driver prints "Audio saved to ..." on stdout; we silence it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import multiprocessing
import os
import tempfile
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from . import audio

# Words per minute. Isolated words come out ~30% longer than in a sentence, so the clips use
# nearly espeak-ng's default (175); pyttsx3 would set 200, hurried for a noisy lobby.
RATE = 170
RENDER_TIMEOUT_S = 60.0

T = TypeVar("T")


class VoiceNotFoundError(RuntimeError):
    """No espeak-ng voice for the language (espeak-ng would silently speak English instead)."""


class RenderError(RuntimeError):
    """A clip could not be rendered."""


@dataclass(frozen=True)
class VoiceInfo:
    id: str  # espeak-ng voice identifier, e.g. "poz/id"
    name: str  # e.g. "Indonesian"
    languages: tuple[str, ...]  # e.g. ("id",)
    espeak_version: str  # of the loaded libespeak-ng, e.g. "1.51"


@dataclass(frozen=True)
class RenderedClip:
    key: str
    text: str
    lang: str
    path: str
    duration_ms: float
    sha256: str
    voice: VoiceInfo


# ---------------------------------------------------------------- worker process side
_engine: Any = None
_init_error: str | None = None
_errors: list[BaseException] = []
_voices: dict[str, VoiceInfo] = {}


def _init_worker() -> None:
    # An exception here would only show up as an anonymous BrokenProcessPool; keep it for
    # the first task to raise instead.
    global _engine, _init_error
    try:
        import pyttsx3  # only the worker ever loads libespeak-ng

        _engine = pyttsx3.init("espeak")
        _engine.connect("error", lambda name=None, exception=None: _errors.append(exception or RenderError(name)))
    except Exception as e:
        _init_error = f"cannot start pyttsx3/espeak-ng ({type(e).__name__}: {e}); is espeak-ng installed?"


def _require_engine() -> None:
    if _engine is None:
        raise RenderError(_init_error or "TTS worker not initialised")


def _matches(languages: tuple[str, ...], lang: str) -> bool:
    return any(code == lang or code.startswith(lang + "-") for code in languages)


def _find_voice(lang: str) -> VoiceInfo:
    _require_engine()
    if lang in _voices:
        return _voices[lang]
    from pyttsx3.drivers import _espeak

    version = (_espeak.Info(None) or b"unknown").decode()
    found = [
        VoiceInfo(v.id, v.name, tuple(v.languages or ()), version)
        for v in _engine.getProperty("voices")
        if _matches(tuple(v.languages or ()), lang)
    ]
    if not found:
        raise VoiceNotFoundError(
            f"espeak-ng {version} has no voice for language {lang!r} (voices come with Debian's espeak-ng-data, "
            f"installed with espeak-ng); refusing to let espeak-ng fall back to English"
        )
    # Prefer the main voice of the language ("poz/id", "gmw/en") over dialects and variants.
    found.sort(key=lambda v: (not v.id.endswith("/" + lang), lang not in v.languages, v.id))
    _voices[lang] = found[0]
    return found[0]


def _worker_check_voice(lang: str) -> VoiceInfo:
    return _find_voice(lang)


def _synthesise(text: str, voice: VoiceInfo, path: str) -> None:
    _errors.clear()
    _engine.setProperty("voice", voice.id)
    _engine.setProperty("rate", RATE)
    _engine.save_to_file(text, path)
    with contextlib.redirect_stdout(io.StringIO()):
        _engine.runAndWait()
    if _errors:
        raise RenderError(f"espeak-ng failed on {text!r}: {_errors[0]}")
    actual = _engine.getProperty("voice")
    if actual != voice.id:
        raise VoiceNotFoundError(f"asked espeak-ng for voice {voice.id!r} but it spoke with {actual!r}")


def _worker_render(key: str, text: str, lang: str, out_path: str) -> RenderedClip:
    voice = _find_voice(lang)
    fd, raw_path = tempfile.mkstemp(suffix=".wav")
    os.close(fd)
    try:
        for _ in range(2):  # espeak-ng occasionally writes nothing; one retry is enough
            Path(raw_path).unlink(missing_ok=True)
            _synthesise(text, voice, raw_path)
            if Path(raw_path).exists() and Path(raw_path).stat().st_size > 44:
                break
        else:
            raise RenderError(f"espeak-ng wrote no audio for clip {key!r} ({text!r})")
        frames = audio.trim_silence(audio.read_frames(raw_path))
    finally:
        Path(raw_path).unlink(missing_ok=True)
    if not frames:
        raise RenderError(f"clip {key!r} ({text!r}) came out silent with voice {voice.id!r}")
    audio.write_wav(out_path, frames)
    return RenderedClip(key, text, lang, out_path, audio.duration_ms(frames), audio.sha256_file(out_path), voice)


# ---------------------------------------------------------------- caller side
class Renderer:
    """Owns the single TTS worker process; safe to share between threads and coroutines."""

    def __init__(self, timeout_s: float = RENDER_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                # "spawn": forking a threaded server (uvicorn, asyncio) can deadlock the child.
                self._executor = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker
                )
            return self._executor

    def _discard_pool(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            # A hung espeak-ng never returns: kill the worker so that the next call gets a fresh
            # one. ProcessPoolExecutor has no public way to do this.
            for process in list(getattr(executor, "_processes", {}).values()):
                process.kill()
            executor.shutdown(wait=False, cancel_futures=True)

    def _call(self, fn: Any, *args: Any) -> Any:
        for attempt in range(2):
            future = self._pool().submit(fn, *args)
            try:
                return future.result(timeout=self.timeout_s)
            except BrokenProcessPool:  # the worker died (e.g. espeak-ng crashed): one fresh try
                self._discard_pool()
                if attempt:
                    raise RenderError(
                        "the TTS worker process died twice in a row (with the 'spawn' start method the main "
                        "module must guard its entry point with `if __name__ == '__main__':`)"
                    ) from None
            except FutureTimeout:
                self._discard_pool()
                raise RenderError(f"TTS worker gave no answer within {self.timeout_s:.0f} s") from None
        raise AssertionError("unreachable")

    def check_voice(self, lang: str = "id") -> VoiceInfo:
        """The voice used for `lang`; raises VoiceNotFoundError if espeak-ng has none."""
        info: VoiceInfo = self._call(_worker_check_voice, lang)
        return info

    def render_clip(self, key: str, text: str, lang: str, out_path: str | os.PathLike[str]) -> RenderedClip:
        """Speak `text` with the `lang` voice into a trimmed 22,050 Hz mono 16-bit WAV (blocking)."""
        try:
            clip: RenderedClip = self._call(_worker_render, key, text, lang, os.fspath(out_path))
        except RenderError as exc:
            if "wrote no audio" not in str(exc):
                raise
            # Seen rarely under load: an engine that has gone quiet keeps writing nothing. A fresh worker process
            # (a new engine) renders the clip; a second silence is a real error.
            self._discard_pool()
            clip = self._call(_worker_render, key, text, lang, os.fspath(out_path))
        return clip

    async def acheck_voice(self, lang: str = "id") -> VoiceInfo:
        return await asyncio.get_running_loop().run_in_executor(None, self.check_voice, lang)

    async def arender_clip(self, key: str, text: str, lang: str, out_path: str | os.PathLike[str]) -> RenderedClip:
        """render_clip without blocking the event loop (waits in a thread, renders in the worker)."""
        return await asyncio.get_running_loop().run_in_executor(None, self.render_clip, key, text, lang, out_path)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_voice(lang: str = "id") -> VoiceInfo:
    """Start a worker just to check that espeak-ng has a voice for `lang` (e.g. at server start)."""
    with Renderer() as renderer:
        return renderer.check_voice(lang)
