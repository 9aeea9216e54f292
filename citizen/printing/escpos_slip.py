"""A slip on an ESC/POS printer (python-escpos): header, the number four times the normal size, the QR of the
follow link, "Simpan tiket ini", and a cut. Written against python-escpos's printer interface, so the tests check
the exact bytes on its Dummy printer."""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Callable

from escpos.escpos import Escpos

from .slip import Slip

NUMBER_SIZE = 4  # A-012 at 4x4 is 20 of the 42 columns of 80 mm paper: readable at arm's length
QR_SIZE = 6  # module size in dots: about 25 mm wide for a follow link, easy for a phone camera


PUNCTUATION = str.maketrans({"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "±": "+/-"})


def plain(text: str) -> str:
    """ASCII only: cheap printers differ in their code pages, and every name in a site file reads fine without
    diacritics (a stray é becomes e rather than a wrong glyph)."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(PUNCTUATION)).encode("ascii", "ignore").decode()
    return " ".join(ascii_text.split())


def columns_of(printer: Escpos) -> int:
    try:
        return int(printer.profile.get_columns("a"))
    except Exception:  # noqa: BLE001 - a profile without font data: the common 80 mm width
        return 42


def write_slip(printer: Escpos, slip: Slip, *, qr_native: bool = True) -> None:
    width = columns_of(printer)

    def lines(text: str) -> None:
        for line in textwrap.wrap(plain(text), width) or [""]:
            printer.textln(line)

    printer.set_with_default(align="center")
    printer.set(align="center", bold=True)
    lines(slip.site_name)
    printer.set(align="center", bold=False)
    lines(slip.agency_name)
    printer.set(align="center", bold=True)
    lines(slip.service_name)
    printer.ln()
    printer.set(align="center", bold=False)
    printer.textln(slip.word("slip_number"))
    printer.set(align="center", bold=True, custom_size=True, width=NUMBER_SIZE, height=NUMBER_SIZE)
    printer.textln(plain(slip.label))
    printer.set_with_default(align="center")
    if slip.booking_code:
        printer.textln(slip.word("slip_booking", code=plain(slip.booking_code)))
    printer.textln(slip.when)
    printer.ln()
    printer.set(align="left")
    ahead, wait = slip.word("slip_ahead"), slip.word("slip_wait")
    pad = max(len(ahead), len(wait))  # the colons under each other: "Di depan Anda   : 3 orang"
    if slip.ahead_text is not None:
        printer.textln(f"{ahead:<{pad}}: {slip.ahead_text}")
    if slip.wait_text is not None:
        printer.textln(f"{wait:<{pad}}: {plain(slip.wait_text)}")
    printer.ln()
    printer.set(align="center")
    printer.qr(slip.follow_url, ec=1, size=QR_SIZE, native=qr_native, center=not qr_native and _knows_width(printer))
    lines(slip.word("print_follow"))
    _wifi(printer, slip, width, lines)
    printer.set(align="center", bold=True)
    printer.textln(slip.word("print_keep"))
    printer.set_with_default()
    printer.cut()


def _wifi(printer: Escpos, slip: Slip, width: int, lines: Callable[[str], None]) -> None:
    """The network a phone must join first (a mobile unit's box without internet), its name on a line of its own in
    bold: printed exactly (the site file holds it to ASCII), never wrapped at a hyphen or a space of its own."""
    around = slip.wifi_around
    if around is None or not slip.wifi_name:
        return
    before, after = around
    printer.ln()
    lines(before)
    printer.set(align="center", bold=True)
    printer.textln(slip.wifi_name)
    printer.set(align="center", bold=False)
    lines(after)
    if slip.wifi_password:
        said = slip.word("slip_wifi_password", password=slip.wifi_password)
        if len(said) <= width:
            printer.textln(said)
        else:  # a long password: its label, then the password cut at the paper's width only
            printer.textln(slip.word("slip_wifi_password", password="").strip())
            for start in range(0, len(slip.wifi_password), width):
                printer.textln(slip.wifi_password[start : start + width])
    printer.ln()


def _knows_width(printer: Escpos) -> bool:
    """Centring an image needs the paper width in pixels, which the 'default' profile does not know."""
    width = printer.profile.profile_data.get("media", {}).get("width", {}).get("pixels")
    return isinstance(width, int)
