"""The site model: a mall, its agencies, services, counters and opening hours.

These are plain immutable values. Reading them from a site file (and refusing a wrong one) is the job of
`queue_server.sitefile`; the domain only consumes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

# UU 25/2009 Pasal 29 and its explanation: groups entitled to priority service.
PRIORITY_GROUPS: dict[str, tuple[str, str]] = {
    "disabilitas": ("Penyandang disabilitas", "Persons with disabilities"),
    "lansia": ("Lanjut usia", "Elderly"),
    "ibu_hamil": ("Ibu hamil", "Pregnant women"),
    "anak": ("Anak-anak", "Children"),
    "korban_bencana_alam": ("Korban bencana alam", "Victims of natural disasters"),
    "korban_bencana_sosial": ("Korban bencana sosial", "Victims of social disasters"),
}

CHANNELS = ("kiosk", "desk", "online", "mobile")

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def minute_of_day(at: time) -> int:
    """A local time as minutes since midnight (08:30 -> 510): opening ranges and break windows compared as numbers."""
    return at.hour * 60 + at.minute


@dataclass(frozen=True)
class Service:
    id: str
    agency: str
    name: str
    prefix: str
    daily_quota: int | None
    target_wait_minutes: int
    default_service_minutes: float
    online_quota: int = 0  # part of the day reserved for online bookings (0: this service takes no bookings)
    slot_capacity: int = 4  # bookings per time slot

    @property
    def walk_in_quota(self) -> int | None:
        """What walk-ins may take: the daily quota less the online share, so neither can drain the other."""
        return None if self.daily_quota is None else self.daily_quota - self.online_quota


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    short_name: str
    colour: str
    kind: str | None = None  # one of domain/agency_kinds.py: how the ministry's reports group it across malls


@dataclass(frozen=True)
class Counter:
    id: str
    name: str
    agency: str
    services: tuple[str, ...]
    zone: str | None = None


@dataclass(frozen=True)
class Gateway:
    """Where a site's messages to citizens go: a WhatsApp or SMS gateway the mall already pays for, as an HTTP
    POST of a JSON body. `body`'s strings may hold {phone} (62812...), {phone_local} (0812...), {text} and
    {message_id}; header values were read with ${VARIABLE}s from the environment already. `url`'s query and `body`'s
    strings keep theirs as written (what supervisors see), filled from `secrets` (their values, by name) only as a
    message is sent (outbound/gateway.py)."""

    url: str
    headers: tuple[tuple[str, str], ...]
    body: Any
    secrets: tuple[tuple[str, str], ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class NotifyPolicy:
    """Messages to citizens who left a number (docs/notifications.md). Without a gateway none is offered."""

    gateway: Gateway | None = None
    public_url: str | None = None  # the address citizens' links point to (the ticket page, the survey)
    people_ahead: int = 3  # "N people before you" is sent once when this many or fewer are ahead
    survey: bool = True  # the satisfaction survey's link after service

    @property
    def offered(self) -> bool:
        return self.gateway is not None


@dataclass(frozen=True)
class GuestWifi:
    """The Wi-Fi network citizens' phones join to open their ticket's page where the server is not on the internet
    (a mobile service unit's box on its own network): printed on the slip and shown beside every QR code."""

    name: str  # as phones list it (SSID)
    password: str | None = None  # a guest network's, printed for everyone: never the staff network's


@dataclass(frozen=True)
class BreakRule:
    """Counters pause in turns: each once a day for `minutes` within the local window `start`-`end` (prayer and
    lunch: ISHOMA). The wait forecast counts it; nothing enforces it (operators press pause)."""

    start: time
    end: time
    minutes: int

    @property
    def working_share(self) -> float:
        """What a counter still gets done inside the window, on average over who pauses when (0: all at once)."""
        length = minute_of_day(self.end) - minute_of_day(self.start)
        return max(0.0, 1.0 - self.minutes / length) if length > 0 else 0.0


@dataclass(frozen=True)
class RoutingPolicy:
    """How a counter picks its next ticket.

    order: "fifo" takes the oldest waiting ticket across the counter's services; "service_order" takes the
    first of the counter's services (in the order the site file lists them) that has anyone waiting.
    priority_max_streak: priority tickets (UU 25/2009) go first, but after this many priority calls in a row
    at one counter, the next call takes the oldest regular ticket if one waits, so nobody starves. 0 means
    priority tickets are not preferred at all.
    """

    order: str = "fifo"
    priority_max_streak: int = 3


@dataclass(frozen=True)
class Announcements:
    """How calls are spoken on speaker screens."""

    languages: tuple[str, ...] = ("id",)  # "id" first; add "en" for an English repeat
    reading: str = "number"  # "number": A seratus dua puluh tiga; "digits": A satu dua tiga
    template_id: str = "Nomor antrean {ticket}, silakan menuju {counter}"
    template_en: str = "Ticket number {ticket}, please go to {counter}"
    repeat: int = 1  # how many times each call is spoken (a recall is a new call and is spoken again)
    chime: bool = True


@dataclass(frozen=True)
class BookingPolicy:
    """Online booking (MPP Digital): slots follow the opening hours; a booking is checked in at the kiosk within
    a window around its slot and is released when its citizen has not come by the end of the window."""

    slot_minutes: int = 30
    days_ahead: int = 14
    checkin_before_minutes: int = 30
    checkin_after_minutes: int = 15
    # Bookings one phone number may hold for one service on one day: a family books for its members, and one
    # person with made-up NIKs cannot take a day's whole online quota (an outside review took all 10 in a minute).
    per_phone: int = 3
    # A number is verified by a one-time code before it books, where the site has a gateway to send it with
    # (application/phone_codes.py); per_phone alone was beaten by made-up numbers.
    verify_phone: bool = True
    # Codes sent an hour at the request of one client address, and by the site in all: a code costs the mall a
    # message, and one address asking codes for a stream of numbers (each a stranger's) got its WhatsApp number
    # blocked as spam. Many citizens share a mobile carrier's address, so the first is a family's many times over;
    # the second is well above a busy mall's honest hour (~500 bookings a day) and bounds an attack from many
    # addresses (the dashboard says when it is reached).
    codes_per_address: int = 30
    codes_per_hour: int = 300


@dataclass(frozen=True)
class AlertPolicy:
    """When the supervisor's dashboard raises the alerts a mall may tune ([alerts] of the site file, the Settings
    page; supervision/alerts.py): how long the first citizen of a service waits with none of its counters open
    (`no_counter`), how long an open counter calls nobody while a citizen of its services waits (`counter_idle`), and
    how far past the service's usual time one citizen at a counter is (`service_long`: this many times the usual time
    and this many minutes over it), when a counter's card is marked "lama" before that (`service_mark_*`: a hint,
    not an alert), and how long after opening a TV screen that worked before may stay off before it is missing
    (`screen_missing_minutes`). The defaults are what every mall had before they could be set."""

    no_counter_minutes: int = 5
    counter_idle_minutes: int = 5
    service_long_times: float = 3.0
    service_long_minutes: int = 15
    service_mark_times: float = 2.0
    service_mark_minutes: int = 5
    screen_missing_minutes: int = 10


@dataclass(frozen=True)
class Screen:
    id: str
    name: str
    agencies: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    speaker: bool = True


@dataclass(frozen=True)
class SpecialPeriod:
    """Dates (inclusive) with weekly hours of their own: Ramadan's shorter days, a regional event. A weekday the
    period does not name is closed during it."""

    name: str
    start: date
    end: date
    weekly: dict[str, tuple[tuple[time, time], ...]]


@dataclass(frozen=True)
class OpeningHours:
    """Weekly opening ranges in local time, special periods with their own, plus closed dates (holidays)."""

    weekly: dict[str, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    periods: tuple[SpecialPeriod, ...] = ()
    # Some holidays' names ("Hari Natal"): the kiosk says why the mall is closed that day.
    holiday_names: dict[date, str] = field(default_factory=dict)

    def ranges_on(self, day: date) -> tuple[tuple[time, time], ...]:
        """The opening ranges of a local day: none on a holiday, a special period's, or the usual week's."""
        if day in self.holidays:
            return ()
        weekday = WEEKDAYS[day.weekday()]
        for period in self.periods:
            if period.start <= day <= period.end:
                return period.weekly.get(weekday, ())
        return self.weekly.get(weekday, ())

    def period_on(self, day: date) -> SpecialPeriod | None:
        return next((p for p in self.periods if p.start <= day <= p.end), None)

    def is_open(self, local: datetime) -> bool:
        now = local.time()
        return any(start <= now < end for start, end in self.ranges_on(local.date()))

    def next_change(self, local: datetime) -> datetime | None:
        """The next local datetime at which the site opens or closes (a range's start or end), looking two weeks
        ahead: when a kiosk's "not open yet" or "closed now" stops being true by the clock alone."""
        for offset in range(15):
            day = local.date() + timedelta(days=offset)
            moments = sorted(datetime.combine(day, edge, tzinfo=local.tzinfo)
                             for span in self.ranges_on(day) for edge in span)  # fmt: skip
            later = [moment for moment in moments if moment > local]
            if later:
                return later[0]
        return None

    def next_opening(self, local: datetime) -> datetime | None:
        """The next local datetime at which the site opens, looking two weeks ahead."""
        for offset in range(15):
            day = local.date() + timedelta(days=offset)
            for start, _end in self.ranges_on(day):
                candidate = datetime.combine(day, start, tzinfo=local.tzinfo)
                if candidate > local:
                    return candidate
        return None


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    timezone: str
    hours: OpeningHours
    agencies: dict[str, Agency]
    services: dict[str, Service]
    counters: dict[str, Counter]
    screens: dict[str, Screen] = field(default_factory=dict)
    routing: RoutingPolicy = RoutingPolicy()
    announcements: Announcements = Announcements()
    booking: BookingPolicy = BookingPolicy()
    enforce_hours: bool = True
    running_text: str = ""
    breaks: BreakRule | None = None
    notify: NotifyPolicy = NotifyPolicy()
    province: str | None = None  # its code in domain/provinces.py: the national view's filter and totals
    regency: str | None = None  # "Kabupaten Tegal", "Kota Tegal"; none for a province's own mall
    wifi: GuestWifi | None = None
    alerts: AlertPolicy = AlertPolicy()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, now: datetime) -> datetime:
        return now.astimezone(self.tz)

    def service_day(self, now: datetime) -> date:
        """The service day follows the site's local date, never UTC (which rolls over mid-morning in WIB)."""
        return self.local(now).date()

    def counter_zone(self, counter_id: str | None) -> str | None:
        """The zone (floor) of a counter, as a citizen is told where to go: only in a mall whose counters are in more
        than one zone, as the lobby TV shows it ("Loket 9 · Lantai 2"); a mall on one floor needs none."""
        counter = self.counters.get(counter_id or "")
        if counter is None or not counter.zone:
            return None
        zones = {c.zone for c in self.counters.values() if c.zone}
        return counter.zone if len(zones) > 1 else None

    def counter_place(self, counter_id: str | None) -> str:
        """Where a citizen goes: "Loket 9, Lantai 2" in a mall of several zones, "Loket 9" in one of one zone ("" for
        a counter the configuration no longer has)."""
        counter = self.counters.get(counter_id or "")
        if counter is None:
            return ""
        zone = self.counter_zone(counter.id)
        return f"{counter.name}, {zone}" if zone else counter.name

    def slots(self, day: date) -> list[tuple[datetime, datetime]]:
        """The booking slots of a local day (aware datetimes), cut from its opening ranges; none on holidays."""
        step = timedelta(minutes=self.booking.slot_minutes)
        out = []
        for start, end in self.hours.ranges_on(day):
            at = datetime.combine(day, start, tzinfo=self.tz)
            limit = datetime.combine(day, end, tzinfo=self.tz)
            while at + step <= limit:
                out.append((at, at + step))
                at += step
        return out

    def counters_serving(self, service_id: str) -> tuple[Counter, ...]:
        return self._counters_by_service.get(service_id, ())

    @cached_property
    def _counters_by_service(self) -> dict[str, tuple[Counter, ...]]:
        """Built once per site model (asked on every ticket issued, for the wait estimate)."""
        return {
            service_id: tuple(c for c in self.counters.values() if service_id in c.services)
            for service_id in self.services
        }


# The running text's longest, spaces folded (a display scrolls one line): the API's, a site file's and the Settings
# page's limit alike.
RUNNING_TEXT_MAX = 500

MAX_CHANGES_LISTED = 12  # in one audit sentence; the rest are counted
# The sections of a site file a change names by their key ("~routing"); a key of [site] or [alerts] by its own
# ("~site.hours", "~alerts.counter_idle_minutes": which threshold a supervisor changed, in the audit log).
DESCRIBED_SECTIONS = ("site", "routing", "announcements", "booking", "screens", "notify", "alerts")
_BY_KEY = frozenset({"site", "alerts"})


def describe_changes(old: Site, new: Site, old_document: dict[str, Any], new_document: dict[str, Any]) -> list[str]:
    """What changed, by name: "+Paspor", "-Loket 9", "~Disdukcapil", and a changed section by its site-file key
    ("~site.hours"). Names are the mall's own words, the same in both languages of the audit log."""
    out: list[str] = []
    kinds = ((old.agencies, new.agencies), (old.services, new.services), (old.counters, new.counters))
    for kind_old, kind_new in kinds:
        for key in sorted(kind_new.keys() - kind_old.keys()):
            out.append(f"+{kind_new[key].name}")
        for key in sorted(kind_old.keys() - kind_new.keys()):
            out.append(f"-{kind_old[key].name}")
        for key in sorted(kind_old.keys() & kind_new.keys()):
            if kind_old[key] != kind_new[key]:
                out.append(f"~{kind_new[key].name}")
    for section in DESCRIBED_SECTIONS:
        before, after = old_document.get(section), new_document.get(section)
        if section in _BY_KEY and isinstance(before, dict | None) and isinstance(after, dict | None):
            before, after = before or {}, after or {}
            keys = sorted(before.keys() | after.keys())
            out.extend(f"~{section}.{k}" for k in keys if before.get(k) != after.get(k))
        elif before != after:
            out.append(f"~{section}")
    return out


def changes_sentence(changes: list[str]) -> str:
    """The changes for one audit sentence: the first MAX_CHANGES_LISTED by name, the rest counted."""
    if not changes:
        return "-"
    shown = ", ".join(changes[:MAX_CHANGES_LISTED])
    more = len(changes) - MAX_CHANGES_LISTED
    return f"{shown} (+{more})" if more > 0 else shown
