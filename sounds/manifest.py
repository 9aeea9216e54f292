"""Where clips live and what sounds/manifest.json says about them.

A clip key maps to a file under a clip folder: "seratus" -> seratus.wav, "en/hundred" ->
en/hundred.wav. The manifest records, per shipped clip, what was said, by which voice and
espeak-ng version, and the file's duration and sha256, so `python -m sounds.regenerate --check`
can prove the committed WAVs are complete and untouched.
"""

from __future__ import annotations

import json
import re
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

from . import audio

PACKAGE_DIR = Path(__file__).resolve().parent
CLIP_DIR = PACKAGE_DIR / "clips"
MANIFEST_PATH = PACKAGE_DIR / "manifest.json"
CHIME_KEY = "chime"
_KEY = re.compile(r"(?:en/)?[a-z0-9]+(?:-[a-z0-9]+)*")


def clip_file(key: str) -> str:
    """Relative file name of a clip; rejects anything that is not a clean key (no "../")."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"invalid clip key {key!r}")
    return f"{key}.wav"


@dataclass(frozen=True)
class ManifestEntry:
    key: str
    lang: str | None  # None for the chime
    text: str  # what the voice was asked to say
    file: str  # relative to the manifest's folder, e.g. "clips/en/hundred.wav"
    duration_ms: float
    sample_rate: int
    sha256: str
    voice: str | None  # espeak-ng voice id, e.g. "poz/id"; None for the generated chime
    espeak_ng: str | None  # libespeak-ng version that rendered it


def load_manifest(path: Path = MANIFEST_PATH) -> dict[str, ManifestEntry]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {c["key"]: ManifestEntry(**c) for c in data["clips"]}


def write_manifest(entries: list[ManifestEntry], path: Path = MANIFEST_PATH, **info: object) -> None:
    header = {
        **info,
        "format": {"sample_rate": audio.SAMPLE_RATE, "channels": audio.CHANNELS, "sample_width": audio.SAMPLE_WIDTH},
    }
    # One clip per line: small, readable diffs when a few clips are re-rendered.
    lines = [json.dumps(header, ensure_ascii=False)[:-1] + ', "clips": [']
    lines += [" " + json.dumps(asdict(e), ensure_ascii=False) + "," for e in entries]
    lines[-1] = lines[-1].rstrip(",")
    path.write_text("\n".join([*lines, "]}"]) + "\n", encoding="utf-8")


def check_manifest(path: Path = MANIFEST_PATH, expected_keys: list[str] | None = None) -> list[str]:
    """Problems with the manifest and its files, as readable sentences (empty list: all good)."""
    if not path.exists():
        return [f"{path} does not exist; run `python -m sounds.regenerate`"]
    try:
        entries = load_manifest(path)
    except (ValueError, KeyError, TypeError) as e:
        return [f"{path} is not a valid manifest: {e}"]
    problems = []
    for key in expected_keys or []:
        if key not in entries:
            problems.append(f"clip {key!r} is in the vocabulary but not in the manifest")
    for entry in entries.values():
        file = path.parent / entry.file
        if not file.exists():
            problems.append(f"clip {entry.key!r}: file {entry.file} is missing")
            continue
        try:
            with wave.open(str(file), "rb") as f:
                fmt = (f.getnchannels(), f.getsampwidth(), f.getframerate())
                frames = f.getnframes()
        except (wave.Error, EOFError) as err:
            problems.append(f"clip {entry.key!r}: {entry.file} does not decode as WAV ({err})")
            continue
        if fmt != (audio.CHANNELS, audio.SAMPLE_WIDTH, audio.SAMPLE_RATE):
            problems.append(f"clip {entry.key!r}: {entry.file} is channels/width/rate {fmt}, not mono 16-bit 22,050 Hz")
        if frames == 0:
            problems.append(f"clip {entry.key!r}: {entry.file} is empty")
        if audio.sha256_file(file) != entry.sha256:
            problems.append(f"clip {entry.key!r}: {entry.file} does not match its sha256 in the manifest")
    listed = {(path.parent / entry.file).resolve() for entry in entries.values()}
    clip_root = path.parent / "clips"
    for file in sorted(clip_root.rglob("*.wav")) if clip_root.exists() else []:
        if file.resolve() not in listed:
            problems.append(f"{file.relative_to(path.parent)} is not listed in the manifest")
    return problems
