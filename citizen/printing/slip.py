"""What a printed ticket says, in one place for both the 80 mm browser page and ESC/POS: the same fields in the
same order, so the two printers cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from queue_server.web.kit import Context, Ticket, format_datetime, public_status

from ..common import pages


@dataclass(frozen=True)
class Slip:
    site_name: str
    agency_name: str
    service_name: str
    label: str
    issued_local: datetime  # in the site's timezone: the clock on the hall's wall
    people_ahead: int | None
    wait_minutes: int | None
    follow_url: str
    booking_code: str | None = None
    wait_low: int | None = None
    wait_high: int | None = None
    no_counter_open: bool = False
    after_closing: bool = False
    lang: str = "id"  # the language the citizen chose at the kiosk; names stay as the site file has them
    wifi_name: str | None = None  # the network a phone joins to open the QR's link (a mobile unit without internet)
    wifi_password: str | None = None

    def word(self, key: str, **params: object) -> str:
        """The slip's words in its language (citizen/templates/text.toml, slip_*)."""
        text = pages.texts()[self.lang][key]
        return text.format(**params) if params else text

    @property
    def wifi_around(self) -> tuple[str, str] | None:
        """The words before and after the network's name ("Sambungkan ke Wi-Fi", "untuk membuka tiket di ponsel"):
        the name goes between them as it is, never wrapped or changed: a citizen finds it in a list or types it."""
        if not self.wifi_name:
            return None
        before, _, after = self.word("slip_wifi").partition("{name}")
        return before.strip(), after.strip()

    @property
    def when(self) -> str:
        """Senin, 23 November 2026 pukul 09.05 (a dot between hours and minutes, as PUEBI writes), 34 characters at
        most: one line of an 80 mm slip; "Monday, 23 November 2026 at 09:05" in English."""
        return format_datetime(self.issued_local, self.lang)

    @property
    def ahead_text(self) -> str | None:
        if self.people_ahead is None:
            return None
        return self.word("slip_person" if self.people_ahead == 1 else "slip_people", n=self.people_ahead)

    @property
    def wait_text(self) -> str | None:
        """As the kiosk's screen says it (wait_range, wait_soon, wait_no_counter, wait_after_closing, shorter)."""
        if self.no_counter_open:
            return self.word("slip_no_counter")
        if self.after_closing:
            return self.word("slip_after_closing")
        if self.wait_low is not None and self.wait_high is not None:
            return (
                self.word("slip_soon")
                if self.wait_high <= 2
                else self.word("slip_range", low=self.wait_low, high=self.wait_high)
            )
        if self.wait_minutes is None:
            return None
        return self.word("slip_soon") if self.wait_minutes <= 0 else self.word("slip_minutes", n=self.wait_minutes)


def slip_for(ctx: Context, ticket: Ticket, follow_url: str, lang: str = "id") -> Slip:
    """The slip of a ticket as it stands now (a reprint shows today's position, not the one at issue)."""
    state = ctx.state(ticket.site)
    live = state.tickets.get(ticket.id, ticket)
    status = public_status(ctx, live)
    wait = status["estimated_wait"]
    site = state.site
    booking = next((b.code for b in state.bookings.values() if b.ticket == live.id), None)
    return Slip(
        site_name=site.name,
        agency_name=site.agencies[live.agency].name,
        service_name=site.services[live.service].name,
        label=live.label,
        issued_local=site.local(live.issued_at),
        people_ahead=status["people_ahead"],
        wait_minutes=status["estimated_wait_minutes"],
        wait_low=wait["low"] if wait else None,
        wait_high=wait["high"] if wait else None,
        no_counter_open=bool(wait and wait["status"] == "no_counter_open"),
        after_closing=bool(wait and wait.get("after_closing")),
        follow_url=follow_url,
        booking_code=booking,
        lang=lang if lang in pages.texts() else "id",
        wifi_name=site.wifi.name if site.wifi else None,
        wifi_password=site.wifi.password if site.wifi else None,
    )
