"""Alerts a supervisor must see: a service whose longest current wait has passed its target
(`Service.target_wait_minutes`), a display that has gone quiet (disconnected), and an endpoint (a webhook, the
WhatsApp/SMS gateway) whose messages keep failing.

They are derived from the live figures every time, never stored: an alert is active exactly while its condition
holds, and it clears by itself when the queue is called down or the screen comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from queue_server.domain.catalogue import Site


def _clock(site: Site, iso: str | None, sep: str) -> str:
    """A local time as Indonesian writes it (09.56) or English (09:56)."""
    if not iso:
        return "?"
    return site.local(datetime.fromisoformat(iso)).strftime(f"%H{sep}%M")


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
) -> list[dict[str, Any]]:
    """`deliveries`: the site's endpoints whose messages keep failing (application/notifications.py); `clock_doubt`:
    why a past day was not closed by itself (pipeline/engine.py); `missing`: registered TV screens that have not
    connected since the site opened today (application/screen_watch.py)."""
    out: list[dict[str, Any]] = []
    if clock_doubt is not None:
        last = clock_doubt.get("last_event_at")
        when = site.local(last).strftime("%d-%m-%Y %H.%M") if isinstance(last, datetime) else "?"
        out.append(
            {
                "id": "clock",
                "kind": "clock",
                "agencies": [],
                "last_event_at": last.isoformat() if isinstance(last, datetime) else None,
                "message": f"Jam server tampak salah (kejadian terakhir {when}); hari sebelumnya tidak ditutup "
                "otomatis. Periksa jam server, lalu tutup hari itu atau buka kembali hari ini.",
                "message_en": f"The server's clock looks wrong (last event {when.replace('.', ':')}); the previous day "
                "was not closed by itself. Check the server's clock, then close that day or reopen today.",
            }
        )
    for s in services:
        wait, target = s["longest_wait"], s["target_wait_minutes"]
        if wait is None or wait <= target * 60:
            continue
        minutes = int(wait // 60)
        out.append(
            {
                "id": f"wait:{s['id']}",
                "kind": "wait",
                "agencies": [s["agency"]],
                "service": s["id"],
                "ticket": s["longest_label"],
                "wait": wait,
                "target_minutes": target,
                "message": f"{s['name']}: {s['longest_label']} menunggu {minutes} menit (target {target}), "
                f"{s['waiting']} orang dalam antrean.",
                "message_en": f"{s['name']}: {s['longest_label']} has waited {minutes} "
                f"minute{'' if minutes == 1 else 's'} (target {target}), {s['waiting']} in the queue.",
            }
        )
    for d in devices:
        if d["health"] != "down":
            continue
        screen = _screen(d)
        out.append(
            {
                "id": f"device:{d['id']}",
                "kind": "device",
                "agencies": d["agencies"],  # the screen's agencies; none: a screen of the whole hall
                "device": d["id"],
                "screen": d["screen"],
                "since": d["last_seen"],
                "message": f"{screen} terputus sejak pukul {_clock(site, d['last_seen'], '.')}.",
                "message_en": f"{screen} disconnected since {_clock(site, d['last_seen'], ':')}.",
            }
        )
    for m in missing:
        screen = _screen(m)
        out.append(
            {
                "id": f"device:{m['id']}",
                "kind": "device_missing",
                "agencies": m["agencies"],
                "device": m["id"],
                "screen": m["screen"],
                "since": m["opened"],
                "message": f"{screen} belum tersambung sejak buka pukul {_clock(site, m['opened'], '.')}. "
                "Periksa TV dan jaringannya.",
                "message_en": f"{screen} has not connected since opening at {_clock(site, m['opened'], ':')}. "
                "Check the TV and its network.",
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
                "message": f"{name_id}: pengiriman gagal sejak pukul {_clock(site, d['since'], '.')}, "
                f"{d['dead']} pesan tidak terkirim ({d['error']}). Periksa penerima, lalu kirim ulang.",
                "message_en": f"{name_en}: deliveries failing since {_clock(site, d['since'], ':')}, "
                f"{d['dead']} messages given up ({d['error']}). Check the receiver, then resend them.",
            }
        )
    return out


def visible(alert: dict[str, Any], agency: str | None) -> bool:
    """Whether a dashboard (of the whole site, or of one agency) shows an alert."""
    return agency is None or not alert["agencies"] or agency in alert["agencies"]


def changes(before: dict[str, dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What to push: alerts that appeared (active) and alerts that cleared (inactive, as they last were)."""
    now_ids = {a["id"] for a in after}
    raised = [{**a, "active": True} for a in after if a["id"] not in before]
    cleared = [{**a, "active": False} for key, a in before.items() if key not in now_ids]
    return raised + cleared
