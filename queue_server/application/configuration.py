"""A site's configuration as its administrators change it on the web: the current document, a change checked as a
site file is and applied live through the engine (audited), the site file to export, and what changed in words.

The document is the site file's own structure (docs/site-file.md) as JSON, so the web and git edit the same thing:
what the web saves exports as a site file, and a changed site file takes over at the next start (pipeline/engine.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from queue_server.application import validation as v
from queue_server.application.announcements import VocabularyError, check_speakable
from queue_server.application.auth import Principal, allowed, require
from queue_server.application.capacity import shortfalls
from queue_server.application.context import Context
from queue_server.common.messages import DAYS_ID, LANGUAGES, MONTHS_ID, catalogue, change_words
from queue_server.common.problems import Names, names_in, problem_text
from queue_server.domain import commands as c
from queue_server.domain.catalogue import (
    RUNNING_TEXT_MAX,
    AlertPolicy,
    Announcements,
    BookingPolicy,
    RoutingPolicy,
    Site,
    describe_changes,
)
from queue_server.domain.decide import bookings_closed
from queue_server.domain.refusal import Refusal
from queue_server.domain.state import SiteState
from queue_server.settings.sitefile import (
    ALERT_BOUNDS,
    SETTING_BOUNDS,
    TEMPLATE_MAX,
    SiteFileError,
    environment_of,
    gateway_strings,
    json_document,
    normalised_document,
    site_file_text,
    variables_in,
    without_gateway,
)

# What a configuration's parser is given: the document, and the environment its gateway's ${VARIABLE}s may use.
Parse = Callable[[dict[str, Any], Mapping[str, str]], Site]


def read(ctx: Context, principal: Principal | None, site_id: str) -> dict[str, Any]:
    """The configuration an administrator edits, with the version a change must name (optimistic locking)."""
    state = ctx.state(site_id)
    require(principal, "site.configure", site_id)
    configuration = state.configuration
    return {"site": site_id, "version": configuration.version, "source": configuration.source,
            "document": configuration.document, "warnings": warnings(state.site),
            "alerts": alert_thresholds(state.site), "running_text_max": RUNNING_TEXT_MAX,
            "queue_settings": queue_settings(state.site)}  # fmt: skip


def queue_settings(site: Site) -> dict[str, Any]:
    """How calls are said and made, breaks and online booking as in force (each its default where the document
    leaves it out), the bounds a change may take (`bounds`, per section and key), and whether the mall has a
    WhatsApp/SMS gateway (`gateway`: without one, booking verifies no phone number whatever `verify_phone` says):
    what the Settings page's "Panggilan & antrean" tab shows and checks before it sends a change."""
    breaks = site.breaks
    window = f"{breaks.start:%H:%M}-{breaks.end:%H:%M}" if breaks else None
    return {
        "announcements": {**asdict(site.announcements), "languages": list(site.announcements.languages)},
        "routing": asdict(site.routing),
        "breaks": {"window": window, "minutes": breaks.minutes} if breaks else None,
        "booking": asdict(site.booking),
        "defaults": {"announcements": {**asdict(Announcements()), "languages": list(Announcements().languages)},
                     "routing": asdict(RoutingPolicy()), "booking": asdict(BookingPolicy())},
        "bounds": {section: {key: list(bounds) for key, bounds in keys.items()}
                   for section, keys in SETTING_BOUNDS.items()},
        "template_max": TEMPLATE_MAX,
        "gateway": site.notify.offered,
    }  # fmt: skip


def alert_thresholds(site: Site) -> dict[str, dict[str, float]]:
    """The alert thresholds in force ([alerts], each its default where the document leaves it out), with the default
    and the bounds a change may take: what the Settings page shows and checks before it sends a change."""
    default = AlertPolicy()
    return {key: {"value": getattr(site.alerts, key), "default": getattr(default, key), "low": low, "high": high}
            for key, (low, high) in ALERT_BOUNDS.items()}  # fmt: skip


def warnings(site: Site) -> list[dict[str, Any]]:
    """What a configuration allows but a mall will regret, with the figures the page words: a service no counter
    serves (it takes no tickets: the kiosk leaves it out, which an administrator who had just added it could not
    tell), and the daily quotas that need more counter time than their counters have (application/capacity.py)."""
    served = {service for counter in site.counters.values() for service in counter.services}
    unserved = [
        {"kind": "service_without_counter", "service": {"id": s.id, "name": s.name},
         "agency": {"id": s.agency, "name": site.agencies[s.agency].short_name}}
        for s in site.services.values()
        if s.id not in served
    ]  # fmt: skip
    return unserved + [
        {"kind": "quota_over_capacity",
         "services": [{"id": s, "name": site.services[s].name} for s in short.services],
         "counters": [{"id": c, "name": site.counters[c].name} for c in short.counters],
         "quota": short.quota, "needed_minutes": short.needed, "available_minutes": short.available,
         "citizens": short.citizens, "days": list(short.days)}
        for short in shortfalls(site)
    ]  # fmt: skip


def export(ctx: Context, principal: Principal | None, site_id: str) -> str:
    """The current configuration as a site file, headed with where it came from."""
    state = ctx.state(site_id)
    require(principal, "site.configure", site_id)
    now = ctx.now().astimezone(state.site.tz)
    when = f"{DAYS_ID[now.weekday()]}, {now.day} {MONTHS_ID[now.month - 1]} {now.year} {now:%H.%M}"
    heading = (
        f"Site file of {state.site.name}, configuration version {state.configuration.version}, exported {when}.\n"
        "Start the server with it (queue-server serve --site FILE); a changed file replaces the web's version."
    )
    return site_file_text(state.configuration.document, heading)


async def checked_change(
    ctx: Context, principal: Principal, site_id: str, body: dict[str, Any], parse: Parse
) -> tuple[c.Configure, list[str]]:
    """The command replacing the configuration with `document`, made on `version`, once checked as a site file
    (every problem named); the rules of the live day (nothing in use removed) are the domain's. Also what changed.
    The messages to citizens (`notify`) are guarded: see `_notify_kept`."""
    state = ctx.state(site_id)
    v.only(body, {"version", "document", "cancel_bookings"})
    expected = v.whole_number(body, "version")
    if expected is None:
        raise Refusal("invalid_field.required", details={"field": "version"})
    confirmed = v.whole_number(body, "cancel_bookings")  # the count a bookings_closed refusal named, if any
    document = body.get("document")
    if not isinstance(document, dict):
        raise refused_problems(["document: must be the site file as a JSON object"], {})
    # Stored and served with lists where the site file's checks also take one text (`"mon": "08:00-15:00"`).
    document = normalised_document(json_document(document))
    names = names_in(document)  # a problem names an agency, a service, a counter by the name the page shows
    kept = _notify_kept(principal, site_id, state.configuration.document, document, names)
    try:
        site = parse(_readable_here(state.site, state.configuration.document, document), environment_of(kept))
        if site.id != site_id:
            raise refused_problems([f"site.id: must stay {site_id!r} (a new mall is a new site file)"], names)
        check_speakable(site)
        if ctx.announcer is not None:  # the words of a new counter's name, before its first call
            await ctx.announcer.prepare_site(site)
    except SiteFileError as exc:
        raise refused_problems(_changed_first(exc.problems, state.configuration.document, document), names) from None
    except VocabularyError as exc:
        raise refused_problems([exc.problem], names) from None
    await _no_operators_left_behind(ctx, state.site, site)
    changes = describe_changes(state.site, site, state.configuration.document, document)
    closed = bookings_closed(state, site, ctx.now())
    # Confirmed only as many as the refusal named: a booking made since on a day it closes is asked about again.
    cancel = frozenset(b.id for b, _ in closed) if closed and confirmed == len(closed) else frozenset()
    return c.Configure(site, document, "web", state.configuration.file_hash, expected, cancel), changes


def closure_details(state: SiteState, command: c.Configure) -> dict[str, Any]:
    """What the audit entry of a change says of the bookings it cancels: how many, on which days, and how many of
    their citizens get a message (those who left a number, where the site sends messages). Nothing if none."""
    closed = [b for b in state.bookings.values() if b.id in command.cancel_bookings]
    if not closed:
        return {}
    days: dict[str, int] = {}
    for booking in closed:
        days[booking.day.isoformat()] = days.get(booking.day.isoformat(), 0) + 1
    told = sum(1 for b in closed if b.contact) if command.site.notify.offered else 0
    return {"bookings_cancelled": len(closed), "on": [[day, n] for day, n in sorted(days.items())], "told": told}


def changes_text(changes: list[str]) -> dict[str, list[str]]:
    """What changed in the page's words, per language ("Loket 2 ditambahkan", "jam buka diubah"): a person reads them,
    not the codes describe_changes gives the audit log and the server's log ("+Loket 2", "~site.hours")."""
    return {lang: [change_words(change, lang) for change in changes] for lang in LANGUAGES}


def _notify_kept(
    principal: Principal, site_id: str, old: dict[str, Any], new: dict[str, Any], names: Names
) -> set[str]:
    """Where citizens' numbers and messages go (the gateway: its address, headers and body) and the address their
    links name (`public_url`) are an admin's (or the site file's) to change: a supervisor's document must keep them
    as they are (403). A document from the web never reads the server's environment: a gateway header may name a
    ${VARIABLE} only exactly as the stored configuration has it, under the same name, for the same gateway address
    (anything else is refused, 422, before any variable is looked up, so the answer never tells whether one is
    set). Returns the variables kept, the only ones the new document may expand."""
    old_notify, new_notify = _table(old.get("notify")), _table(new.get("notify"))
    old_gateway, new_gateway = _table(old_notify.get("gateway")), _table(new_notify.get("gateway"))
    changed = [key for key in ("gateway", "public_url") if old_notify.get(key) != new_notify.get(key)]
    if changed and not allowed(principal, "site.notify", site_id):
        raise Refusal("forbidden.notify_settings", details={"field": f"notify.{changed[0]}"})
    same_address = old_gateway.get("url") == new_gateway.get("url")
    old_headers, new_headers = _table(old_gateway.get("headers")), _table(new_gateway.get("headers"))
    # Every text of the gateway that names a variable, by where it is: its headers, its address (a key in the
    # query), the strings of its body. Each must be as stored, at the same place, for the same address.
    old_texts = {f"notify.gateway.headers.{k}": v for k, v in old_headers.items()}
    old_texts.update(gateway_strings(old_gateway.get("body")))
    new_texts = {f"notify.gateway.headers.{k}": v for k, v in new_headers.items()}
    new_texts.update(gateway_strings(new_gateway.get("body")))
    if isinstance(new_gateway.get("url"), str):
        new_texts["notify.gateway.url"] = new_gateway["url"]
        old_texts["notify.gateway.url"] = old_gateway.get("url")
    kept: set[str] = set()
    problems = []
    for place, value in new_texts.items():
        variables = variables_in(value) if isinstance(value, str) else []
        if not variables:
            continue
        if same_address and old_texts.get(place) == value:
            kept.update(variables)
        else:
            problems.append(f"{place}: names an environment variable; a reference to one can be added or changed "
                            "only in the site file, not on the web")  # fmt: skip
    if problems:
        raise refused_problems(problems, names)
    return kept


def _readable_here(running: Site, stored: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """What a document is read as here. The configuration in force may be served without its WhatsApp/SMS gateway
    (a ${VARIABLE} of its headers not set in this process: pipeline/engine.py); a document that keeps that gateway
    exactly as stored is read without it too, so the day can still be changed on the web. The document saved keeps
    the gateway: messages come back when the server starts with the variable set."""
    bare = without_gateway(document)
    gateway_off = running.notify.gateway is None and without_gateway(stored) is not None
    same = _table(_table(stored.get("notify")).get("gateway")) == _table(_table(document.get("notify")).get("gateway"))
    return bare if gateway_off and same and bare is not None else document


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


async def _no_operators_left_behind(ctx: Context, old: Site, new: Site) -> None:
    """An agency removed while active operator accounts belong to it would leave them signed in to nothing (their
    agency a code no page knows): they are disabled or removed first."""
    for agency_id in sorted(old.agencies.keys() - new.agencies.keys()):
        bound = sorted(u.username for u in await ctx.accounts.store.users()
                       if u.active and u.role == "operator" and u.site == old.id and u.agency == agency_id)  # fmt: skip
        if bound:
            raise Refusal("agency_in_use", agency=old.agencies[agency_id].name, accounts=bound,
                          details={"agency": agency_id, "accounts": bound})  # fmt: skip


_PREFIX_TAKEN = re.compile(
    r'^agencies\[\d+ "[^"]*"\]\.services\[\d+ "(?P<service>[^"]*)"\]\.prefix: '
    r"'(?P<prefix>.*)' is already used by service '(?P<other>.*?)'(?P<rest>.*)$"
)


def _prefixes(document: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """Each service's place in the document (as a site file's problem names it) and its prefix, by id."""
    out: dict[str, tuple[str, Any]] = {}
    agencies = document.get("agencies")  # anything but a list is the site file's checks' to refuse, with a reason
    for i, agency in enumerate(agencies if isinstance(agencies, list) else []):
        services = agency.get("services") if isinstance(agency, dict) else None
        for j, service in enumerate(services if isinstance(services, list) else []):
            if isinstance(service, dict) and isinstance(service.get("id"), str):
                where = f'agencies[{i} "{agency.get("id")}"].services[{j} "{service["id"]}"]'
                out[service["id"]] = (where, service.get("prefix"))
    return out


def _changed_first(problems: list[str], old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """A prefix taken twice is named, as a site file is read, on the later of the two services; when the earlier one
    is the service just given it (its form open on the page), it is named on that one instead: "Layanan Kartu
    Keluarga, awalan nomor: awalan B sudah dipakai layanan KTP Elektronik" read, to someone editing KTP, as if Kartu
    Keluarga had changed."""
    before, after = _prefixes(old), _prefixes(new)
    out = []
    for problem in problems:
        taken = _PREFIX_TAKEN.match(problem)
        if taken:
            service, other = taken["service"], taken["other"]
            moved = other in after and before.get(other, (None, None))[1] != after[other][1]
            if moved and service in before and before[service][1] == after.get(service, (None, None))[1]:
                said = f"{taken['prefix']!r} is already used by service {service!r}{taken['rest']}"
                problem = f"{after[other][0]}.prefix: {said}"
        out.append(problem)
    return out


def refused_problems(problems: list[str], names: Names) -> Refusal:
    """Every problem in the sentence, and as a list for the administration page to show beside its fields: as the
    site file names them (`problems`, as check-site says them, by code) and in the page's words with the names of
    `names` (`problems_text`: "Perpanjangan SIM adalah layanan instansi Polres")."""
    said = {lang: [problem_text(p, lang, catalogue(), names) for p in problems] for lang in LANGUAGES}
    return Refusal("configuration_invalid", problems=said, details={"problems": problems, "problems_text": said})
