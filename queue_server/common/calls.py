"""What is said for a call: the phrase of a call event from the site's announcement settings, and how a display
is told to say it. The WAV itself is built by `application/announcements.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from queue_server.domain.catalogue import Site
from queue_server.domain.events import ANNOUNCED, Event
from sounds.phrase import Phrase


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
