"""Everything the lobby TV speaks: word clips, the chime, and whole announcements.

Modules: words (numbers/letters as words), phrase (a call as clip keys), tts (pyttsx3 in a
worker process), audio (stdlib WAV helpers, chime), announce (joined, cached announcement
WAVs), regenerate (`python -m sounds.regenerate [--check]`). See sounds/README.md.
Importing the package does not load pyttsx3 or libespeak-ng.
"""

from .manifest import CLIP_DIR, MANIFEST_PATH

__all__ = ["CLIP_DIR", "MANIFEST_PATH"]
