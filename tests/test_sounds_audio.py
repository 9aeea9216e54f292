"""The stdlib WAV helpers: chime, silence trimming, format normalisation (no espeak-ng needed)."""

import array
import math
import wave
from pathlib import Path

from sounds import CLIP_DIR, audio


def _tone(ms: float, freq: float = 440.0, amp: int = 10_000) -> array.array:
    n = round(audio.SAMPLE_RATE * ms / 1000)
    return array.array("h", (round(amp * math.sin(2 * math.pi * freq * i / audio.SAMPLE_RATE)) for i in range(n)))


def test_chime_is_two_decaying_tones_of_about_1_2_s() -> None:
    frames = audio.chime()
    assert abs(audio.duration_ms(frames) - 1200) < 1
    samples = array.array("h", frames)
    peak = max(map(abs, samples))
    assert 0.5 * 32767 < peak <= 0.61 * 32767  # loud, not clipping
    assert samples[-1] == 0  # ends on silence: no click
    first_tone = max(map(abs, samples[: audio.SAMPLE_RATE * 40 // 100]))
    decayed = max(map(abs, samples[audio.SAMPLE_RATE * 40 // 100 : audio.SAMPLE_RATE * 45 // 100]))
    assert decayed < first_tone * 0.4  # the "ting" decays before the "tong" strikes
    assert frames == audio.read_frames(CLIP_DIR / "chime.wav")  # shipped chime is the generated one


def test_trim_silence_keeps_speech_and_small_margins() -> None:
    speech = _tone(300)
    frames = audio.silence(200) + speech.tobytes() + audio.silence(500)
    trimmed = audio.trim_silence(frames)
    margin = audio.TRIM_PAD_START_MS + audio.TRIM_PAD_END_MS + audio.SILENCE_WINDOW_MS
    assert 300 <= audio.duration_ms(trimmed) <= 300 + margin
    assert audio.trim_silence(audio.silence(300)) == b""


def test_trim_keeps_a_quiet_final_consonant_after_a_gap() -> None:
    # "empat": vowel, ~30 ms closure of silence, then a quiet "t" burst that must survive
    frames = _tone(200).tobytes() + audio.silence(30) + _tone(15, 3000, 800).tobytes() + audio.silence(300)
    assert audio.duration_ms(audio.trim_silence(frames)) >= 245


def test_read_frames_normalises_stereo_and_other_rates(tmp_path: Path) -> None:
    path = tmp_path / "stereo44k.wav"
    mono = _tone(500)
    stereo = array.array("h")
    for s in mono:
        stereo += array.array("h", [s, -s // 2])
    with wave.open(str(path), "wb") as f:
        f.setnchannels(2)
        f.setsampwidth(2)
        f.setframerate(44_100)
        f.writeframes(stereo.tobytes())
    frames = audio.read_frames(path)
    assert abs(audio.duration_ms(frames) - len(mono) / 44_100 * 1000) < 1
    assert 2_400 < max(array.array("h", frames)) <= 2_500  # channels averaged: (s - s/2) / 2 = s/4


def test_write_wav_is_atomic_and_standard(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "x.wav"
    audio.write_wav(path, audio.silence(100))
    with wave.open(str(path), "rb") as f:
        assert (f.getnchannels(), f.getsampwidth(), f.getframerate(), f.getnframes()) == (1, 2, 22_050, 2205)
    assert [p.name for p in path.parent.iterdir()] == ["x.wav"]  # no temp files left behind
