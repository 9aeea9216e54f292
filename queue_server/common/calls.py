"""What is said for a call: the phrase of a call event from the site's announcement settings, and how a display
is told to say it. The WAV itself is built by `application/announcements.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from queue_server.domain.catalogue import Site
from queue_server.domain.events import ANNOUNCED, TICKET_RECALLED, Event
from sounds.phrase import Phrase


@dataclass(frozen=True)
class Call:
    """What is said for one call event: ticket label, counter name, the counter's floor (said only on a screen
    that serves more than one), and whether it is a recall (said as one)."""

    site: str
    seq: int
    label: str
    counter_name: str
    zone: str | None = None
    recall: bool = False


def phrases(
    site: Site, label: str, counter_name: str, zone: str | None = None, recall: bool = False, brief: bool = False
) -> list[Phrase]:
    settings = site.announcements
    templates = {"id": settings.template_id, "en": settings.template_en}
    return [
        Phrase(label, counter_name, lang, settings.reading, templates[lang], zone, recall, brief)
        for lang in settings.languages
    ]


def call_of(site: Site, event: Event) -> Call | None:
    if event.type not in ANNOUNCED:
        return None
    ticket = event.data.get("ticket") or {}
    counter = site.counters.get(ticket.get("counter") or "")
    if counter is None or not ticket.get("label"):
        return None
    recall = event.type == TICKET_RECALLED
    return Call(site.id, event.seq, ticket["label"], counter.name, counter.zone, recall)


def _variant(site: Site, call: Call, url: str, zone: str | None, brief: bool) -> dict[str, Any]:
    texts = [p.text() for p in phrases(site, call.label, call.counter_name, zone, call.recall, brief)]
    return {"url": url, "text": texts[0], "text_en": texts[1] if len(texts) > 1 else None}


def describe(site: Site, event: Event) -> dict[str, Any] | None:
    """What a display needs to say a call: where its WAV is, its caption, how often to play it, and its short form
    (`brief`: "A dua belas, ke loket satu", no chime) for a screen with many calls waiting to be said."""
    call = call_of(site, event)
    if call is None:
        return None
    url = f"/api/v1/sites/{site.id}/announcements/{event.seq}.wav"
    out: dict[str, Any] = {
        **_variant(site, call, url, None, brief=False),
        "repeat": site.announcements.repeat,
        "brief": _variant(site, call, f"{url}?brief=1", None, brief=True),
    }
    if call.zone:  # a screen over several floors says where: "..., silakan menuju loket sembilan, lantai dua"
        out["with_zone"] = {
            **_variant(site, call, f"{url}?zone=1", call.zone, brief=False),
            "brief": _variant(site, call, f"{url}?zone=1&brief=1", call.zone, brief=True),
        }
    return out
