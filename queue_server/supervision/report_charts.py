"""Which charts a report has and what they show, in Indonesian or English; charts.py draws them."""

from __future__ import annotations

from datetime import date
from typing import Any

from queue_server.supervision import charts
from queue_server.supervision.charts import Bar, Style

CHARTS = ("arrivals", "days", "waits", "ikm")

TITLES = {
    "arrivals": ("Kedatangan per jam (waktu setempat)", "Arrivals by hour (local time)"),
    "days": ("Kedatangan per hari", "Arrivals per day"),
    "waits": ("Waktu tunggu per layanan (menit)", "Wait by service (minutes)"),
    "ikm": ("Nilai rata-rata per unsur (NRR, 1–4)", "Mean score per element (NRR, 1–4)"),
}
SUMMED = (  # the arrivals' title over several days
    "Kedatangan per jam, jumlah {days} hari (waktu setempat)",
    "Arrivals by hour, total of {days} days (local time)",
)
NOBODY_CALLED = ("Belum ada yang dipanggil pada periode ini", "No one has been called in this period yet")
NO_TICKETS = ("Tidak ada tiket pada periode ini", "No tickets in this period")  # as the tables under them say
LEGENDS = {
    "arrivals": ("tiket", "tickets"),
    "days": ("tiket", "tickets"),
    "waits": ("batang: rata-rata · tanda gelap: P90 · garis merah: target", "bar: mean · dark tick: P90 · red: target"),
    "ikm": ("skala 1–4", "scale 1–4"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def _style(lang: str, digits: int = 1) -> Style:
    return Style("." if lang == "en" else ",", digits)


def arrivals(report: dict[str, Any], lang: str) -> str:
    """Over several days each hour's bar is the sum of its days: the title says so, or a month's 09.00 bar of 1.950
    reads as 1.950 citizens in one hour."""
    counts = report["arrivals"]["by_hour"]
    days = report["period"]["days"]
    title = _pick(TITLES["arrivals"], lang)
    if days > 1:
        title = _pick(SUMMED, lang).format(days=days)
    busy = [h for h, n in enumerate(counts) if n]
    if not busy:  # an empty axis from 0 to 4 read as a chart still loading, or broken
        return charts.empty(title, _pick(NO_TICKETS, lang))
    # Office hours at least, stretched to any hour that saw an arrival (early queues, late closings).
    first, last = min([7, *busy]), max([16, *busy])
    bars = [Bar(f"{h:02d}", counts[h]) for h in range(first, last + 1)]
    return charts.columns(title, bars, legend=_pick(LEGENDS["arrivals"], lang), style=_style(lang))


def days(report: dict[str, Any], lang: str) -> str:
    rows = report["arrivals"]["by_day"]
    if not any(r["arrivals"] for r in rows):
        return charts.empty(_pick(TITLES["days"], lang), _pick(NO_TICKETS, lang))
    bars = [Bar(date.fromisoformat(r["day"]).strftime("%d/%m"), r["arrivals"]) for r in rows]
    return charts.columns(_pick(TITLES["days"], lang), bars, legend=_pick(LEGENDS["days"], lang), style=_style(lang))


def waits(report: dict[str, Any], lang: str) -> str:
    bars = [
        Bar(
            s["name"],
            (s["wait"]["mean"] or 0) / 60,
            mark=s["wait"]["p90"] / 60 if s["wait"]["p90"] is not None else None,
            target=s["target_wait_minutes"],
        )
        for s in report["by_service"]
        if s["wait"]["count"]
    ]
    if not bars:  # nobody called in the period: no wait measured, said in words (an empty axis read as none waited)
        return charts.empty(_pick(TITLES["waits"], lang), _pick(NOBODY_CALLED, lang))
    return charts.rows(_pick(TITLES["waits"], lang), bars, legend=_pick(LEGENDS["waits"], lang), style=_style(lang))


def ikm(index: dict[str, Any], lang: str) -> str:
    nrr = index["site_index"]["nrr"] or [0.0] * len(index["elements"])
    names = [e["name_en" if lang == "en" else "name"] for e in index["elements"]]
    bars = [Bar(f"U{i} {name}", value) for i, (name, value) in enumerate(zip(names, nrr, strict=True), start=1)]
    title, legend = _pick(TITLES["ikm"], lang), _pick(LEGENDS["ikm"], lang)
    return charts.rows(title, bars, scale=(1.0, 4.0), legend=legend, style=_style(lang, 2), width=760)
