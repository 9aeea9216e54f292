"""Speech clips from espeak-ng (through pyttsx3's binding of libespeak-ng), rendered in ONE
worker process, one forked child per clip.

Why a worker process: speech synthesis blocks, so it must never run on the server's asyncio loop.

Why a fresh engine per clip: libespeak-ng carries state from one utterance to the next (libc
rand() noise, flutter and glottal phase), so in a long-lived engine the same word comes out as
other samples depending on what was said before it, and a clip re-rendered after a retry or in
another order never matched the shipped one. libespeak-ng can only be initialised once per
process, so the worker never initialises it: it forks a child per request, the child starts an
engine, speaks, answers on a pipe and exits. Same text and voice, same bytes. ~25 ms per clip.

Why not pyttsx3's Engine: its espeak driver runs libespeak-ng asynchronously (a thread of its
own). In runs of 400-700 fresh engines under load we saw runAndWait return before the file was
written (1-4 empty clips a run), property changes race the synthesis (1-3 clips a run spoken at
rate 200 instead of 170), and every engine's first utterance at rate 200.
We drive the same library through pyttsx3's ctypes binding (pyttsx3.drivers._espeak) in
synchronous mode instead: one thread, every call done when it returns, errors as return codes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from . import audio

# Words per minute. Isolated words come out ~30% longer than in a sentence, so the clips use
# nearly espeak-ng's default (175); pyttsx3 would set 200, hurried for a noisy lobby.
RATE = 170
RENDER_TIMEOUT_S = 60.0
ENGINE_TIMEOUT_S = 20.0  # one forked engine; below RENDER_TIMEOUT_S so that the worker answers first

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


# ---------------------------------------------------------------- forked child side
_samples: list[bytes] = []  # what the synth callback collected for the utterance being spoken


def _espeak() -> Any:
    """pyttsx3's ctypes binding of libespeak-ng, started in synchronous mode (once per child)."""
    try:
        from pyttsx3.drivers import _espeak
    except Exception as e:  # pyttsx3 raises when it cannot load libespeak-ng
        raise RenderError(f"cannot load espeak-ng ({type(e).__name__}: {e}); is espeak-ng installed?") from None
    if not getattr(_espeak, "_mpp_started", False):
        rate = _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 0)
        if rate != audio.SAMPLE_RATE:
            raise RenderError(f"espeak-ng started at {rate} Hz, not {audio.SAMPLE_RATE}; is espeak-ng-data installed?")
        _espeak.SetSynthCallback(_collect)
        _espeak._mpp_started = True
    return _espeak


def _collect(wav: Any, numsamples: int, events: Any) -> int:
    if numsamples > 0:
        _samples.append(ctypes.string_at(wav, numsamples * 2))
    return 0  # go on


def _matches(languages: tuple[str, ...], lang: str) -> bool:
    return any(code == lang or code.startswith(lang + "-") for code in languages)


def _find_voice(lang: str) -> VoiceInfo:
    espeak = _espeak()
    version = (espeak.Info(None) or b"unknown").decode()
    found = []
    for v in espeak.ListVoices(None):
        # `languages` is a priority byte then the language name; the binding reads up to the first NUL.
        languages = (v.languages[1:].decode("utf-8", errors="replace"),) if v.languages else ()
        if _matches(languages, lang):
            found.append(VoiceInfo(v.identifier.decode().lower(), v.name.decode(), languages, version))
    if not found:
        raise VoiceNotFoundError(
            f"espeak-ng {version} has no voice for language {lang!r} (voices come with Debian's espeak-ng-data, "
            f"installed with espeak-ng); refusing to let espeak-ng fall back to English"
        )
    # Prefer the main voice of the language ("poz/id", "gmw/en") over dialects and variants.
    found.sort(key=lambda v: (not v.id.endswith("/" + lang), lang not in v.languages, v.id))
    return found[0]


def _speak(text: str, lang: str) -> tuple[VoiceInfo, bytes]:
    """Speak `text` with the `lang` voice: the voice used and its PCM frames, untrimmed."""
    espeak = _espeak()
    voice = _find_voice(lang)
    if espeak.SetVoiceByName(voice.id.encode()) != espeak.EE_OK:
        raise VoiceNotFoundError(f"espeak-ng refused voice {voice.id!r}")
    current = espeak.GetCurrentVoice()
    if not current or current.contents.identifier.decode().lower() != voice.id:
        raise VoiceNotFoundError(f"asked espeak-ng for voice {voice.id!r} but another is active")
    espeak.SetParameter(espeak.RATE, RATE, 0)
    _samples.clear()
    status = espeak.Synth(text, flags=espeak.ENDPAUSE | espeak.CHARS_UTF8)
    if status != espeak.EE_OK:
        raise RenderError(f"espeak-ng failed on {text!r} (status {status})")
    return voice, b"".join(_samples)


# ---------------------------------------------------------------- worker process side
def _in_fresh_engine(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) in a child forked from this worker, with an espeak-ng engine of its own.

    The worker is single-threaded (a ProcessPoolExecutor worker that never starts espeak-ng), so
    forking it is safe. The child answers with a pickle on a pipe and leaves with os._exit, never
    touching the pool's queues."""
    # Load (never start) the library here once, for every child (-9 ms a clip); a child reports a failure.
    with contextlib.suppress(Exception):
        from pyttsx3.drivers import _espeak  # noqa: F401
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        try:
            payload = pickle.dumps((True, fn(*args)))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the worker
            try:
                payload = pickle.dumps((False, exc))
            except Exception:
                payload = pickle.dumps((False, RenderError(f"{type(exc).__name__}: {exc}")))
        view = memoryview(payload)
        while view:
            view = view[os.write(write_fd, view) :]
        os._exit(0)
    os.close(write_fd)
    chunks: list[bytes] = []
    try:
        deadline = time.monotonic() + ENGINE_TIMEOUT_S
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([read_fd], [], [], remaining)[0]:
                os.kill(pid, signal.SIGKILL)
                raise RenderError(f"espeak-ng gave no answer within {ENGINE_TIMEOUT_S:.0f} s")
            chunk = os.read(read_fd, 65_536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        _, status = os.waitpid(pid, 0)
    if not chunks:
        raise RenderError(f"espeak-ng died (exit status {os.waitstatus_to_exitcode(status)})")
    ok, value = pickle.loads(b"".join(chunks))  # noqa: S301 - our own child, a private pipe
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


def _worker_check_voice(lang: str) -> VoiceInfo:
    return _in_fresh_engine(_find_voice, lang)


def _worker_render(key: str, text: str, lang: str, out_path: str) -> RenderedClip:
    voice, frames = _in_fresh_engine(_speak, text, lang)
    frames = audio.trim_silence(frames)
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
                self._executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
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
        clip: RenderedClip = self._call(_worker_render, key, text, lang, os.fspath(out_path))
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
