"""Online booking pages in the spirit of MPP Digital: /booking/{site} to book a slot (service, date, time, NIK,
phone: a code and its QR), and /b/{code} to see or cancel a booking. The NIK goes straight from the form to the
booking API, which keeps only a keyed hash; no page ever shows it, and the form forgets it once sent."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from queue_server.web.kit import (
    DAYS_ID,
    Context,
    Refusal,
    Site,
    booking_status,
    ctx_of,
    format_date,
    limit_code_lookups,
    verifies_phone,
    written_code,
)

from .common import catalogue, lang_of, not_found, pages, too_many, unknown_mall, wifi_of
from .qr import BOOKING_CODE, qr_inline

DAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SHORT_MONTHS_ID = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


async def booking_page(request: Request) -> Response:
    ctx = ctx_of(request)
    site = ctx.sites.get(request.path_params["site"])
    if site is None:
        return unknown_mall(request)
    lang = lang_of(request)
    now = ctx.now()
    today = site.service_day(now)
    closed, reasons = ctx.state(site.id).closed_days, ctx.state(site.id).closed_reasons
    days = []
    for offset in range(site.booking.days_ahead + 1):
        day = today + timedelta(days=offset)
        why = why_not_bookable(site, day, now, closed)
        days.append({
            "date": day.isoformat(),
            "id": f"{DAYS_ID[day.weekday()]}, {day.day} {SHORT_MONTHS_ID[day.month - 1]}",
            "en": f"{DAYS_EN[day.weekday()]}, {day.day} {MONTHS_EN[day.month - 1]}",
            "open": why is None,
            "why": why,
            "holiday": site.hours.holiday_names.get(day) if why == "holiday" else None,  # "Hari Natal", said as is
            "reason": reasons.get(day) if why == "closed_day" else None,  # "Gangguan listrik", as the kiosk says it
        })  # fmt: skip
    config = {**catalogue(site), "lang": lang, "text": pages.texts(), "days": days}
    config["wifi"] = wifi_of(site, password=False)  # the status link opens only there: said under it
    # not while the gateway is paused by its breaker: a confirmation promised now would not arrive
    config["notify_available"] = ctx.messages_available(site)
    # the number is verified by a code sent to it (application/phone_codes.py); off without a gateway
    config["verify_phone"] = verifies_phone(site)
    # what can be booked now: offered online, and served by a counter (else refused: service_not_served.booking)
    bookable = [
        {**agency, "services": [s for s in agency["services"] if s["online"] and site.counters_serving(s["id"])]}
        for agency in config["agencies"]
    ]
    config["agencies"] = [a for a in bookable if a["services"]]
    return pages.render(request, "booking.html", site=site, config=config, lang=lang, t=pages.texts()[lang])


def why_not_bookable(site: Site, day: date, now: datetime, closed: set[date]) -> str | None:
    """Why a day cannot be picked, as a word under it (a greyed day alone left a citizen guessing, and a screen reader
    said only "unavailable"): a holiday of the site file, a day a supervisor closed, a day the mall does not open,
    today with every slot begun. None: it has a slot still to come."""
    if day in site.hours.holidays:
        return "holiday"
    if day in closed:
        return "closed_day"
    slots = site.slots(day)
    if not slots:
        return "closed"
    return None if any(start > now for start, _ in slots) else "past"


def day_closed(ctx: Context, booking: dict[str, Any]) -> dict[str, str | None] | None:
    """The booking's day closed by a supervisor (today: a past day is over), with why where they said it (a power
    cut, the central system down), or None. Its citizen cannot check in; the status page says so and why, as the
    kiosk and the booking page do."""
    state = ctx.state(booking["site"])
    day = date.fromisoformat(booking["day"])
    return {"reason": state.closed_reasons.get(day)} if day in state.closed_days else None


def slot_words(day: str, slot: str, end: str | None) -> dict[str, str]:
    """A booking's slot as each language writes it: "Senin, 7 Desember 2026, 08.30–09.00" / "Monday, 7 December
    2026, 08:30–09:00" (never the ISO date of the API)."""
    d = date.fromisoformat(day)
    times = f"{slot}–{end}" if end else slot
    return {
        "id": f"{format_date(d, 'id')}, {times.replace(':', '.')}",
        "en": f"{format_date(d, 'en')}, {times}",
    }


async def booking_status_page(request: Request) -> Response:
    ctx = ctx_of(request)
    try:
        await limit_code_lookups(request)  # a person never reads thirty codes a minute
    except Refusal as refusal:
        if refusal.code != "too_many_requests":
            raise
        return too_many(request)  # a page in the citizen's words, not the API's JSON
    code = written_code(request.path_params["code"])  # /b/k2u9y5, typed from a slip, is BK-K2U9Y5
    if not BOOKING_CODE.match(code):
        return not_found(request, "booking")
    try:
        booking = (await booking_status(ctx, code))["booking"]
    except Refusal as refusal:
        if refusal.code == "site_not_served":  # its mall left out at start-up: said as such (web/app.py's page)
            raise
        return not_found(request, "booking")
    lang = lang_of(request)
    config = {"lang": lang, "text": pages.texts(), "booking": booking, "timezone": ctx.sites[booking["site"]].timezone,
              "day_closed": day_closed(ctx, booking)}  # fmt: skip
    when = slot_words(booking["day"], booking["slot"], booking.get("slot_end"))
    return pages.render(request, "booking_status.html", booking=booking, config=config, lang=lang, when=when,
                        t=pages.texts()[lang], qr=qr_inline(code, scale=6))  # fmt: skip
