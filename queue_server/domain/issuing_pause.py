"""A service's issuing paused for the rest of a day, with why: the agency's central system is down (SIAK, Samsat,
BPJS), its KTP blank forms ran out, its staff are in a meeting. No new ticket of the service is issued (the kiosk,
the desk, the API) until someone resumes it, or the day ends: a pause is of one service day, so the next day starts
normal with no event. Tickets already waiting stay waiting and can still be called: the system may come back, and
the operator decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from queue_server.domain.snapshot import Snapshot, snap


@dataclass(frozen=True)
class IssuingPause(Snapshot):
    # Public: the kiosk and a citizen's phone say it. Who paused it is the audit log's (staff), not the event's.
    service: str = snap(audience="public")
    day: date = snap(audience="public")  # the service day it holds for; over at that day's end
    reason: str = snap(audience="public")
    since: datetime = snap(audience="public")
    until: datetime | None = snap(audience="public", default=None)  # when it is expected to resume (a hope, not a rule)

    def holds_on(self, day: date) -> bool:
        return self.day == day


def pause_view(pause: IssuingPause, tz: tzinfo) -> dict[str, str | None]:
    """As a page or the API shows it: the reason, since and the expected resumption, ISO times with the mall's own
    offset (`tz`: the site's zone), as the pages say them. `since` is the event's moment, kept in UTC: it was given
    as "02:05:00+00:00" for a pause made at 10.05 WITA, beside an `until` of "+08:00"."""
    return {
        "reason": pause.reason,
        "since": pause.since.astimezone(tz).isoformat(),
        "until": pause.until.astimezone(tz).isoformat() if pause.until else None,
    }
