"""Re-render the shipped vocabulary and manifest, or check them.

    python -m sounds.regenerate            # re-render sounds/clips/ and sounds/manifest.json
    python -m sounds.regenerate --check    # verify every listed clip exists, decodes, matches sha256

Needs espeak-ng (Debian: apt-get install espeak-ng libespeak-ng1); no network.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import audio
from .manifest import CHIME_KEY, PACKAGE_DIR, ManifestEntry, check_manifest, clip_file, write_manifest
from .phrase import base_vocabulary
from .tts import RATE, Renderer


def expected_keys() -> list[str]:
    return [CHIME_KEY, *(c.key for c in base_vocabulary())]


def regenerate(root: Path = PACKAGE_DIR) -> list[ManifestEntry]:
    """Render every vocabulary clip into root/clips and write root/manifest.json."""
    clip_dir = root / "clips"
    entries = []
    chime_file = clip_dir / clip_file(CHIME_KEY)
    frames = audio.chime()
    audio.write_wav(chime_file, frames)
    entries.append(
        ManifestEntry(
            key=CHIME_KEY, lang=None, text="ting tong (880 Hz + 660 Hz, generated)",
            file=f"clips/{clip_file(CHIME_KEY)}", duration_ms=round(audio.duration_ms(frames), 1),
            sample_rate=audio.SAMPLE_RATE, sha256=audio.sha256_file(chime_file), voice=None, espeak_ng=None,
        )
    )  # fmt: skip
    with Renderer() as renderer:
        for lang in ("id", "en"):
            renderer.check_voice(lang)  # fail early, with a clear message, if a voice is missing
        for spec in base_vocabulary():
            clip = renderer.render_clip(spec.key, spec.text, spec.lang, clip_dir / clip_file(spec.key))
            entries.append(
                ManifestEntry(
                    key=spec.key, lang=spec.lang, text=spec.text, file=f"clips/{clip_file(spec.key)}",
                    duration_ms=round(clip.duration_ms, 1), sample_rate=audio.SAMPLE_RATE, sha256=clip.sha256,
                    voice=clip.voice.id, espeak_ng=clip.voice.espeak_version,
                )
            )  # fmt: skip
    listed = {root / e.file for e in entries}
    for stale in clip_dir.rglob("*.wav"):  # clips of words that left the vocabulary
        if stale not in listed:
            stale.unlink()
    write_manifest(entries, root / "manifest.json", generator="python -m sounds.regenerate", rate_wpm=RATE)
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sounds.regenerate", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify the clips against the manifest")
    parser.add_argument("--root", type=Path, default=PACKAGE_DIR, help="folder holding clips/ and manifest.json")
    args = parser.parse_args(argv)
    manifest = args.root / "manifest.json"
    if not args.check:
        start = time.perf_counter()
        entries = regenerate(args.root)
        print(f"rendered {len(entries)} clips into {args.root / 'clips'} in {time.perf_counter() - start:.1f} s")
    problems = check_manifest(manifest, expected_keys())
    for problem in problems:
        print(f"sounds: {problem}", file=sys.stderr)
    if problems:
        print(f"sounds: {len(problems)} problem(s); run `python -m sounds.regenerate` to re-render", file=sys.stderr)
        return 1
    if args.check:
        print(f"sounds: all {len(expected_keys())} clips in {manifest} are present and match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
