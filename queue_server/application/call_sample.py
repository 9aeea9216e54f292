"""A sample call said with announcement settings not saved yet ("Dengar contoh" on the Settings page): the WAV a
lobby TV would play for it, built by the TVs' own builder (application/announcements.py) at the site's first
counter, its repeats included as the TV plays them. Settings a save would refuse are refused with the same problems."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from queue_server.application import validation as v
from queue_server.application.announcements import VocabularyError, check_speakable
from queue_server.application.auth import Principal, require
from queue_server.application.configuration import refused_problems
from queue_server.application.context import Context
from queue_server.common.calls import Call
from queue_server.common.problems import names_in
from queue_server.domain.refusal import Refusal
from queue_server.settings.sitefile import SiteFileError, announcements_of

SAMPLE_TICKET = "A-123"
# A label as a kiosk prints it: what a sample may say instead of A-123 (a few letters, a few digits).
TICKET = re.compile(r"[A-Z]{1,3}-[0-9]{1,4}")
BODY_LIMIT = 4096  # the settings are a few hundred bytes; two templates of TEMPLATE_MAX fit many times over


async def sample_call(ctx: Context, principal: Principal | None, site_id: str, body: dict[str, Any]) -> bytes:
    state = ctx.state(site_id)
    require(principal, "site.configure", site_id)
    v.only(body, {"announcements", "ticket"})
    ticket = body.get("ticket", SAMPLE_TICKET)
    if not isinstance(ticket, str) or not TICKET.fullmatch(ticket):
        raise Refusal("invalid_field.sample_ticket", details={"field": "ticket"})
    names = names_in(state.configuration.document)
    try:
        site = replace(state.site, announcements=announcements_of(body.get("announcements")))
        check_speakable(site)
    except SiteFileError as exc:
        raise refused_problems(exc.problems, names) from None
    except VocabularyError as exc:
        raise refused_problems([exc.problem], names) from None
    counter = next(iter(site.counters.values()))  # a site has at least one (settings/sitefile.py)
    if ctx.announcer is None:
        raise Refusal("sound_unavailable")
    from sounds.announce import ClipUnavailableError, repeated

    try:
        announcement = await ctx.announcer.build(site, Call(site.id, 0, ticket, counter.name))
    except ClipUnavailableError as exc:  # a word of a template the speech engine could not render
        raise refused_problems([f"announcements: a word cannot be rendered: {exc}"], names) from None
    return repeated(announcement.path, site.announcements.repeat)
