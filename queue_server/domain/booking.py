"""Online bookings (MPP Digital): a citizen books a slot from home and checks in at the kiosk.

Only a keyed hash of the NIK reaches the domain (for "one booking per NIK per service per day"); the
application layer validates the NIK and hashes it, and nothing here can turn the hash back into a number.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

from queue_server.domain.refusal import Refusal
from queue_server.domain.snapshot import Snapshot, snap


class BookingState(enum.StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    RELEASED = "released"  # the citizen did not check in before the end of the window
    CANCELLED = "cancelled"


B = BookingState
# Why a booking cannot move on, by the state it is in. A booked booking may go anywhere (nothing goes back to
# booked), so only the final states refuse.
_ALREADY = {
    B.CHECKED_IN: "booking_checked_in",
    B.RELEASED: "booking_released.already",
    B.CANCELLED: "booking_cancelled",
}
BOOKING_TRANSITIONS: dict[BookingState, frozenset[BookingState]] = {
    B.BOOKED: frozenset({B.CHECKED_IN, B.RELEASED, B.CANCELLED}),
    B.CHECKED_IN: frozenset(),
    B.RELEASED: frozenset(),
    B.CANCELLED: frozenset(),
}
ACTIVE_BOOKINGS = frozenset({B.BOOKED, B.CHECKED_IN})  # these hold a slot place and online quota
# Why the mall cancelled a booking (Booking.cancel_reason): its day became a holiday, its day has no opening hours
# any more (a weekday closed, a special period without that weekday), or its time is outside the day's new hours.
CLOSURES = ("holiday", "closed_day", "hours")
# Or a supervisor closed its day ("Tutup hari") and its check-in window ended while the day was closed: its citizen
# could not check in, so it is not released as a no-show ("dilepas") but cancelled by the mall with this reason. A
# day reopened before the window ends leaves its bookings as they were (released as any, if nobody comes).
DAY_CLOSED_REASON = "day_closed"


_NOT_IN_A_CODE = re.compile(r"[^A-Z0-9]")


def written_code(text: str) -> str:
    """A booking code as a citizen or a script writes it, in the one form it is stored: "bk 7q3m2x", "7Q3M2X",
    "BK7Q3M2X" and "ＢＫ－７Ｑ３Ｍ２Ｘ" are all BK-7Q3M2X, as the booking page and the kiosk read them (keypad.js).
    Anything else is kept (trimmed, upper case, at most 12 characters) to be told it was not found."""
    compact = _NOT_IN_A_CODE.sub("", unicodedata.normalize("NFKC", text[:40]).upper())
    body = compact[2:] if compact.startswith("BK") and len(compact) == 8 else compact
    return f"BK-{body}" if len(body) == 6 else text.strip().upper()[:12]


@dataclass(frozen=True)
class Booking(Snapshot):
    """A booking as anyone holding its code may see it, except the NIK hash, which never leaves the server."""

    id: str = snap(audience="public", column="fixed")
    # The code alone shows and cancels the booking (a bearer secret, like a ticket's token): never on the wire. It is
    # answered only to whoever already holds it (the citizen who booked, a look-up or cancel by it, the kiosk or desk
    # that checks it in: application/actions.booking_answer), never pushed to a staff page, which needs none.
    code: str = snap(audience="private", column="fixed")
    site: str = snap(audience="public", column="fixed")
    service: str = snap(audience="public", column="fixed")
    day: date = snap(audience="public", column="fixed")
    slot: time = snap(audience="public", column="fixed")
    slot_start: datetime = snap(audience="public")
    nik_hash: str = snap(audience="private", column="fixed")
    phone_masked: str = snap(audience="staff")
    state: BookingState = snap(audience="public", column="mutable")
    created_at: datetime = snap(audience="public")
    ticket: str | None = snap(audience="public", default=None)
    contact: str | None = snap(audience="private", default=None)  # the contacts row of messages (as Ticket.contact)
    phone_hash: str | None = snap(audience="private", default=None)  # keyed hash: bookings per number are counted
    # Cancelled by the mall, not its citizen: its slot fell at a time a new configuration closes the mall, or its
    # day was closed by a supervisor through its check-in window. Why, as CLOSURES or DAY_CLOSED_REASON says it;
    # None for a citizen's own cancel (and any other state).
    cancel_reason: str | None = snap(audience="staff", default=None)

    def moved_to(self, target: BookingState, **changes: Any) -> Booking:
        if target not in BOOKING_TRANSITIONS[self.state]:
            raise Refusal(_ALREADY[self.state], booking=self.code, details={"found": self.state.value})
        return replace(self, state=target, **changes)
