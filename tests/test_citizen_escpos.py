"""Printed tickets through ESC/POS: the exact bytes on python-escpos's Dummy printer (number, QR, cut), a network
printer on a real socket, faults reported to the kiosk and to supervisors without losing the ticket, reprints, and
the printer settings refused field by field."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import pytest
from escpos.printer import Dummy

from citizen.printing.config import PrinterConfig, check_network_printer, parse_printer
from citizen.printing.devices import PrinterAddressRefused, PrinterFault, print_slip, render, send
from citizen.printing.escpos_slip import write_slip
from citizen.printing.slip import Slip
from queue_server.common.messages import refusal_messages
from queue_server.domain.refusal import Refusal

from .helpers import KIOSK, LOBBY, Server, bearer, eventually, free_socket, running_server

SLIP = Slip(
    site_name="MPP Kabupaten Tegal",
    agency_name="Dinas Kependudukan dan Pencatatan Sipil",
    service_name="KTP Elektronik",
    label="A-012",
    issued_local=datetime(2026, 11, 23, 9, 5),
    people_ahead=3,
    wait_minutes=18,
    follow_url="http://mpp.local/t/abcdefghijklmnop",
    wait_low=14,
    wait_high=22,
)

# ESC/POS, by name.
ESC, GS = b"\x1b", b"\x1d"
CENTRE, LEFT = ESC + b"a\x01", ESC + b"a\x00"
BOLD, NOT_BOLD = ESC + b"E\x01", ESC + b"E\x00"
CODE_PAGE_437 = ESC + b"t\x00"  # python-escpos selects it before the first text
SIZE_4X4 = GS + b"!\x33"  # character width x4, height x4


def defaults(align: bytes) -> bytes:
    """python-escpos's set_with_default(): normal size, no flip, no reverse, not bold, no underline, font A."""
    normal = ESC + b"!\x00"
    return (normal * 3 + ESC + b"{\x00" + GS + b"b\x00" + NOT_BOLD + ESC + b"-\x00" + ESC + b"M\x00" + align
            + GS + b"B\x00")  # fmt: skip


def qr(data: bytes, size: int = 6) -> bytes:
    """A native QR (GS ( k): model 2, module size, error correction M, store the data, print it."""
    store = len(data) + 3
    return (GS + b"(k\x04\x001A2\x00" + GS + b"(k\x03\x001C" + bytes([size]) + GS + b"(k\x03\x001E1"
            + GS + b"(k" + bytes([store % 256, store // 256]) + b"1P0" + data + GS + b"(k\x03\x001Q0")  # fmt: skip


FEED_AND_CUT = ESC + b"d\x06" + GS + b"V\x00"  # feed six lines past the cutter, then a full cut


def test_the_slip_on_a_dummy_printer_byte_for_byte() -> None:
    printer = Dummy()
    write_slip(printer, SLIP)
    expected = (
        defaults(CENTRE)
        + BOLD + CENTRE + CODE_PAGE_437 + b"MPP Kabupaten Tegal\n"
        + NOT_BOLD + CENTRE + b"Dinas Kependudukan dan Pencatatan Sipil\n"
        + BOLD + CENTRE + b"KTP Elektronik\n" + b"\n"
        + NOT_BOLD + CENTRE + b"NOMOR ANTREAN\n"
        + SIZE_4X4 + BOLD + CENTRE + b"A-012\n"
        + defaults(CENTRE) + b"Senin, 23 November 2026 pukul 09.05\n" + b"\n"
        + LEFT + b"Di depan Anda   : 3 orang\n" + b"Perkiraan tunggu: sekitar 14-22 menit\n" + b"\n"
        + CENTRE + qr(b"http://mpp.local/t/abcdefghijklmnop") + b"Pindai untuk memantau antrean\n"
        + BOLD + CENTRE + b"Simpan tiket ini\n"
        + defaults(LEFT)
        + FEED_AND_CUT
    )  # fmt: skip
    assert printer.output == expected
    assert printer.output.endswith(FEED_AND_CUT)  # the cut is the last thing


def test_a_mobile_unit_s_slip_names_its_wifi_beside_the_qr_exactly_as_typed() -> None:
    """A mobile unit's box has no internet: the QR's link opens only on its Wi-Fi, so the slip says which, the name on
    a line of its own (never wrapped at its hyphen), with the guest network's password."""
    from dataclasses import replace

    printer = Dummy()
    write_slip(printer, replace(SLIP, wifi_name="MPP-Keliling", wifi_password="antrean123"))
    follow = qr(b"http://mpp.local/t/abcdefghijklmnop") + b"Pindai untuk memantau antrean\n"
    assert (
        follow + b"\n" + b"Sambungkan ke Wi-Fi\n" + BOLD + CENTRE + b"MPP-Keliling\n"
        + NOT_BOLD + CENTRE + b"untuk membuka tiket di ponsel\n" + b"Kata sandi: antrean123\n" + b"\n"
        + BOLD + CENTRE + b"Simpan tiket ini\n"
    ) in printer.output  # fmt: skip
    printer = Dummy()
    write_slip(printer, replace(SLIP, lang="en", wifi_name="MPP Keliling Kabupaten Tegal #2"))
    assert (
        b"Connect to the Wi-Fi\n" + BOLD + CENTRE + b"MPP Keliling Kabupaten Tegal #2\n" + NOT_BOLD + CENTRE
        + b"to open your ticket on your phone\n" + b"\n" + BOLD + CENTRE + b"Keep this ticket\n"
    ) in printer.output  # fmt: skip
    assert b"Password" not in printer.output, "an open network: nothing to type"
    printer = Dummy()  # a password longer than a line: its label, then the password cut at the width only
    write_slip(printer, replace(SLIP, wifi_name="MPP-Keliling", wifi_password="p-" * 25))
    assert b"Kata sandi:\n" + b"p-" * 21 + b"\n" + b"p-" * 4 + b"\n" in printer.output
    printer = Dummy()
    write_slip(printer, SLIP)
    assert b"Wi-Fi" not in printer.output, "a mall on the internet prints no Wi-Fi line"


def test_names_are_wrapped_to_the_paper_and_kept_to_ascii() -> None:
    slip = Slip("MPP Kota Bogor", "Kantor Pelayanan Pajak Pratama Bogor — Seksi Pelayanan dan Konsultasi Wajib Pajak",
                "Pendaftaran NPWP", "K-007", datetime(2026, 11, 23, 14, 0), None, None, "http://x/t/abcdefghijkl",
                booking_code="BK-7Q3M2X")  # fmt: skip
    printer = Dummy(profile="TM-T88V")
    write_slip(printer, slip)
    text = printer.output
    assert b"\x1ba\x01Kantor Pelayanan Pajak Pratama Bogor -\nSeksi Pelayanan dan Konsultasi Wajib Pajak\n" in text
    assert b"Pemesanan BK-7Q3M2X\n" in text
    assert b"Di depan Anda" not in text  # not waiting any more: no place or wait printed
    assert all(byte < 128 for byte in text.replace(SIZE_4X4, b""))


def test_older_printers_get_the_qr_as_an_image() -> None:
    printer = Dummy(profile="TM-T88V")
    write_slip(printer, SLIP, qr_native=False)
    assert GS + b"(k" not in printer.output
    assert GS + b"v0" in printer.output  # a raster image
    assert printer.output.endswith(FEED_AND_CUT)


def test_file_printers_get_the_rendered_bytes(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    config = PrinterConfig(mode="file", device=str(device))  # the panel accepts only /dev/(usb/)lpN
    print_slip(config, SLIP, timeout=1)
    assert device.read_bytes() == render(config, SLIP)
    with pytest.raises(PrinterFault, match="lp9"):
        send(PrinterConfig(mode="file", device=str(tmp_path / "missing" / "lp9")), b"x", 1)


def test_usb_without_pyusb_is_a_clear_fault() -> None:
    with pytest.raises(PrinterFault, match="pyusb"):
        send(PrinterConfig(mode="usb", vendor_id="04b8", product_id="0e15"), b"x", 1)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"mode": "laser"}, "mode"),
        ({"mode": "network"}, "host"),
        ({"mode": "network", "host": "printer one"}, "host"),
        ({"mode": "network", "host": "10.0.0.9", "port": 70000}, "port"),
        ({"mode": "network", "host": "10.0.0.9", "port": True}, "port"),
        ({"mode": "file", "device": "/etc/passwd"}, "device"),
        ({"mode": "file", "device": "/dev/sda"}, "device"),
        ({"mode": "usb", "vendor_id": "epson", "product_id": "0e15"}, "vendor_id"),
        ({"mode": "usb", "vendor_id": "04b8"}, "product_id"),
        ({"mode": "browser", "profile": "LaserJet"}, "profile"),
        ({"mode": "browser", "qr_native": "yes"}, "qr_native"),
        ({"mode": "browser", "colour": "red"}, "colour"),
    ],
)
def test_printer_settings_are_refused_field_by_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(Refusal) as caught:
        parse_printer(raw)
    assert caught.value.code == "invalid_field" and caught.value.details["field"] == field
    message_id, message_en = refusal_messages(caught.value)
    assert message_id and message_en and "…" not in message_id + message_en


@pytest.mark.parametrize(
    ("host", "port", "field"),
    [
        ("8.8.8.8", 9100, "host"),  # the internet
        ("169.254.169.254", 9100, "host"),  # a cloud's metadata service
        ("127.0.0.1", 9100, "host"),  # the server itself
        ("::1", 9100, "host"),
        ("::ffff:127.0.0.1", 9100, "host"),
        ("0.0.0.0", 9100, "host"),  # noqa: S104 - an address refused, not one bound to
        ("224.0.0.1", 9100, "host"),
        ("192.168.1.50", 22, "port"),  # a LAN host, but not its printing port
        ("192.168.1.50", 5432, "port"),
    ],
)
def test_a_network_printer_is_on_the_mall_s_lan_at_a_printing_port(host: str, port: int, field: str) -> None:
    """An outside review: the panel's test print connected to any host and port and answered with the system's
    error, a port scanner for whoever has a supervisor's account."""
    with pytest.raises(Refusal) as caught:
        check_network_printer(parse_printer({"mode": "network", "host": host, "port": port}), loopback=False)
    assert caught.value.code == "invalid_field" and caught.value.details["field"] == field
    message_id, message_en = refusal_messages(caught.value)
    assert ("9100 sampai 9109" if field == "port" else "LAN mal: alamat IP lokal") in message_id, message_id
    for lan in ("192.168.1.50", "10.1.2.3", "172.20.0.9", "fd12:3456::7"):
        check_network_printer(parse_printer({"mode": "network", "host": lan, "port": 9101}), loopback=False)
    check_network_printer(parse_printer({"mode": "network", "host": "127.0.0.1", "port": 40123}), loopback=True)


def test_a_printer_s_name_is_checked_by_where_it_leads_and_a_failure_says_no_more_than_that() -> None:
    with pytest.raises(PrinterAddressRefused):
        send(PrinterConfig(mode="network", host="localhost", port=9100), b"x", 1)
    # Nothing listens there: one message for whatever went wrong, not the system's (refused, unreachable ...).
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(PrinterFault) as caught:
        send(PrinterConfig(mode="network", host="127.0.0.1", port=port), b"x", 1, loopback=True)
    assert str(caught.value) == f"the printer did not answer at 127.0.0.1:{port}"


def test_printer_settings_keep_only_what_their_mode_uses() -> None:
    config = parse_printer({"mode": "network", "host": "192.168.1.50", "port": "9100", "device": "/dev/usb/lp0"})
    assert config.to_dict() == {"mode": "network", "host": "192.168.1.50", "port": 9100, "profile": "default",
                                "qr_native": True}  # fmt: skip
    usb = parse_printer({"mode": "usb", "vendor_id": "0x04B8", "product_id": "0E15", "profile": "TM-T88V"})
    assert (usb.vendor_id, usb.product_id, usb.profile) == ("04b8", "0e15", "TM-T88V")


# --- through the server ------------------------------------------------------------------------------------


@asynccontextmanager
async def fake_printer(port: int = 0) -> AsyncIterator[tuple[int, list[bytes]]]:
    """A raw TCP 'printer' (port 9100 style) that keeps what each connection sent."""
    jobs: list[bytes] = []

    async def receive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        jobs.append(await reader.read())
        writer.close()

    server = await asyncio.start_server(receive, "127.0.0.1", port)
    try:
        yield server.sockets[0].getsockname()[1], jobs
    finally:
        server.close()
        await server.wait_closed()


async def set_printer(server: Server, printer: dict[str, object], public_url: str | None = None) -> None:
    staff = await server.login("admin" if public_url else "supervisor")  # the public address is an admin's
    r = await server.http.put("/citizen/api/tegal/kiosk", json={"printer": printer, "public_url": public_url},
                              headers={**staff, "X-Kiosk-Token": KIOSK})  # fmt: skip
    assert r.status_code == 200, r.text


async def until_jobs(jobs: list[bytes], n: int) -> None:
    await eventually(lambda: len(jobs) >= n, f"{n} print jobs (have {len(jobs)})")


async def test_a_network_printer_prints_faults_are_reported_and_reprints_work(server: Server) -> None:
    async with fake_printer() as (port, jobs):
        await set_printer(server, {"mode": "network", "host": "127.0.0.1", "port": port},
                          public_url="https://antrean.tegalkab.go.id")  # fmt: skip
        await server.issue("ktp")
        ticket = (await server.issue("ktp"))["ticket"]
        r = await server.http.post("/citizen/api/tegal/print", json={"token": ticket["token"]}, headers=bearer(KIOSK))
        assert r.status_code == 200, r.text
        assert r.json() == {"ok": True, "label": "A-002", "printer": f"127.0.0.1:{port}"}
        await until_jobs(jobs, 1)
        job = jobs[0]
        assert SIZE_4X4 + BOLD + CENTRE + b"A-002\n" in job
        assert qr(f"https://antrean.tegalkab.go.id/t/{ticket['token']}".encode()) in job
        assert b"Di depan Anda   : 1 orang\n" in job and b"Simpan tiket ini\n" in job
        assert job.endswith(FEED_AND_CUT)
        r = await server.http.post("/citizen/api/tegal/print", json={"token": ticket["token"], "lang": "en"},
                                   headers=bearer(KIOSK))  # fmt: skip
        assert r.status_code == 200, r.text
        await until_jobs(jobs, 2)
        assert b"QUEUE NUMBER\n" in jobs[1] and b"Ahead of you  : 1 person\n" in jobs[1], jobs[1]
        assert b"Keep this ticket\n" in jobs[1]

    # The printer is gone (paper jam, cable out): the kiosk gets a clear 503 and the supervisors see it.
    r = await server.http.post("/citizen/api/tegal/print", json={"token": ticket["token"]}, headers=bearer(KIOSK))
    assert r.status_code == 503
    error = r.json()["error"]
    assert error["code"] == "printer_fault" and error["details"]["label"] == "A-002"
    assert error["details"]["error"] == f"the printer did not answer at 127.0.0.1:{port}"  # not the system's words
    assert "tetap berlaku" in error["message"] and "still valid" in error["message_en"]
    supervisor = await server.login("supervisor")
    devices = (await server.http.get("/api/v1/sites/tegal/devices", headers=supervisor)).json()["devices"]
    printer = next(d for d in devices if d["kind"] == "printer")
    assert printer["extra"]["status"] == "fault" and printer["extra"]["unprinted"] == "A-002"
    assert printer["client"] == f"127.0.0.1:{port}"
    # Nothing was lost: the ticket is still waiting, and once the printer is back it is reprinted by its token.
    status = (await server.http.get(f"/api/v1/tickets/{ticket['token']}")).json()
    assert status["ticket"]["state"] == "waiting"
    async with fake_printer(port) as (_, jobs):
        r = await server.http.post("/citizen/api/tegal/print", json={"token": ticket["token"]}, headers=bearer(KIOSK))
        assert r.status_code == 200, r.text
        await until_jobs(jobs, 1)
        assert b"A-002\n" in jobs[0]
    devices = (await server.http.get("/api/v1/sites/tegal/devices", headers=supervisor)).json()["devices"]
    assert [d["extra"]["status"] for d in devices if d["kind"] == "printer"] == ["ok"]


async def test_a_test_print_from_the_panel(server: Server) -> None:
    staff = {**await server.login("supervisor"), "X-Kiosk-Token": KIOSK}
    async with fake_printer() as (port, jobs):
        printer = {"mode": "network", "host": "127.0.0.1", "port": port}
        r = await server.http.post("/citizen/api/tegal/print-test", json={"printer": printer}, headers=staff)
        assert r.status_code == 200, r.text
        await until_jobs(jobs, 1)
        assert b"A-000\n" in jobs[0] and b"Cetak uji / Test print" in jobs[0]
    r = await server.http.post("/citizen/api/tegal/print-test", json={"printer": {"mode": "browser"}}, headers=staff)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_an_escpos_printer"


async def test_the_test_print_reaches_only_printers_on_the_lan(tmp_path: Path) -> None:
    """Without the lab setting a printer on the server itself is refused, by address or by name, before anything is
    sent: the fake printer listening there receives nothing."""
    async with (
        running_server(tmp_path / "q.sqlite3", allow_loopback_targets=False) as s,
        fake_printer() as (port, jobs),
    ):
        staff = {**await s.login("supervisor"), "X-Kiosk-Token": KIOSK}
        for printer, field in (
            ({"mode": "network", "host": "127.0.0.1", "port": port}, "port"),
            ({"mode": "network", "host": "127.0.0.1", "port": 9100}, "host"),
            ({"mode": "network", "host": "localhost", "port": 9100}, "host"),
            ({"mode": "network", "host": "169.254.169.254", "port": 9100}, "host"),
        ):
            for url, method in (("/citizen/api/tegal/print-test", "POST"), ("/citizen/api/tegal/kiosk", "PUT")):
                r = await s.http.request(method, url, json={"printer": printer}, headers=staff)
                if (url, printer["host"]) == ("/citizen/api/tegal/kiosk", "localhost"):
                    assert r.status_code == 200, r.text  # a name is checked when the server connects
                    continue
                assert r.status_code == 422, (printer, url, r.text)
                error = r.json()["error"]
                assert (error["code"], error["details"]["field"]) == ("invalid_field", field), r.text
        # Saved under a name that leads to the server itself, it prints nothing and the kiosk hears of a fault.
        ticket = (await s.issue("ktp"))["ticket"]
        r = await s.http.post("/citizen/api/tegal/print", json={"token": ticket["token"]}, headers=bearer(KIOSK))
        assert r.status_code == 503 and "mall's LAN" in r.json()["error"]["details"]["error"], r.text
        await asyncio.sleep(0.2)
        assert jobs == []


async def test_printing_and_settings_refuse_whoever_may_not(server: Server) -> None:
    ticket = (await server.issue("ktp"))["ticket"]
    kiosk = bearer(KIOSK)
    print_url = "/citizen/api/tegal/print"
    # Printing is for kiosks, with a real ticket of their own site, and only with an ESC/POS printer.
    assert (await server.http.post(print_url, json={"token": ticket["token"]})).status_code == 401
    r = await server.http.post(print_url, json={"token": ticket["token"]}, headers=bearer(LOBBY))
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_a_kiosk"
    r = await server.http.post(print_url, json={"token": "x" * 20}, headers=kiosk)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_ticket"
    r = await server.http.post(print_url, json={"token": ticket["token"], "copies": 2}, headers=kiosk)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "copies"
    r = await server.http.post(print_url, content=b"token", headers={**kiosk, "Content-Type": "text/plain"})
    assert r.status_code == 415
    r = await server.http.post(print_url, json={"token": ticket["token"]}, headers=kiosk)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_an_escpos_printer"  # browser mode
    assert "cetak lewat peramban" in r.json()["error"]["message"], "the mode in words, not its code"
    r = await server.http.post("/citizen/api/nowhere/print", json={"token": ticket["token"]}, headers=kiosk)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_site"

    # Settings: a supervisor or admin of the site, naming a real kiosk.
    settings = "/citizen/api/tegal/kiosk"
    body = {"printer": {"mode": "none"}}
    assert (await server.http.put(settings, json=body, headers={"X-Kiosk-Token": KIOSK})).status_code == 401
    operator = await server.login("op-disdukcapil")
    r = await server.http.put(settings, json=body, headers={**operator, "X-Kiosk-Token": KIOSK})
    assert r.status_code == 403
    supervisor = await server.login("supervisor")
    r = await server.http.put(settings, json=body, headers=supervisor)
    assert r.status_code == 401  # which kiosk?
    r = await server.http.put(settings, json=body, headers={**supervisor, "X-Kiosk-Token": LOBBY})
    assert r.status_code == 403
    r = await server.http.put(settings, json={"printer": {"mode": "file", "device": "/etc/shadow"}},
                              headers={**supervisor, "X-Kiosk-Token": KIOSK})  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "device"
    r = await server.http.put(settings, json={"printer": {"mode": "none"}, "public_url": "javascript:alert(1)"},
                              headers={**supervisor, "X-Kiosk-Token": KIOSK})  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "public_url"
    assert (await server.http.get(settings, headers=kiosk)).json()["printer"]["mode"] == "browser"  # unchanged
    r = await server.http.put(settings, json=body, headers={**supervisor, "X-Kiosk-Token": KIOSK})
    assert r.status_code == 200 and r.json()["printer"] == {"mode": "none", "port": 9100, "profile": "default",
                                                            "qr_native": True}  # fmt: skip
    # Kept in the database (tests/test_kiosk_settings.py: across a restart, a backup, two processes).
    with sqlite3.connect(server.config.database) as conn:
        assert conn.execute("SELECT printer FROM kiosk_printers").fetchall() == [('{"mode":"none","port":9100,'
                                                                                '"profile":"default","qr_native":true}',)]  # fmt: skip


async def test_the_public_address_for_qr_codes_is_an_admin_s(server: Server) -> None:
    """An outside review: a supervisor could send every ticket's QR code to an address of their choosing."""
    settings = "/citizen/api/tegal/kiosk"
    supervisor = {**await server.login("supervisor"), "X-Kiosk-Token": KIOSK}
    admin = {**await server.login("admin"), "X-Kiosk-Token": KIOSK}
    body = {"printer": {"mode": "none"}, "public_url": "https://antrean.contoh.test"}
    r = await server.http.put(settings, json=body, headers=supervisor)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
    assert "Hanya admin" in r.json()["error"]["message"] and r.json()["error"]["details"]["field"] == "public_url"
    assert (await server.http.get(settings, headers=bearer(KIOSK))).json()["public_url"] is None
    r = await server.http.put(settings, json={**body, "public_url": "https://antrean.tegalkab.go.id/"}, headers=admin)
    assert r.status_code == 200 and r.json()["public_url"] == "https://antrean.tegalkab.go.id", r.text
    # The printer stays the supervisor's to set, the address kept as it is (as the panel sends it back).
    r = await server.http.put(settings, json={"printer": {"mode": "browser"}, "public_url": "https://antrean.tegalkab.go.id"},
                              headers=supervisor)  # fmt: skip
    assert r.status_code == 200, r.text
    for changed in (None, "https://antrean.contoh.test"):
        r = await server.http.put(
            settings, json={"printer": {"mode": "none"}, "public_url": changed}, headers=supervisor
        )
        assert r.status_code == 403, r.text
    saved = (await server.http.get(settings, headers=bearer(KIOSK))).json()
    assert (saved["public_url"], saved["printer"]["mode"]) == ("https://antrean.tegalkab.go.id", "browser")
