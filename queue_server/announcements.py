"""The one owner of what a call sounds like on the server: the phrase (from the site's announcement settings)
and the WAV file a speaker screen plays, built from pre-rendered clips by `sounds`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sounds.phrase import Phrase

from .domain.catalogue import Site
from .domain.events import ANNOUNCED, Event


@dataclass(frozen=True)
class Call:
    """What is said for one call event: ticket label and counter name."""

    site: str
    seq: int
    label: str
    counter_name: str


def phrases(site: Site, label: str, counter_name: str) -> list[Phrase]:
    settings = site.announcements
    templates = {"id": settings.template_id, "en": settings.template_en}
    return [Phrase(label, counter_name, lang, settings.reading, templates[lang]) for lang in settings.languages]


def call_of(site: Site, event: Event) -> Call | None:
    if event.type not in ANNOUNCED:
        return None
    ticket = event.data.get("ticket") or {}
    counter = site.counters.get(ticket.get("counter") or "")
    if counter is None or not ticket.get("label"):
        return None
    return Call(site.id, event.seq, ticket["label"], counter.name)


def describe(site: Site, event: Event) -> dict[str, Any] | None:
    """What a display needs to say a call: where its WAV is, its caption, how often to play it."""
    call = call_of(site, event)
    if call is None:
        return None
    texts = [p.text() for p in phrases(site, call.label, call.counter_name)]
    return {
        "url": f"/api/v1/sites/{site.id}/announcements/{event.seq}.wav",
        "text": texts[0],
        "text_en": texts[1] if len(texts) > 1 else None,
        "repeat": site.announcements.repeat,
    }


def clip_dir() -> Path:
    import sounds

    return Path(sounds.__file__).parent / "clips"


# Marks that may appear in a counter name and are simply not read out.
SPEAKABLE_MARKS = frozenset(" -./()")


class VocabularyError(ValueError):
    """A site whose calls cannot be spoken; the server refuses to start and says why."""


def check_speakable(site: Site) -> None:
    """Refuse, before start-up, a counter name that cannot be spoken in every configured language."""
    for counter in site.counters.values():
        unspeakable = sorted({ch for ch in counter.name if not (ch.isalnum() or ch in SPEAKABLE_MARKS)})
        if unspeakable:
            raise VocabularyError(
                f"site {site.id}: counter {counter.id} name {counter.name!r} cannot be spoken: "
                f"{' '.join(unspeakable)} has no sound; use letters, digits, spaces and - . /"
            )
        for phrase in phrases(site, "A-001", counter.name):
            try:
                phrase.tokens()
            except ValueError as exc:
                raise VocabularyError(
                    f"site {site.id}: counter {counter.id} name {counter.name!r} cannot be spoken: {exc}"
                ) from None


class Announcer:
    """Builds (and caches) the WAV of each call, per site. pyttsx3 only runs in the renderer's worker process,
    for words missing from the shipped vocabulary, and those are all rendered at start-up."""

    def __init__(self, sites: dict[str, Site], cache_root: Path) -> None:
        from sounds.announce import AnnouncementBuilder
        from sounds.tts import Renderer

        self.sites = sites
        self.renderer = Renderer()
        self.builders = {
            site_id: AnnouncementBuilder(clip_dir(), cache_root / site_id, self.renderer) for site_id in sites
        }

    async def prepare(self) -> None:
        """Render the words of counter names that the shipped vocabulary lacks (in the worker process)."""
        from sounds.announce import ClipUnavailableError

        for site in self.sites.values():
            needed = [p for c in site.counters.values() for p in phrases(site, "A-001", c.name)]
            try:
                await self.builders[site.id].aensure_vocabulary(needed)
            except (ClipUnavailableError, RuntimeError, OSError) as exc:
                raise VocabularyError(f"site {site.id}: a word of a counter name cannot be rendered: {exc}") from None

    async def build(self, site: Site, call: Call) -> Any:
        settings = site.announcements
        templates = {"id": settings.template_id, "en": settings.template_en}
        return await self.builders[site.id].build(
            call.label, call.counter_name, settings.languages, settings.reading, templates, settings.chime
        )

    def close(self) -> None:
        self.renderer.close()
