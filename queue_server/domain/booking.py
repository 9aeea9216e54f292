"""Online bookings (MPP Digital): a citizen books a slot from home and checks in at the kiosk.

Only a keyed hash of the NIK reaches the domain (for "one booking per NIK per service per day"); the
application layer validates the NIK and hashes it, and nothing here can turn the hash back into a number.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

from queue_server.domain.model import DomainError


class BookingState(enum.StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    RELEASED = "released"  # the citizen did not check in before the end of the window
    CANCELLED = "cancelled"


B = BookingState
BOOKING_TRANSITIONS: dict[BookingState, frozenset[BookingState]] = {
    B.BOOKED: frozenset({B.CHECKED_IN, B.RELEASED, B.CANCELLED}),
    B.CHECKED_IN: frozenset(),
    B.RELEASED: frozenset(),
    B.CANCELLED: frozenset(),
}
ACTIVE_BOOKINGS = frozenset({B.BOOKED, B.CHECKED_IN})  # these hold a slot place and online quota


@dataclass(frozen=True)
class Booking:
    id: str
    code: str
    site: str
    service: str
    day: date
    slot: time
    slot_start: datetime
    nik_hash: str
    phone_masked: str
    state: BookingState
    created_at: datetime
    ticket: str | None = None

    def moved_to(self, target: BookingState, **changes: Any) -> Booking:
        if target not in BOOKING_TRANSITIONS[self.state]:
            raise DomainError(
                f"booking_{self.state.value}",
                f"Booking {self.code} sudah berstatus '{self.state.value}'.",
                f"Booking {self.code} is already '{self.state.value}'.",
                found=self.state.value,
            )
        return replace(self, state=target, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "site": self.site,
            "service": self.service,
            "day": self.day.isoformat(),
            "slot": self.slot.strftime("%H:%M"),
            "slot_start": self.slot_start.isoformat(),
            "nik_hash": self.nik_hash,
            "phone_masked": self.phone_masked,
            "state": self.state.value,
            "created_at": self.created_at.isoformat(),
            "ticket": self.ticket,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Booking:
        return cls(
            id=d["id"],
            code=d["code"],
            site=d["site"],
            service=d["service"],
            day=date.fromisoformat(d["day"]),
            slot=time.fromisoformat(d["slot"]),
            slot_start=datetime.fromisoformat(d["slot_start"]),
            nik_hash=d["nik_hash"],
            phone_masked=d["phone_masked"],
            state=BookingState(d["state"]),
            created_at=datetime.fromisoformat(d["created_at"]),
            ticket=d.get("ticket"),
        )
