"""Alerts a supervisor must see: a service whose longest current wait has passed its target
(`Service.target_wait_minutes`), a service whose citizens wait with no counter of it open (all on a break, or none
opened: the wait alert says so only once the target has passed, 20 to 60 minutes later), a service whose new tickets
would be called after closing (the kiosk tells citizens they may not be served today; another counter may still save
the day), a display that has gone quiet (disconnected), a service whose walk-in quota for today is spent (citizens
arriving later get no number: the mall's most heard complaint, "kuota habis jam 7"), an endpoint (a webhook, the
WhatsApp/SMS gateway) whose messages keep failing, a counter left open by an account disabled since (its
operator signed out everywhere, the counter still counted open in every wait estimate and its called citizen still
on every screen), an open counter that calls nobody while its citizens wait, a counter with one citizen far
longer than that service's usual time, and, on a server mirroring a mall, the mall's running text withheld there
for naming a citizen.

They are derived from the live figures every time, never stored: an alert is active exactly while its condition
holds, and it clears by itself when the queue is called down or the screen comes back. What each kind says, in
Indonesian and English, is in the message catalogue (common/messages.toml, section `alert`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from queue_server.common import messages
from queue_server.common.delivery_problems import DELIVERY, UPLINK, said
from queue_server.common.problems import place_text
from queue_server.domain.catalogue import AlertPolicy, Site
from queue_server.domain.wait import WaitEstimate
from queue_server.settings import site_history

KINDS = (
    "storage_failing",
    "configuration_unreadable",
    "site_file_waiting",
    "site_file_older",
    "messages_off",
    "clock",
    "no_counter",
    "wait",
    "past_closing",
    "quota_spent",
    "device",
    "device_missing",
    "delivery_failing",
    "phone_codes_capped",
    "uplink_failing",
    "running_text_withheld",
    "configuration_withheld",
    "hours_not_enforced",
    "counter_held",
    "counter_idle",
    "service_long",
)
# The sentences of the catalogue: one per kind, `delivery_retrying` for a failing endpoint that has given up no
# message yet but has been retrying one for minutes ("0 pesan tidak terkirim" beside "pengiriman gagal" read as a
# contradiction), and `reported_elsewhere` around a configuration alert another server process raised (its sentence
# says "this server": the process that said it).
SENTENCES = (*KINDS, "delivery_retrying", "reported_elsewhere", "storage_unreachable")  # besides the kinds: variants


# When three alerts are raised is the site's to tune (`[alerts]`, the Settings page: domain/catalogue.AlertPolicy,
# read from the site as configured at each push, so a change applies at the next one, on every process):
# - no_counter: the first citizen of a service has waited `no_counter_minutes` with no counter of it open (a ticket
#   taken while its operator is opening the counter raises nothing);
# - counter_idle: an open counter calls nobody while citizens of its services wait (its operator stepped away
#   without pausing: it still counts as open in every wait estimate), once one of them has waited
#   `counter_idle_minutes` while it stood idle;
# - service_long: one citizen at a counter `service_long_times` the service's usual time (the wait estimate's learnt
#   figure per citizen, else the site file's `service_minutes`) and `service_long_minutes` over it (a 4-minute
#   service is not an alert at 12 minutes; a forgotten "Selesai" or a citizen in trouble is).
# The card's mark before it ("lama · biasanya 6 mnt"), a hint, not an alert, is the site's too (`service_mark_times`,
# `service_mark_minutes`: twice the usual time and 5 minutes over unless set): a mall that gives its long services
# more room before the alert would see every card marked long before it otherwise. A mark set at or past the alert
# never shows (the card goes straight to the alert).


def overrun(seconds: float | None, usual_seconds: float | None, policy: AlertPolicy) -> str | None:
    """'alert' or 'long' for a counter with one citizen for far longer than the service's usual time; else None."""
    if seconds is None or not usual_seconds:
        return None
    alert = (policy.service_long_times, policy.service_long_minutes * 60)
    mark = (policy.service_mark_times, policy.service_mark_minutes * 60)
    for level, (factor, over) in (("alert", alert), ("long", mark)):
        if seconds >= factor * usual_seconds and seconds - usual_seconds >= over:
            return level
    return None


def _local(site: Site, iso: str | None) -> datetime | None:
    return site.local(datetime.fromisoformat(iso)) if iso else None


def _said(kind: str, **params: Any) -> dict[str, str]:
    """The alert's sentence in both languages: `message` (Indonesian) and `message_en`."""
    return {
        "message": messages.text("alert", kind, "id", params),
        "message_en": messages.text("alert", kind, "en", params),
    }


def _uplink_problem(uplink: Mapping[str, Any]) -> dict[str, Any] | None:
    kind = uplink.get("error_kind")
    return {**(uplink.get("error_figures") or {}), "kind": kind} if kind else None


def _problem_words(section: str, problem: Mapping[str, Any] | None, text: str | None) -> dict[str, str]:
    """A delivery's or the uplink's problem as the alert's `error` (Indonesian) and `error_en`, from its kind (common/
    delivery_problems.py); an earlier release's text alone as that text."""
    words = said(section, problem, text) or {"id": "?", "en": "?"}
    return {"error": words["id"], "error_en": words["en"]}


def _with_problem(kind: str | None, text: str | None) -> dict[str, Any]:
    """What the alert carries of its problem besides its sentence: its kind (None for an earlier release's) and the
    technical text, for whoever mends it (the dashboard shows it on hovering the alert)."""
    return {"error_kind": kind, "detail": text}


def _withheld_said(site: Site, since: datetime, places: Sequence[str]) -> dict[str, str]:
    """configuration_withheld's sentence, each place said as the mall's own server refuses that text (common/problems:
    "Instansi Disdukcapil, Loket 1, nama"), by the names the mirror serves (the withheld texts' defaults)."""
    names = {
        "agencies": {a.id: a.short_name for a in site.agencies.values()},
        "services": {s.id: s.name for s in site.services.values()},
        "counters": {c.id: c.name for c in site.counters.values()},
        "screens": {s.id: s.name for s in site.screens.values()},
    }
    said = {}
    for lang, key in (("id", "message"), ("en", "message_en")):
        fields = "; ".join(place_text(place, lang, messages.catalogue(), names) for place in places)
        said[key] = messages.text(
            "alert", "configuration_withheld", lang, {"since": site.local(since), "fields": fields}
        )
    return said


def _screen(device: dict[str, Any]) -> str:
    """ "Layar lobi utama (TV 2)"; the device's name alone when it already names the screen."""
    name, screen = device["name"], device["screen_name"] or ""
    return name if screen in name else f"{screen} ({name})"


def detect(
    site: Site,
    services: list[dict[str, Any]],
    devices: list[dict[str, Any]],
    deliveries: Sequence[dict[str, Any]] = (),
    clock_doubt: dict[str, Any] | None = None,
    missing: Sequence[dict[str, Any]] = (),
    uplink: dict[str, Any] | None = None,
    configuration: Mapping[str, dict[str, Any]] | None = None,
    held: Sequence[dict[str, Any]] = (),
    storage: dict[str, Any] | None = None,
    codes_capped: dict[str, Any] | None = None,
    counters: Sequence[dict[str, Any]] = (),
    running_text_withheld: datetime | None = None,
    configuration_withheld: tuple[datetime, tuple[str, ...]] | None = None,
    hours_not_enforced: bool = False,
) -> list[dict[str, Any]]:
    """`held`: counters open or paused under an account disabled since, with nobody else signed in at them
    (supervision/monitor.py); `deliveries`: the site's endpoints whose messages keep failing
    (application/notifications.py); `clock_doubt`:
    why a past day was not closed by itself (pipeline/engine.py); `missing`: registered TV screens that have not
    connected since the site opened today (application/screen_watch.py); `uplink`: the log has not gone up to the
    server that mirrors the mall for a while (outbound/uplink.py); `configuration`: what is amiss with the site's
    configuration, by kind (Context.configuration_alerts: the stored one unreadable and the site file served in
    its place, a changed site file the day refused, messages to citizens off for want of a gateway's variable; with a
    `process` when another server process raised it); `storage`: this process's writes failing since (a full disk:
    Engine.write_failure), first, as nothing else can be done meanwhile; `codes_capped`: the site sent its
    `[booking] codes_per_hour` verification codes in the last hour (application/phone_codes.py sites_capped);
    `counters`: the dashboard's counters (their state), which the `no_counter` alert names;
    `running_text_withheld`: a mirrored mall's running text, set then, named a citizen and is withheld here
    (application/actions.py); `configuration_withheld`: a mirrored mall's configuration in force, set then, has
    texts naming a citizen (their places) withheld here (domain/relay.configuration_withheld); `hours_not_enforced`:
    the configuration in force lets tickets be taken outside opening hours (`enforce_hours = false`, the evening
    try-out's switch: `hours_switched_off`)."""
    out: list[dict[str, Any]] = []
    if storage is not None:
        since = site.local(storage["since"])
        if storage["full"]:
            full = {"error": "disk server penuh", "error_en": "the server's disk is full"}
            said = _said("storage_failing", since=since, **full)
        elif storage.get("unreachable"):  # PostgreSQL stopped, paused or out of reach: not a disk to look at
            said = _said("storage_unreachable", since=since, error=storage["error"])
        else:
            said = _said("storage_failing", since=since, error=storage["error"], error_en=storage["error"])
        out.append(
            {"id": "storage", "kind": "storage_failing", "agencies": [], "since": storage["since"].isoformat(), **said}
        )
    for kind, facts in sorted((configuration or {}).items()):
        params = site_history.said(facts, site.local) if kind == "site_file_older" else facts
        said = _said(kind, **{**params, "variables": ", ".join(facts.get("variables", []))})
        if facts.get("process"):  # raised by another server process (application/process_alerts.py)
            said = _said("reported_elsewhere", process=facts["process"], alert=said["message"],
                         alert_en=said["message_en"])  # fmt: skip
        out.append({"id": f"configuration:{kind}", "kind": kind, "agencies": [], **facts, **said})
    if uplink is not None:
        out.append(
            {
                "id": "uplink",
                "kind": "uplink_failing",
                "agencies": [],
                "since": uplink["failing_since"],
                "behind": uplink["behind"],
                **_with_problem(uplink.get("error_kind"), uplink["last_error"]),
                **_said(
                    "uplink_failing",
                    since=_local(site, uplink["failing_since"]),
                    **_problem_words(UPLINK, _uplink_problem(uplink), uplink["last_error"]),
                ),  # fmt: skip
            }
        )
    if running_text_withheld is not None:
        out.append(
            {
                "id": "running_text_withheld",
                "kind": "running_text_withheld",
                "agencies": [],
                "since": running_text_withheld.isoformat(),
                **_said("running_text_withheld", since=site.local(running_text_withheld)),
            }
        )
    if configuration_withheld is not None:
        since, places = configuration_withheld
        out.append(
            {
                "id": "configuration_withheld",
                "kind": "configuration_withheld",
                "agencies": [],
                "since": since.isoformat(),
                "fields": list(places),
                **_withheld_said(site, since, places),
            }
        )
    if hours_not_enforced:
        out.append({"id": "hours_not_enforced", "kind": "hours_not_enforced", "agencies": [],
                    **_said("hours_not_enforced")})  # fmt: skip
    if clock_doubt is not None:
        last = clock_doubt.get("last_event_at")
        last = last if isinstance(last, datetime) else None
        out.append(
            {
                "id": "clock",
                "kind": "clock",
                "agencies": [],
                "last_event_at": last.isoformat() if last else None,
                **_said("clock", last=site.local(last) if last else None),
            }
        )
    for h in held:
        counter = site.counters.get(h["counter"])
        if counter is None:
            continue
        holding = _holding(h.get("ticket"), h.get("ticket_state"))
        out.append(
            {
                "id": f"counter_held:{counter.id}",
                "kind": "counter_held",
                "agencies": [counter.agency],
                "counter": counter.id,
                "account": h["account"],
                "ticket": h.get("ticket"),
                **_said(
                    "counter_held",
                    counter=counter.name,
                    account=h["account"],
                    state=h["state"],
                    holding=holding[0],
                    holding_en=holding[1],
                ),  # fmt: skip
            }
        )
    for c in counters:
        alert = _counter_idle(site, c) or _service_long(site, c)
        if alert is not None:
            out.append(alert)
    # Nobody at any counter of the service: one alert that says which counters to open, in place of the wait
    # alert (a late service with no counter open raised both, the same citizens twice in a box of two rows).
    state_of = {c["id"]: c["state"] for c in counters}
    unstaffed = set()
    for s in services:
        if s["counters_open"] or s["longest_wait"] is None or s["longest_wait"] < site.alerts.no_counter_minutes * 60:
            continue
        unstaffed.add(s["id"])
        names = _counters_to_open(site, s["id"], state_of)
        ids = [c.id for c in site.counters_serving(s["id"])]
        out.append(
            _of_service("no_counter", s, {"counters": names[0], "counters_en": names[1]}, wait=s["longest_wait"],
                        counters=ids)
        )  # fmt: skip
    for s in services:
        wait, target = s["longest_wait"], s["target_wait_minutes"]
        if wait is None or wait <= target * 60 or s["id"] in unstaffed:
            continue
        out.append(_of_service("wait", s, ticket=s["longest_label"], wait=wait, target_minutes=target))
    for s in services:
        if past_closing(s.get("new_ticket") or {}):
            out.append(_of_service("past_closing", s))
    for s in services:
        if s.get("quota_spent_at"):
            out.append(
                {
                    "id": f"quota_spent:{s['id']}",
                    "kind": "quota_spent",
                    "agencies": [s["agency"]],
                    "service": s["id"],
                    "waiting": s["waiting"],
                    "quota": s["quota"],
                    "since": s["quota_spent_at"],
                    **_said("quota_spent", service=s["name"], quota=s["quota"], at=_local(site, s["quota_spent_at"])),
                }
            )
    for d in devices:
        if d["health"] != "down":
            continue
        out.append(
            {
                "id": f"device:{d['id']}",
                "kind": "device",
                "agencies": d["agencies"],  # the screen's agencies; none: a screen of the whole hall
                "device": d["id"],
                "screen": d["screen"],
                "since": d["last_seen"],
                **_said("device", screen=_screen(d), since=_local(site, d["last_seen"])),
            }
        )
    for m in missing:
        out.append(
            {
                "id": f"device:{m['id']}",
                "kind": "device_missing",
                "agencies": m["agencies"],
                "device": m["id"],
                "screen": m["screen"],
                "since": m["opened"],
                **_said("device_missing", screen=_screen(m), since=_local(site, m["opened"])),
            }
        )
    if codes_capped is not None:
        out.append(
            {
                "id": "phone_codes_capped",
                "kind": "phone_codes_capped",
                "agencies": [],
                "sent": codes_capped["sent"],
                "limit": codes_capped["limit"],
                "until": codes_capped["until"].isoformat(),
                **_said(
                    "phone_codes_capped",
                    sent=codes_capped["sent"],
                    limit=codes_capped["limit"],
                    until=site.local(codes_capped["until"]),
                ),  # fmt: skip
            }
        )
    for d in deliveries:
        name_id, name_en = (("Gateway WhatsApp/SMS", "The WhatsApp/SMS gateway") if d["endpoint"] == "gateway"
                            else (f"Webhook {d['name']}", f"Webhook {d['name']}"))  # fmt: skip
        out.append(
            {
                "id": f"delivery:{d['endpoint']}",
                "kind": "delivery_failing",
                "agencies": [d["agency"]] if d.get("agency") else [],
                "endpoint": d["endpoint"],
                "since": d["since"],
                "dead": d["dead"],
                **_with_problem((d.get("problem") or {}).get("kind"), d["error"]),
                **_said(
                    "delivery_failing" if d["dead"] else "delivery_retrying",
                    endpoint=name_id,
                    endpoint_en=name_en,
                    since=_local(site, d["since"]),
                    dead=d["dead"],
                    **_problem_words(DELIVERY, d.get("problem"), d["error"]),
                ),
            }
        )
    return out


def _counter_idle(site: Site, c: Mapping[str, Any]) -> dict[str, Any] | None:
    """An open counter calling nobody while a citizen of its services has waited `counter_idle_minutes` meanwhile."""
    overlap = c.get("idle_while_waiting")
    if overlap is None or overlap < site.alerts.counter_idle_minutes * 60 or not c.get("idle_since"):
        return None
    return {
        "id": f"counter_idle:{c['id']}",
        "kind": "counter_idle",
        "agencies": [c["agency"]],
        "counter": c["id"],
        "since": c["idle_since"],
        "waiting": c["waiting_for"],
        "wait": overlap,  # orders it among the waits (dashboard.js)
        **_said(
            "counter_idle",
            counter=c["name"],
            since=_local(site, c["idle_since"]),
            idle=int((c["idle_seconds"] or 0) // 60),
            waiting=c["waiting_for"],
            ticket=c["waiting_label"],
            waited=int(overlap // 60),
        ),
    }


def _service_long(site: Site, c: Mapping[str, Any]) -> dict[str, Any] | None:
    """A counter with one citizen far longer than the service's usual time: which counter, how long, the usual;
    never the citizen (nor the ticket: the alert is about the counter's time)."""
    if c.get("overrun") != "alert":
        return None
    service = site.services.get(c["service"] or "")
    return {
        "id": f"service_long:{c['id']}",
        "kind": "service_long",
        "agencies": [c["agency"]],
        "counter": c["id"],
        "service": c["service"],
        "since": c["since"],
        "seconds": c["seconds"],
        "usual_seconds": c["usual_seconds"],
        **_said(
            "service_long",
            counter=c["name"],
            service=service.name if service else c["service"],
            since=_local(site, c["since"]),
            took=int(c["seconds"] // 60),
            usual=max(1, round(c["usual_seconds"] / 60)),
        ),
    }


def _counters_to_open(site: Site, service: str, state_of: Mapping[str, str]) -> tuple[str, str]:
    """The counters that serve a service, to open or call back from their break: "Loket 5 (jeda) atau Loket 6"."""
    said = [(c.name, state_of.get(c.id)) for c in site.counters_serving(service)]
    return (
        " atau ".join(f"{name} (jeda)" if state == "paused" else name for name, state in said),
        " or ".join(f"{name} (on a break)" if state == "paused" else name for name, state in said),
    )


def _holding(label: str | None, state: str | None) -> tuple[str, str]:
    """What a held counter does to citizens, in both languages."""
    if label and state == "serving":
        return f"{label} tercatat sedang dilayani", f"{label} is recorded as being served"
    if label:
        return f"{label} masih tampil dipanggil di layar", f"{label} still shows as called on the screens"
    return ("perkiraan waktu tunggu warga masih menghitungnya sebagai loket yang buka",
            "citizens' wait estimates still count it as open")  # fmt: skip


def hours_switched_off(document: Mapping[str, Any]) -> bool:
    """The configuration's own "Tolak tiket di luar jam buka" is off (`enforce_hours = false`): the kiosks issue at
    night and on holidays, and nobody is told a ticket will not be called before closing. Said at all hours while it
    is off, not only when the mall is closed: during the day it silences the "past closing" alert and the kiosk's
    warning, and the day's supervisor is the one who can see it and switch it back (docs/supervisor.md). The server's
    own `ignore_hours` (the demo's) is not the site's switch and raises nothing: no supervisor can set it back."""
    site = document.get("site")
    return isinstance(site, Mapping) and site.get("enforce_hours", True) is False


def past_closing(new_ticket: WaitEstimate | dict[str, Any]) -> bool:
    """A ticket taken now would be called after closing: the service's "past closing" alert."""
    if isinstance(new_ticket, WaitEstimate):
        return new_ticket.minutes is not None and new_ticket.after_closing
    return new_ticket.get("status") == "estimated" and bool(new_ticket.get("after_closing"))


def _of_service(kind: str, s: dict[str, Any], words: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
    """An alert about one service (`s`: its dashboard figures), for its agency's dashboards too; `words`: for its
    sentence only."""
    said: dict[str, Any] = {}
    if kind == "wait":
        said = {"waited": int(fields["wait"] // 60), "target": fields["target_minutes"]}
    elif kind == "no_counter":
        said = {"waited": int(fields["wait"] // 60), "target": s["target_wait_minutes"]}
    return {
        "id": f"{kind}:{s['id']}",
        "kind": kind,
        "agencies": [s["agency"]],
        "service": s["id"],
        "waiting": s["waiting"],
        **fields,
        **_said(kind, service=s["name"], ticket=s["longest_label"], waiting=s["waiting"], **said, **(words or {})),
    }


def visible(alert: dict[str, Any], agency: str | None) -> bool:
    """Whether a dashboard (of the whole site, or of one agency) shows an alert."""
    return agency is None or not alert["agencies"] or agency in alert["agencies"]


def changes(before: dict[str, dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What to push: alerts that appeared (active) and alerts that cleared (inactive, as they last were)."""
    now_ids = {a["id"] for a in after}
    raised = [{**a, "active": True} for a in after if a["id"] not in before]
    cleared = [{**a, "active": False} for key, a in before.items() if key not in now_ids]
    return raised + cleared
