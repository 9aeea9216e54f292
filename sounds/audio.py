"""WAV helpers on the stdlib only: read/normalise, trim silence, join, the chime.

Every clip and announcement is 22,050 Hz mono 16-bit PCM (what espeak-ng produces), so
joining is plain byte concatenation. Samples are handled with `array` ("h" = int16);
`audioop` is avoided because it is deprecated and gone in Python 3.13.
"""

from __future__ import annotations

import array
import hashlib
import math
import os
import sys
import tempfile
import wave
from pathlib import Path

SAMPLE_RATE = 22_050
SAMPLE_WIDTH = 2
CHANNELS = 1
# A 5 ms window whose peak stays under -44 dBFS counts as silence. espeak-ng pads with exact
# zeros, and the quietest speech (a final "t" burst) still peaks near -30 dBFS.
SILENCE_THRESHOLD = 200
SILENCE_WINDOW_MS = 5
# Keep a little around the speech so plosives and decays are not clipped.
TRIM_PAD_START_MS = 5
TRIM_PAD_END_MS = 15


def _samples(frames: bytes) -> array.array[int]:
    a = array.array("h")
    a.frombytes(frames)
    if sys.byteorder == "big":  # WAV is little-endian
        a.byteswap()
    return a


def _frames(samples: array.array[int]) -> bytes:
    if sys.byteorder == "big":
        samples = array.array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def read_frames(path: str | os.PathLike[str]) -> bytes:
    """PCM frames of a WAV file, converted to 22,050 Hz mono 16-bit if it is not already."""
    with wave.open(os.fspath(path), "rb") as f:
        channels, width, rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
        raw = f.readframes(f.getnframes())
    if (channels, width, rate) == (CHANNELS, SAMPLE_WIDTH, SAMPLE_RATE):
        return raw
    return _frames(_normalise(raw, channels, width, rate))


def _normalise(raw: bytes, channels: int, width: int, rate: int) -> array.array[int]:
    if width == 1:  # 8-bit WAV is unsigned
        values = [(b - 128) << 8 for b in raw]
    elif width == 2:
        values = list(_samples(raw))
    elif width in (3, 4):  # keep the top 16 bits
        values = [
            int.from_bytes(raw[i : i + width], "little", signed=True) >> (8 * (width - 2))
            for i in range(0, len(raw), width)
        ]
    else:
        raise ValueError(f"unsupported WAV sample width: {width} bytes")
    if channels > 1:
        values = [sum(values[i : i + channels]) // channels for i in range(0, len(values), channels)]
    if rate != SAMPLE_RATE and values:  # linear interpolation is plenty for speech
        step = rate / SAMPLE_RATE
        count = int(len(values) / step)
        last = len(values) - 1
        resampled = []
        for i in range(count):
            pos = i * step
            j = int(pos)
            frac = pos - j
            nxt = values[min(j + 1, last)]
            resampled.append(round(values[j] + (nxt - values[j]) * frac))
        values = resampled
    return array.array("h", values)


def write_wav(path: str | os.PathLike[str], frames: bytes) -> None:
    """Write atomically (temp file + rename): a reader never sees a half-written WAV."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".wav.tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as raw, wave.open(raw, "wb") as f:
            f.setnchannels(CHANNELS)
            f.setsampwidth(SAMPLE_WIDTH)
            f.setframerate(SAMPLE_RATE)
            f.writeframes(frames)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; clips are served and committed
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def silence(ms: float) -> bytes:
    return bytes(SAMPLE_WIDTH * round(SAMPLE_RATE * ms / 1000))


def duration_ms(frames: bytes) -> float:
    return len(frames) / SAMPLE_WIDTH / SAMPLE_RATE * 1000


def trim_silence(frames: bytes) -> bytes:
    """Cut leading/trailing silence so that joined words are spaced by our gaps, not espeak's."""
    samples = _samples(frames)
    win = SAMPLE_RATE * SILENCE_WINDOW_MS // 1000
    loud = [i for i in range(0, len(samples), win) if max(map(abs, samples[i : i + win])) > SILENCE_THRESHOLD]
    if not loud:
        return b""
    start = max(0, loud[0] - SAMPLE_RATE * TRIM_PAD_START_MS // 1000)
    end = min(len(samples), loud[-1] + win + SAMPLE_RATE * TRIM_PAD_END_MS // 1000)
    out = samples[start:end]
    fade = min(len(out) // 2, SAMPLE_RATE * SILENCE_WINDOW_MS // 1000)  # avoid clicks at the cut
    for i in range(fade):
        out[i] = out[i] * i // fade
        out[-1 - i] = out[-1 - i] * i // fade
    return _frames(out)


def chime(duration_s: float = 1.2) -> bytes:
    """A "ting tong": ~880 Hz then ~660 Hz, each with a soft attack and exponential decay."""
    n = round(SAMPLE_RATE * duration_s)
    out = [0.0] * n
    for start_s, freq in ((0.0, 880.0), (0.45, 660.0)):
        start = round(start_s * SAMPLE_RATE)
        for i in range(n - start):
            t = i / SAMPLE_RATE
            envelope = min(1.0, t / 0.005) * math.exp(-t / 0.22)
            # A quiet octave partial makes it sound like a bell rather than a test tone.
            tone = math.sin(2 * math.pi * freq * t) + 0.25 * math.sin(4 * math.pi * freq * t)
            out[start + i] += envelope * tone
    peak = max(map(abs, out)) or 1.0
    scale = 0.6 * 32767 / peak  # -4.4 dBFS: as loud as the speech, never clipping
    samples = array.array("h", (round(x * scale) for x in out))
    fade = SAMPLE_RATE * 20 // 1000  # the tail ends at exact zero
    for i in range(fade):
        samples[-1 - i] = samples[-1 - i] * i // fade
    return _frames(samples)


def sha256_file(path: str | os.PathLike[str]) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
