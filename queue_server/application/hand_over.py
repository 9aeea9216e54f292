"""A mall taken over by the server that mirrored it (docs/deployment.md, "Taking a mall over"): the codes of the
bookings taken at its own server never went up (domain/relay.withheld), so that server hands them over in a file
(`queue-server mirror hand-over`), and `mirror take-over --bookings FILE` gives them back to the copy's bookings.
Citizens who booked at the mall's own server then check in, see and cancel their bookings by code as before.

The file holds the codes alone (each lets its holder see and cancel one booking): no NIK hash and no phone number,
which are keyed and sealed with that server's own keys and would mean nothing at the other. It is checked against
the copy before anything changes: made at the mall's event where the copy ends, so no booking is missed or stale."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from queue_server.persistence.port import StoragePort, utc_iso

FORMAT = "queue-server/bookings-hand-over/1"
_CODE = re.compile(r"BK-[A-Z0-9]{6}")


async def hand_over(storage: StoragePort, site_id: str, now: datetime) -> dict[str, Any]:
    """At the mall's own server, stopped: what the file holds."""
    if await storage.relayed_head(site_id):
        raise ValueError(f"site {site_id} is mirrored in this database (its log comes up from its own server): run "
                         "mirror hand-over at the mall's own server")  # fmt: skip
    return {
        "format": FORMAT,
        "site": site_id,
        "made_at": utc_iso(now),
        "newest_seq": await storage.newest_seq(site_id),  # where the mirror's copy must end (checked at take-over)
        "codes": await storage.codes_to_hand_over(site_id),
    }


def codes_of(document: Any, site_id: str, relayed_head: int, named: str) -> dict[str, str]:
    """The codes of a hand-over file (`named`, as the technician gave it) for the copy of `site_id` that ends at
    the mall's event `relayed_head`; ValueError, saying what to do, for a file that does not fit it."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{named} is not a file made by `queue-server mirror hand-over`")
    if document.get("site") != site_id:
        raise ValueError(f"{named} holds the bookings of site {document.get('site')!r}, not {site_id!r}")
    made_at = document.get("newest_seq")
    if not isinstance(made_at, int) or made_at < relayed_head:
        raise ValueError(f"{named} was made at the mall's event {made_at}, before the copy here ended (its event "
                         f"{relayed_head}): bookings taken since are not in it. Make it again at the mall's own "
                         "server, with that server stopped")  # fmt: skip
    if made_at > relayed_head:
        raise ValueError(f"the mall's own server went on after the copy here ended (its event {made_at}; the copy "
                         f"ends at {relayed_head}): start it again until its /healthz says \"behind\": 0, stop it, "
                         "and make the file again")  # fmt: skip
    codes = document.get("codes")
    if not isinstance(codes, dict) or not all(
        isinstance(booking_id, str) and isinstance(code, str) and _CODE.fullmatch(code)
        for booking_id, code in codes.items()
    ):
        raise ValueError(f"{named}: its codes are damaged (each booking id must name a code such as BK-7Q3M2X)")
    return codes
