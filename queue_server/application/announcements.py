"""The one owner of what a call sounds like on the server: the phrase (from the site's announcement settings)
and the WAV file a speaker screen plays, built from pre-rendered clips by `sounds`."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from queue_server.common.calls import Call, phrases
from queue_server.domain.catalogue import Site
from sounds.phrase import Phrase

log = logging.getLogger(__name__)


def clip_dir() -> Path:
    import sounds

    return Path(sounds.__file__).parent / "clips"


# Marks that may appear in a counter name and are simply not read out.
SPEAKABLE_MARKS = frozenset(" -./()")


class VocabularyError(ValueError):
    """A site whose calls cannot be spoken; the server refuses to start and says why. `problem`: the same as a site
    file's problem, by its place (`counters["1"].name: 'Loket #1' cannot be spoken: ...`: the counter by its code), for
    the Settings page."""

    def __init__(self, message: str, problem: str | None = None) -> None:
        super().__init__(message)
        self.problem = problem or message


def check_speakable(site: Site) -> None:
    """Refuse, before start-up, a call sentence, or a counter name (or its floor, said on screens over several
    floors), that cannot be spoken in every configured language."""
    settings = site.announcements
    for lang in settings.languages:  # a template's fault said at the template, not at the first counter's name
        template = settings.template_en if lang == "en" else settings.template_id
        try:
            Phrase("A-001", "Loket 1", lang, settings.reading, template).tokens()
        except ValueError as exc:
            where = f"announcements.template_{lang}"
            raise VocabularyError(f"site {site.id}: {where}: {exc}", f"{where}: {exc}") from None
    for counter in site.counters.values():
        for what, text in (("name", counter.name), ("zone", counter.zone or "")):
            unspeakable = sorted({ch for ch in text if not (ch.isalnum() or ch in SPEAKABLE_MARKS)})
            if unspeakable:
                marks = " ".join(unspeakable)
                why = f"{text!r} cannot be spoken: {marks} has no sound; use letters, digits, spaces and - . /"
                raise VocabularyError(
                    f"site {site.id}: counter {counter.id} {what} {why}", f'counters["{counter.id}"].{what}: {why}'
                )
        for phrase in phrases(site, "A-001", counter.name, counter.zone):
            try:
                phrase.tokens()
            except ValueError as exc:
                why = f"{counter.name!r} cannot be spoken: {exc}"
                raise VocabularyError(
                    f"site {site.id}: counter {counter.id} name {why}", f'counters["{counter.id}"].name: {why}'
                ) from None


class Announcer:
    """Builds (and caches) the WAV of each call, per site. pyttsx3 only runs in the renderer's worker process,
    for words missing from the shipped vocabulary, and those are all rendered at start-up."""

    def __init__(self, sites: dict[str, Site], cache_root: Path) -> None:
        from sounds.announce import AnnouncementBuilder
        from sounds.tts import Renderer

        self.sites = sites
        self._tasks: set[asyncio.Task[None]] = set()
        self.renderer = Renderer()
        self.builders = {
            site_id: AnnouncementBuilder(clip_dir(), cache_root / site_id, self.renderer) for site_id in sites
        }

    async def prepare(self) -> None:
        """Render the words of counter names that the shipped vocabulary lacks (in the worker process)."""
        for site in self.sites.values():
            await self.prepare_site(site)

    async def prepare_site(self, site: Site) -> None:
        """The same for one site's (new) configuration, before its counters are called."""
        from sounds.announce import ClipUnavailableError

        needed = [p for c in site.counters.values() for p in phrases(site, "A-001", c.name, c.zone)]
        try:
            await self.builders[site.id].aensure_vocabulary(needed)
        except (ClipUnavailableError, RuntimeError, OSError) as exc:
            raise VocabularyError(f"site {site.id}: a word of a counter name cannot be rendered: {exc}") from None

    def refresh(self, site_id: str) -> None:
        """A configuration applied (here or by another process): its new words, in the background."""

        async def prepare() -> None:
            try:
                await self.prepare_site(self.sites[site_id])
            except VocabularyError as exc:
                log.error("%s", exc)

        task = asyncio.get_running_loop().create_task(prepare())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def build(self, site: Site, call: Call, with_zone: bool = False, brief: bool = False) -> Any:
        settings = site.announcements
        templates = {"id": settings.template_id, "en": settings.template_en}
        return await self.builders[site.id].build(
            call.label, call.counter_name, settings.languages, settings.reading, templates, settings.chime,
            zone=call.zone if with_zone else None, recall=call.recall, brief=brief,
        )  # fmt: skip

    def close(self) -> None:
        self.renderer.close()
