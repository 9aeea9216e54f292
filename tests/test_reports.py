"""Reports against a hand-computed day: tickets driven through the real server with the clock set to WIB times,
across a local midnight, then every count, wait, service time, percentile and hour checked by hand.

The fixture (all times WIB, Asia/Jakarta; 2026-11-23 is a Monday):

| ticket | service | issued | called | started | ended | state | counter (operator) |
|---|---|---|---|---|---|---|---|
| A-001 | ktp | 08:00 | 08:10 | 08:12 | 08:20 | done | 1 (op-disdukcapil) |
| A-002 | ktp | 08:05 | 08:30 | 08:30 | 08:45 | done | 1 (op-disdukcapil) |
| A-003 | ktp | 08:20 | 09:00 | | 09:05 | no-show | 2 (supervisor) |
| F-001 | skck | 09:10 | | | 09:30 | cancelled | |
| A-004 | ktp | 10:00 | 10:05 | 10:06 | 10:15 | transferred to skck | 1 (op-disdukcapil) |
| A-004 leg | skck | (10:15) | 10:35 | 10:36 | 10:50 | done | 5 (op-polres) |
| B-001 | kk | 23:30 | | | | waiting | |
| A-001 (24th) | ktp | 00:30 | 00:40 | 00:40 | 00:50 | done | 2 (supervisor) |

Waits (called - queued): ktp 10, 25, 40, 5 and 10 (the 24th) minutes; the skck leg waited from its transfer
(10:15) to 10:35 = 20 minutes, not from 10:00. Service (ended - started): ktp 8, 15, 10 minutes; skck 14.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from queue_server.domain.measures import percentile
from queue_server.supervision import charts
from queue_server.supervision.charts import Bar, Style
from queue_server.supervision.reports import CSV_COLUMNS, MAX_DAYS

from .conftest import ADAPTERS
from .helpers import Server, running_server

WIB = ZoneInfo("Asia/Jakarta")
MIN = 60.0


def wib(day: int, hhmm: str) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB).astimezone(UTC)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    # The fixture runs through the night: opening hours are not enforced here.
    async with running_server(tmp_path / "queue.sqlite3", ignore_hours=True) as s:
        yield s


async def ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


async def drive_fixture(server: Server) -> None:
    clock = server.clock
    op = await server.login("op-disdukcapil")
    polres = await server.login("op-polres")
    sup = await server.login("supervisor")

    async def at(day: int, hhmm: str) -> None:
        clock.now = wib(day, hhmm)

    async def cmd(headers: dict[str, str], counter: str, command: str, **body: str) -> None:
        await ok(await server.command(headers, counter, command, **body))

    await at(23, "07:59")
    await cmd(op, "1", "open")
    await cmd(sup, "2", "open")
    await cmd(polres, "5", "open")
    await at(23, "08:00")
    await server.issue("ktp")
    await at(23, "08:05")
    await server.issue("ktp")
    await at(23, "08:10")
    await cmd(op, "1", "call", ticket="A-001")
    await at(23, "08:12")
    await cmd(op, "1", "start")
    await at(23, "08:20")
    await cmd(op, "1", "finish")
    await server.issue("ktp")  # A-003 at 08:20
    await at(23, "08:30")
    await cmd(op, "1", "call", ticket="A-002")
    await cmd(op, "1", "start")
    await at(23, "08:45")
    await cmd(op, "1", "finish")
    await at(23, "09:00")
    await cmd(sup, "2", "call", ticket="A-003")
    await at(23, "09:05")
    await cmd(sup, "2", "no_show")
    await at(23, "09:10")
    await server.issue("skck")
    await at(23, "09:30")
    r = await server.http.post("/api/v1/sites/tegal/tickets/F-001/actions", json={"action": "cancel"}, headers=sup)
    await ok(r)
    await at(23, "10:00")
    await server.issue("ktp")
    await at(23, "10:05")
    await cmd(op, "1", "call", ticket="A-004")
    await at(23, "10:06")
    await cmd(op, "1", "start")
    await at(23, "10:15")
    await cmd(op, "1", "transfer", target_service="skck")
    await at(23, "10:35")
    await cmd(polres, "5", "call", ticket="A-004")
    await at(23, "10:36")
    await cmd(polres, "5", "start")
    await at(23, "10:50")
    await cmd(polres, "5", "finish")
    await at(23, "23:30")
    await server.issue("kk")
    await at(24, "00:30")  # 2026-11-23 17:30 UTC: still the 23rd in UTC, already the 24th in Jakarta
    assert server.clock.now.date().day == 23
    issued = await server.issue("ktp")
    assert issued["ticket"]["label"] == "A-001" and issued["ticket"]["day"] == "2026-11-24"
    await at(24, "00:40")
    await cmd(sup, "2", "call", ticket="A-001")
    await cmd(sup, "2", "start")
    await at(24, "00:50")
    await cmd(sup, "2", "finish")


async def get_report(server: Server, query: str) -> dict:  # type: ignore[type-arg]
    sup = await server.login("supervisor")
    return await ok(await server.http.get(f"/api/v1/sites/tegal/reports?{query}", headers=sup))


def row(rows: list[dict], key: str) -> dict:  # type: ignore[type-arg]
    return next(r for r in rows if r["id"] == key)


async def test_two_days_across_local_midnight(server: Server) -> None:
    await drive_fixture(server)
    report = await get_report(server, "from=2026-11-23&to=2026-11-24")
    assert report["period"] == {"from": "2026-11-23", "to": "2026-11-24", "days": 2}

    ktp = row(report["by_service"], "ktp")
    assert (ktp["tickets"], ktp["served"], ktp["no_show"], ktp["transferred"], ktp["open"]) == (5, 3, 1, 1, 0)
    # waits sorted: 5, 10, 10, 25, 40 min -> mean 18, p50 = 3rd of 5 = 10, p90 = 5th = 40
    assert ktp["wait"] == {"count": 5, "mean": 18 * MIN, "p50": 10 * MIN, "p90": 40 * MIN, "max": 40 * MIN}
    # service sorted: 8, 10, 15 min -> mean 11, p50 = 2nd = 10, p90 = 3rd = 15
    assert ktp["service"] == {"count": 3, "mean": 11 * MIN, "p50": 10 * MIN, "p90": 15 * MIN, "max": 15 * MIN}

    skck = row(report["by_service"], "skck")
    assert (skck["tickets"], skck["served"], skck["cancelled"]) == (2, 1, 1)
    assert skck["wait"]["mean"] == 20 * MIN, "a transfer leg waits from the transfer, not from the first issue"
    assert skck["service"]["mean"] == 14 * MIN

    kk = row(report["by_service"], "kk")
    assert (kk["tickets"], kk["open"], kk["wait"]["count"]) == (1, 1, 0)

    totals = report["totals"]
    assert (totals["tickets"], totals["citizens"], totals["served"]) == (8, 7, 4)
    assert (totals["no_show"], totals["cancelled"], totals["transferred"], totals["open"]) == (1, 1, 1, 1)

    agencies = {r["id"]: r["tickets"] for r in report["by_agency"]}
    assert agencies == {"disdukcapil": 6, "polres": 2}
    counters = {r["id"]: (r["tickets"], r["served"]) for r in report["by_counter"]}
    assert counters == {"1": (3, 2), "2": (2, 1), "5": (1, 1)}
    operators = {r["id"]: (r["tickets"], r["served"], r["wait"]["mean"]) for r in report["by_operator"]}
    assert operators == {
        "op-disdukcapil": (3, 2, (10 + 25 + 5) / 3 * MIN),
        "supervisor": (2, 1, (40 + 10) / 2 * MIN),
        "op-polres": (1, 1, 20 * MIN),
    }

    arrivals = report["arrivals"]
    # 8 o'clock: three ktp; 9: skck; 10: ktp; 23: kk; 0 (of the 24th): ktp. The transfer leg is no arrival.
    assert {h: n for h, n in enumerate(arrivals["by_hour"]) if n} == {0: 1, 8: 3, 9: 1, 10: 1, 23: 1}
    assert arrivals["by_day"] == [
        {"day": "2026-11-23", "arrivals": 6, "served": 3},
        {"day": "2026-11-24", "arrivals": 1, "served": 1},
    ]
    assert {"day": "2026-11-24", "hour": 0, "count": 1} in arrivals["by_day_hour"]
    assert {"day": "2026-11-23", "hour": 23, "count": 1} in arrivals["by_day_hour"]
    assert not [c for c in arrivals["by_day_hour"] if c["hour"] == 17], "no UTC hour leaks in"


async def test_one_day_keeps_to_its_local_date(server: Server) -> None:
    await drive_fixture(server)
    first = await get_report(server, "from=2026-11-23")
    assert first["period"]["days"] == 1
    assert first["totals"]["citizens"] == 6 and first["arrivals"]["by_hour"][0] == 0
    second = await get_report(server, "from=2026-11-24&to=2026-11-24")
    assert second["totals"]["tickets"] == 1 and second["arrivals"]["by_hour"][0] == 1
    assert row(second["by_service"], "ktp")["wait"]["p90"] == 10 * MIN
    # today (the 24th by the server's local clock) is the default
    assert (await get_report(server, ""))["period"]["from"] == "2026-11-24"
    polres = await get_report(server, "from=2026-11-23&agency=polres")
    assert [r["id"] for r in polres["by_service"]] == ["skck"] and polres["totals"]["tickets"] == 2


def r_plain_text(lines: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(lines)
    return out.getvalue()


async def test_csv_and_charts(server: Server) -> None:
    await drive_fixture(server)
    sup = await server.login("supervisor")
    r = await server.http.get("/api/v1/sites/tegal/reports.csv?from=2026-11-23&to=2026-11-24", headers=sup)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="laporan-tegal-2026-11-23_2026-11-24.csv"' in r.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(r.text)))
    assert lines[0][:4] == ["group", "id", "name", "tickets"]
    ktp = next(line for line in lines if line[:2] == ["service", "ktp"])
    assert ktp[3:10] == ["5", "3", "1", "0", "1", "0", "0"]
    assert ktp[10:16] == ["18.00", "10.00", "40.00", "11.00", "10.00", "15.00"]
    assert ["2026-11-24", "00:00", "1"] in lines
    # For Excel on an Indonesian Windows: a byte order mark, ';' between cells, decimal commas, the same cells
    r = await server.http.get("/api/v1/sites/tegal/reports.csv?from=2026-11-23&to=2026-11-24&excel=1", headers=sup)
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    assert 'filename="laporan-tegal-2026-11-23_2026-11-24-excel.csv"' in r.headers["content-disposition"]
    excel = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert len(excel) == len(lines)
    ktp = next(line for line in excel if line[:2] == ["layanan", "ktp"])
    assert ktp[10:16] == ["18,00", "10,00", "40,00", "11,00", "10,00", "15,00"]
    # An outside review: its headings were the script's English names and its hours "08:00", for an Indonesian
    # office. Now in the page's language (Indonesian unless lang=en), hours as Indonesian writes them.
    assert excel[0][:4] == ["Kelompok", "Kode", "Nama", "Tiket"] and excel[0][10] == "Rerata tunggu (menit)"
    assert ["Tanggal", "Jam", "Kedatangan"] in excel and ["2026-11-24", "00.00", "1"] in excel
    assert next(line for line in excel if line[0] == "total")[3] == "8"
    r = await server.http.get(
        "/api/v1/sites/tegal/reports.csv?from=2026-11-23&to=2026-11-24&excel=1&lang=en", headers=sup
    )
    english = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert english[0][:4] == ["Group", "Code", "Name", "Tickets"] and english[0][10] == "Mean wait (min)"
    assert ["service", "ktp"] == next(line for line in english if line[1] == "ktp")[:2]
    assert ["2026-11-24", "00.00", "1"] in english, "an hour as the office's Excel reads it, whatever the language"
    plain = await server.http.get("/api/v1/sites/tegal/reports.csv?from=2026-11-23&to=2026-11-24&lang=en", headers=sup)
    assert plain.text == r_plain_text(lines), "the plain CSV is the scripts', whatever the language"
    r = await server.http.get("/api/v1/sites/tegal/ikm.csv?from=2026-11-23&to=2026-11-24&excel=1", headers=sup)
    heads = r.content.decode("utf-8-sig").splitlines()[0].split(";")
    assert heads[:5] == ["Tingkat", "Kode", "Nama", "Responden", "NRR U1 Persyaratan"] and heads[-1] == (
        "Sampel memadai (1/0)"
    )
    r = await server.http.get("/api/v1/sites/tegal/reports.csv?excel=1&lang=fr", headers=sup)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "lang"
    r = await server.http.get("/api/v1/sites/tegal/ikm.csv?from=2026-11-23&to=2026-11-24&excel=1", headers=sup)
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode()) and ";" in r.text.splitlines()[0]
    r = await server.http.get("/api/v1/sites/tegal/reports.csv?excel=yes", headers=sup)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "excel"

    for chart in ("arrivals", "days", "waits", "ikm"):
        r = await server.http.get(f"/api/v1/sites/tegal/reports/charts/{chart}.svg?from=2026-11-23&to=2026-11-24",
                                  headers=sup)  # fmt: skip
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml"), chart
        assert r.text.startswith("<svg") and "<script" not in r.text
    waits = (await server.http.get("/api/v1/sites/tegal/reports/charts/waits.svg?from=2026-11-23&lang=en",
                                   headers=sup)).text  # fmt: skip
    assert "Wait by service" in waits and "KTP Elektronik" in waits
    r = await server.http.get("/api/v1/sites/tegal/reports/charts/pie.svg", headers=sup)
    assert r.status_code == 404 and r.json()["error"]["message_en"]


def test_nearest_rank_percentiles_by_hand() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 90) == 7.0
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    assert percentile(values, 50) == 5.0  # rank ceil(5) = 5
    assert percentile(values, 90) == 9.0  # rank ceil(9) = 9
    assert percentile(values[:4], 50) == 2.0  # rank ceil(2) = 2
    assert percentile(values[:3], 90) == 3.0  # rank ceil(2.7) = 3


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("from=2026-11-24&to=2026-11-23", 422, "period_reversed"),
        ("from=2025-11-23&to=2026-11-24", 422, "period_too_long"),  # 367 days
        ("from=2026-13-01", 422, "invalid_field"),
        ("from=23-11-2026", 422, "invalid_field"),
        ("from=20261123", 422, "invalid_field"),
        ("to=yesterday", 422, "invalid_field"),
        ("from=9999-12-31", 422, "invalid_field"),  # used to overflow the day's end (500)
        ("from=0001-01-01&to=0001-01-02", 422, "invalid_field"),
        ("agency=nowhere", 404, "unknown_agency"),
    ],
)
async def test_bad_periods_are_refused_clearly(server: Server, query: str, status: int, code: str) -> None:
    sup = await server.login("supervisor")
    before = server.ctx.storage.last_seq
    audit = ("audit",) if "agency" not in query else ()  # the audit log has no agency filter
    for path in ("reports", "reports.csv", "ikm", "ikm.csv", "reports/charts/arrivals.svg", *audit):
        r = await server.http.get(f"/api/v1/sites/tegal/{path}?{query}", headers=sup)
        assert r.status_code == status, (path, r.text)
        error = r.json()["error"]
        assert (
            error["code"] == code
            and error["message"]
            and error["message_en"]
            and error["message"] != error["message_en"]
        )
    assert server.ctx.storage.last_seq == before


async def test_a_mistyped_year_or_a_day_not_in_the_calendar_is_said_as_such(server: Server) -> None:
    """An outside review: a year typed short in the browser's date field (it showed 12/07/0202) or 30 February was
    refused with "Mulai harus tanggal berformat YYYY-MM-DD", which the date was; the reader looked for a format
    they had not written. Now the refusal says which day was asked and what is wrong with it."""
    sup = await server.login("supervisor")
    for query, field, id_words, en_words in (
        ("from=0202-12-07", "from", "Selasa, 7 Desember 202 di luar tanggal yang dapat dipakai (tahun 2000 sampai "
         "2999). Periksa tahunnya.", "is outside the dates that can be used (the years 2000 to 2999)"),
        ("from=2026-11-01&to=20266-11-30", "to", "Sampai harus tanggal berformat YYYY-MM-DD", "To must be a date"),
        ("from=2026-02-30", "from", "tanggal 2026-02-30 tidak ada di kalender", "there is no day 2026-02-30"),
    ):  # fmt: skip
        for path in ("reports", "ikm", "audit"):
            r = await server.http.get(f"/api/v1/sites/tegal/{path}?{query}", headers=sup)
            assert r.status_code == 422, (path, r.text)
            error = r.json()["error"]
            assert error["code"] == "invalid_field" and error["details"]["field"] == field, error
            assert id_words in error["message"] and en_words in error["message_en"], error
    nat = await server.login("nasional")
    r = await server.http.get("/api/v1/national?from=2026-11-01&to=3026-11-30", headers=nat)
    assert r.status_code == 422 and "Sampai: Kamis, 30 November 3026 di luar" in r.json()["error"]["message"]


async def test_a_whole_year_is_allowed(server: Server) -> None:
    report = await get_report(server, "from=2025-11-24&to=2026-11-24")
    assert report["period"]["days"] == MAX_DAYS == 366
    assert report["totals"]["tickets"] == 0 and len(report["arrivals"]["by_day"]) == 366


async def test_only_supervisors_and_admins_read_reports(server: Server) -> None:
    operator = await server.login("op-disdukcapil")
    for path in ("reports", "reports.csv", "ikm", "audit", "reports/charts/waits.svg"):
        r = await server.http.get(f"/api/v1/sites/tegal/{path}", headers=operator)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", path
        r = await server.http.get(f"/api/v1/sites/tegal/{path}")
        assert r.status_code == 401, path
    admin = await server.login("admin")
    assert (await server.http.get("/api/v1/sites/tegal/reports", headers=admin)).status_code == 200


async def test_report_of_an_unknown_site(server: Server) -> None:
    sup = await server.login("supervisor")
    r = await server.http.get("/api/v1/sites/nowhere/reports", headers=sup)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_site"


async def test_a_late_arrival_waits_from_its_requeue(server: Server) -> None:
    op = await server.login("op-disdukcapil")
    server.clock.now = wib(23, "08:00")
    await ok(await server.command(op, "1", "open"))
    await server.issue("ktp")
    server.clock.now = wib(23, "08:10")
    await ok(await server.command(op, "1", "call_next"))
    server.clock.now = wib(23, "08:12")
    await ok(await server.command(op, "1", "no_show"))
    server.clock.now = wib(23, "08:30")  # the citizen comes back and is put at the back of the queue
    await ok(await server.command(op, "1", "requeue", ticket="A-001"))
    server.clock.now = wib(23, "08:45")
    await ok(await server.command(op, "1", "call_next"))
    await ok(await server.command(op, "1", "finish"))
    ktp = row((await get_report(server, "from=2026-11-23"))["by_service"], "ktp")
    assert (ktp["tickets"], ktp["served"], ktp["no_show"]) == (1, 1, 0)
    assert ktp["wait"]["mean"] == 15 * MIN, "from the requeue at 08:30, not from the issue at 08:00"
    sup = await server.login("supervisor")
    live = (await server.http.get("/api/v1/sites/tegal/dashboard", headers=sup)).json()
    assert next(s for s in live["services"] if s["id"] == "ktp")["mean_wait"] == 15 * MIN, "the dashboard agrees"


async def test_a_closed_day_s_expired_tickets_are_apart_from_open_ones_in_the_report_and_its_csv(
    server: Server,
) -> None:
    """A ticket the day closed on before its call is expired (not served), never counted as still open; it has
    no wait (waits are measured for called citizens only)."""
    server.clock.now = wib(23, "08:00")
    await server.issue("ktp")
    sup = await server.login("supervisor")
    await ok(await server.http.post("/api/v1/sites/tegal/close-day", json={}, headers=sup))
    totals = (await get_report(server, "from=2026-11-23"))["totals"]
    assert (totals["tickets"], totals["expired"], totals["open"], totals["wait"]["count"]) == (1, 1, 0, 0)
    r = await server.http.get("/api/v1/sites/tegal/reports.csv?from=2026-11-23", headers=sup)
    lines = list(csv.reader(io.StringIO(r.text)))
    total = dict(zip(lines[0], next(line for line in lines if line[0] == "total"), strict=False))
    assert (total["expired"], total["open"]) == ("1", "0")


@pytest.mark.parametrize("adapter", ADAPTERS, indirect=True)
async def test_the_operator_of_a_ticket_follows_its_counter_back_into_the_queue(database: Path | str) -> None:
    """A ticket that leaves the counter (a no-show requeued, a call returned when the counter closes) is no longer
    that counter's operator's: the report per operator agrees with the report per counter. Before, the operator
    of the first call kept it (3 tickets for an operator whose only counter had 1)."""
    async with running_server(database, ignore_hours=True) as server:
        op = await server.login("op-disdukcapil")
        server.clock.now = wib(23, "08:00")
        for _ in range(3):
            await server.issue("ktp")
        await ok(await server.command(op, "1", "open"))
        await ok(await server.command(op, "1", "call", ticket="A-001"))
        await ok(await server.command(op, "1", "no_show"))
        await ok(await server.command(op, "1", "requeue", ticket="A-001"))  # back in line, called by nobody yet
        await ok(await server.command(op, "1", "call", ticket="A-002"))
        await ok(await server.command(op, "1", "close"))  # A-002 goes back to the queue at its place
        await ok(await server.command(op, "1", "open"))
        await ok(await server.command(op, "1", "call", ticket="A-003"))
        await ok(await server.command(op, "1", "finish"))
        report = await get_report(server, "from=2026-11-23")
        assert {r["id"]: r["tickets"] for r in report["by_counter"]} == {"1": 1}
        assert {r["id"]: r["tickets"] for r in report["by_operator"]} == {"op-disdukcapil": 1}
        sup = await server.login("supervisor")
        await ok(await server.command(sup, "2", "open"))
        await ok(await server.command(sup, "2", "call", ticket="A-001"))  # now another counter has it
        await ok(await server.command(sup, "2", "finish"))
        report = await get_report(server, "from=2026-11-23")
        assert {r["id"]: r["tickets"] for r in report["by_counter"]} == {"1": 1, "2": 1}
        assert {r["id"]: r["tickets"] for r in report["by_operator"]} == {"op-disdukcapil": 1, "supervisor": 1}


async def test_a_name_a_spreadsheet_would_run_goes_out_as_text(server: Server) -> None:
    """An outside review: a service named =HYPERLINK(...) went out as a formula in both exports (CSV injection)."""
    await drive_fixture(server)
    admin = await server.login("admin")
    current = (await server.http.get("/api/v1/sites/tegal/configuration", headers=admin)).json()
    document = current["document"]
    agency = next(a for a in document["agencies"] if a["id"] == "disdukcapil")
    formula = '=HYPERLINK("https://contoh.test/x","KTP")'
    next(s for s in agency["services"] if s["id"] == "ktp")["name"] = formula
    agency["short_name"] = "@SUM(1+1)"
    r = await server.http.put("/api/v1/sites/tegal/configuration", json={"version": current["version"], "document": document},
                              headers=admin)  # fmt: skip
    assert r.status_code == 200, r.text
    sup = await server.login("supervisor")
    for excel, delimiter in (("0", ","), ("1", ";")):
        r = await server.http.get(f"/api/v1/sites/tegal/reports.csv?from=2026-11-23&to=2026-11-24&excel={excel}",
                                  headers=sup)  # fmt: skip
        lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=delimiter))
        ktp = next(line for line in lines if line[1:2] == ["ktp"])
        assert ktp[2] == "'" + formula and ktp[3:5] == ["5", "3"], ktp  # the name is text, the figures numbers
        assert next(line for line in lines if line[1:2] == ["disdukcapil"])[2] == "'@SUM(1+1)"
        assert not [cell for line in lines for cell in line if cell[:1] in ("=", "+", "@", "\t", "\r")]
        r = await server.http.get(
            f"/api/v1/sites/tegal/ikm.csv?from=2026-11-23&to=2026-11-24&excel={excel}", headers=sup
        )
        lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=delimiter))
        assert next(line for line in lines if line[1:2] == ["disdukcapil"])[2] == "'@SUM(1+1)", lines
        assert not [cell for line in lines for cell in line if cell[:1] in ("=", "+", "@", "\t", "\r")]


def test_chart_figures_are_written_the_indonesian_way_and_only_where_they_fit() -> None:
    """An outside review: a month's arrivals read "1950" on the chart's bars and "2000" on its axis, and the figures
    over thirty day bars ran together ("520520520")."""
    assert (Style().num(1950), Style().num(2.5), Style().num(1234567.25, 2)) == ("1.950", "2,5", "1.234.567,25")
    assert (Style(".").num(1950), Style(".").num(2.5)) == ("1,950", "2.5")
    hours = charts.columns("t", [Bar(f"{h:02d}", 1950) for h in range(7, 17)])
    assert ">1.950</text>" in hours and ">2.000</text>" in hours
    month = charts.columns("t", [Bar(f"{d:02d}/11", 520) for d in range(1, 31)])
    assert ">520</text>" not in month and "<title>01/11: 520</title>" in month, "the figure is in the bar's tooltip"


async def test_the_ikm_chart_rounds_an_nrr_as_the_tables_do(server: Server) -> None:
    """An outside review: with 40 answers the report's table said U1 3,28 and U9 3,13 (131/40 and 25/8, rounded half
    up, as the browser writes them), its chart 3,27 and 3,12 (Python rounding the binary float, or half to even).
    Eight answers here: U1 25/8 = 3,125 and U2 29/8 = 3,625, which half to even would write 3,12 and 3,62."""
    op = await server.login("op-disdukcapil")
    await server.command(op, "1", "open")
    for n in range(8):
        token = (await server.issue("ktp"))["ticket"]["token"]
        for command in ("call_next", "finish"):
            assert (await server.command(op, "1", command)).status_code == 200
        answers = [4 if n == 0 else 3, 4 if n < 5 else 3, 3, 3, 3, 3, 3, 3, 3]
        await ok(await server.http.post(f"/api/v1/tickets/{token}/survey", json={"answers": answers}))
    sup = await server.login("supervisor")
    index = await ok(await server.http.get("/api/v1/sites/tegal/ikm", headers=sup))
    assert index["site_index"]["nrr_exact"][:2] == ["25/8", "29/8"]
    chart = (await server.http.get("/api/v1/sites/tegal/reports/charts/ikm.svg", headers=sup)).text
    assert ">3,13</text>" in chart and ">3,63</text>" in chart, chart
    english = (await server.http.get("/api/v1/sites/tegal/reports/charts/ikm.svg?lang=en", headers=sup)).text
    assert ">3.13</text>" in english and ">3.63</text>" in english
    assert [Style(",", 2).num(v) for v in (3.275, 3.175, 3.225, 0.005)] == ["3,28", "3,18", "3,23", "0,01"]
    assert (Style(",", 1).num(62.55), Style(",", 1).num(1950.0)) == ("62,6", "1.950")


async def test_a_period_without_tickets_says_so_on_its_arrival_charts(server: Server) -> None:
    """An outside review: a month before the mall opened drew two empty axes from 0 to 4, which read as charts still
    loading; the waits chart already said "Belum ada yang dipanggil". Now the arrival charts say there were none."""
    sup = await server.login("supervisor")
    for chart, title in (("arrivals", "Kedatangan per jam, jumlah 30 hari"), ("days", "Kedatangan per hari")):
        svg = (await server.http.get(f"/api/v1/sites/tegal/reports/charts/{chart}.svg?from=2026-11-01&to=2026-11-30",
                                     headers=sup)).text  # fmt: skip
        assert title in svg and "Tidak ada tiket pada periode ini" in svg and "<rect" not in svg, svg
        english = (await server.http.get(f"/api/v1/sites/tegal/reports/charts/{chart}.svg?from=2026-11-01&to=2026-11-30"
                                         "&lang=en", headers=sup)).text  # fmt: skip
        assert "No tickets in this period" in english


async def test_arrivals_per_hour_over_several_days_say_they_are_summed(server: Server) -> None:
    await drive_fixture(server)
    sup = await server.login("supervisor")
    url = "/api/v1/sites/tegal/reports/charts/arrivals.svg"
    two = (await server.http.get(f"{url}?from=2026-11-23&to=2026-11-24", headers=sup)).text
    assert "Kedatangan per jam, jumlah 2 hari (waktu setempat)" in two
    two_en = (await server.http.get(f"{url}?from=2026-11-23&to=2026-11-24&lang=en", headers=sup)).text
    assert "Arrivals by hour, total of 2 days (local time)" in two_en
    one = (await server.http.get(f"{url}?from=2026-11-23", headers=sup)).text
    assert "Kedatangan per jam (waktu setempat)" in one


async def test_an_agency_s_citizens_count_those_transferred_in_from_another_agency_once_for_the_mall(
    server: Server,
) -> None:
    """An outside review: with Polres chosen, "Warga datang" left out A-004, sent over from Disdukcapil at 10:15
    (Polres served it and showed it as no arrival). An agency's citizens are those who took its ticket and those
    transferred in from another agency, at the hour of the transfer; a transfer within the agency is no new
    citizen, and the mall counts each citizen once: the agencies' direct citizens add up to it."""
    await drive_fixture(server)
    op = await server.login("op-disdukcapil")
    server.clock.now = wib(24, "09:00")  # within Disdukcapil: KTP to KK, the same citizen
    await server.issue("ktp")
    await ok(await server.command(op, "1", "call", ticket="A-002"))
    await ok(await server.command(op, "1", "transfer", target_service="kk"))

    polres = await get_report(server, "from=2026-11-23&agency=polres")
    assert (polres["totals"]["citizens"], polres["totals"]["transferred_in"]) == (2, 1)
    assert {h: n for h, n in enumerate(polres["arrivals"]["by_hour"]) if n} == {9: 1, 10: 1}, "F-001, then A-004"
    assert polres["arrivals"]["by_day"] == [{"day": "2026-11-23", "arrivals": 2, "served": 1}]
    capil = await get_report(server, "from=2026-11-24&agency=disdukcapil")
    assert (capil["totals"]["citizens"], capil["totals"]["transferred_in"]) == (2, 0), "A-002's KK leg is no arrival"

    mall = await get_report(server, "from=2026-11-23&to=2026-11-24")
    agencies = {r["id"]: (r["citizens"], r["transferred_in"]) for r in mall["by_agency"]}
    assert agencies == {"disdukcapil": (7, 0), "polres": (2, 1)}
    assert (mall["totals"]["citizens"], mall["totals"]["transferred_in"]) == (8, 0)
    assert (
        sum(c - moved for c, moved in agencies.values())
        == mall["totals"]["citizens"]
        == sum(mall["arrivals"]["by_hour"])
    )

    sup = await server.login("supervisor")
    r = await server.http.get("/api/v1/sites/tegal/reports.csv?from=2026-11-23&agency=polres", headers=sup)
    lines = list(csv.reader(io.StringIO(r.text)))
    assert lines[0][-2:] == ["citizens", "citizens_transferred_in"]
    assert next(line for line in lines if line[:2] == ["agency", "polres"])[-2:] == ["2", "1"]
    assert next(line for line in lines if line[0] == "total")[-2:] == ["2", "1"]
    assert next(line for line in lines if line[:2] == ["service", "skck"])[-2:] == ["", ""], "legs only per service"


def test_every_column_of_every_csv_has_words_for_excel_in_both_languages() -> None:
    """The Excel variant names its columns in the page's language: a column without words would go out as its
    script name (and log a warning)."""
    from queue_server.common import messages
    from queue_server.supervision import national

    words = messages.catalogue()["csv_column"]
    columns = {*CSV_COLUMNS, *national.CSV_COLUMNS, "arrivals_day", "hour", "arrivals", "level", "respondents",
               "ikm_converted", "grade_name", "population", "sample_needed", "sample_sufficient", "province", "kind",
               "sites", "unclassified_site", "site_name", "agency", "agency_name"}  # fmt: skip
    missing = sorted(c for c in columns if not (words.get(c, {}).get("id") and words.get(c, {}).get("en")))
    assert not missing, missing
