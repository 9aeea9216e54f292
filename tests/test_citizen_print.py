"""The 80 mm ticket for the browser's print, rendered by Chromium to PDF exactly as a kiosk or desk prints it:
the page is 80 mm wide and as long as the ticket, with everything the ESC/POS slip has."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from pathlib import Path

from .helpers import Server, running_server
from .test_citizen_support import bounded, chromium, open_page, shot, text, wifi_site

MM = 72 / 25.4  # PDF points per millimetre


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return [((float(x1) - float(x0)) / MM, (float(y1) - float(y0)) / MM) for x0, y0, x1, y1 in boxes]


@bounded(60)
async def test_the_printed_ticket_is_80_mm_wide_with_number_qr_and_keep_line(server: Server, tmp_path: Path) -> None:
    await server.issue("ktp")
    answer = await server.issue("ktp", priority="ibu_hamil")
    token = answer["ticket"]["token"]
    async with (
        chromium() as browser,
        open_page(browser, f"{server.url}/citizen/print/{token}", size=(400, 900)) as page,
    ):
        assert await text(page, ".slip-site") == "MPP Kabupaten Tegal"
        assert await text(page, ".slip-agency") == "Dinas Kependudukan dan Pencatatan Sipil"
        assert await text(page, ".slip-service") == "KTP Elektronik"
        assert await text(page, ".slip-number") == "A-002"
        assert await text(page, ".slip-line") == "Senin, 23 November 2026 pukul 09.00"  # the site's local time (WIB)
        rows = await page.eval_on_selector_all(".slip-facts tr", "rows => rows.map(r => r.innerText.split('\\t'))")
        # No KTP counter is open yet: the slip says so rather than "segera".
        assert rows == [["Di depan Anda", "0 orang"], ["Perkiraan tunggu", "belum ada loket yang buka"]]
        assert await text(page, ".slip-keep") == "Simpan tiket ini"
        assert await page.eval_on_selector(".slip-qr svg", "svg => svg.getBoundingClientRect().width") > 100
        html = await page.content()
        assert "ibu_hamil" not in html and "Ibu hamil" not in html  # the priority group is nobody's business
        # A citizen who chose English at the kiosk gets the slip in English (names as the site file has them).
        await page.goto(f"{server.url}/citizen/print/{token}?lang=en")
        assert await text(page, ".slip-caption") == "QUEUE NUMBER"
        assert await text(page, ".slip-line") == "Monday, 23 November 2026 at 09:00"
        rows = await page.eval_on_selector_all(".slip-facts tr", "rows => rows.map(r => r.innerText.split('\\t'))")
        assert rows == [["Ahead of you", "0 people"], ["Estimated wait", "no counter open yet"]]
        assert (
            await text(page, ".slip-keep") == "Keep this ticket"
            and await text(page, ".slip-service") == "KTP Elektronik"
        )
        await page.goto(f"{server.url}/citizen/print/{token}")

        await page.emulate_media(media="print")
        pdf = await page.pdf(prefer_css_page_size=True, print_background=True)
    pdf_path = tmp_path / "ticket-80mm.pdf"
    pdf_path.write_bytes(pdf)
    shot(pdf_path)
    sizes = page_sizes(pdf)
    assert len(sizes) == 1, sizes  # one ticket, one page: nothing spills onto a second slip
    width, height = sizes[0]
    assert abs(width - 80) < 0.5, sizes
    assert 80 < height < 200, sizes
    if shutil.which("pdftoppm"):  # Debian's poppler-utils: a PNG of the paper, for people to look at
        args = ["pdftoppm", "-png", "-r", "150", "-singlefile", str(pdf_path), str(tmp_path / "ticket-80mm")]
        await asyncio.to_thread(subprocess.run, args, check=True, timeout=30)
        shot(tmp_path / "ticket-80mm.png")


async def test_the_print_page_of_an_unknown_ticket_is_a_plain_404(server: Server) -> None:
    r = await server.http.get("/citizen/print/" + "x" * 24)
    assert r.status_code == 404 and "Tiket tidak ditemukan" in r.text
    assert "href" not in r.text.split("<body")[1]


@bounded(60)
async def test_a_mobile_unit_s_printed_ticket_names_its_wifi_beside_the_qr(tmp_path: Path) -> None:
    """The 80 mm page (kiosks in browser mode, the desk) says which Wi-Fi opens the QR's link, as the ESC/POS slip
    does, and is still one page of 80 mm with it."""
    long_password = "antrean-mpp-keliling-" * 3  # 63 characters: a WPA2 password at its longest
    site = wifi_site(tmp_path, name="MPP Keliling Kabupaten Tegal 02", password=long_password)
    async with running_server(tmp_path / "q.sqlite3", site_files=[site]) as server:
        token = (await server.issue("ktp"))["ticket"]["token"]
        async with (
            chromium() as browser,
            open_page(browser, f"{server.url}/citizen/print/{token}", size=(400, 900)) as page,
        ):
            wifi = await page.eval_on_selector_all(".slip-wifi", "ps => ps.map(p => p.innerText.replace(/\\s+/g, ' '))")
            assert wifi == ["Sambungkan ke Wi-Fi MPP Keliling Kabupaten Tegal 02 untuk membuka tiket di ponsel",
                            f"Kata sandi: {long_password}"]  # fmt: skip
            assert await text(page, ".slip-wifi-name") == "MPP Keliling Kabupaten Tegal 02"
            # Nothing sticks out of the 80 mm ticket: the name on one line, the password broken where it must.
            for selector in (".slip-wifi-name", ".slip-wifi-password"):
                right = await page.eval_on_selector(selector, "e => e.getBoundingClientRect().right")
                assert right <= await page.eval_on_selector(".slip", "e => e.getBoundingClientRect().right"), selector
            lines = await page.eval_on_selector(".slip-wifi-name", "e => e.getClientRects().length")
            assert lines == 1, "the network's name is never broken over two lines"
            await page.goto(f"{server.url}/citizen/print/{token}?lang=en")
            wifi = await page.eval_on_selector_all(".slip-wifi", "ps => ps.map(p => p.innerText.replace(/\\s+/g, ' '))")
            assert wifi[0] == "Connect to the Wi-Fi MPP Keliling Kabupaten Tegal 02 to open your ticket on your phone"
            await page.emulate_media(media="print")
            pdf = await page.pdf(prefer_css_page_size=True, print_background=True)
    pdf_path = tmp_path / "ticket-80mm-wifi.pdf"
    pdf_path.write_bytes(pdf)
    shot(pdf_path)
    sizes = page_sizes(pdf)
    assert len(sizes) == 1 and abs(sizes[0][0] - 80) < 0.5, sizes
    if shutil.which("pdftoppm"):
        args = ["pdftoppm", "-png", "-r", "150", "-singlefile", str(pdf_path), str(tmp_path / "ticket-80mm-wifi")]
        await asyncio.to_thread(subprocess.run, args, check=True, timeout=30)
        shot(tmp_path / "ticket-80mm-wifi.png")
