"""Free text staff type (notes, reasons, names, the running text): hidden characters and personal numbers."""

from __future__ import annotations

import pytest

from queue_server.common.plaintext import (
    hidden_character,
    names_citizen,
    personal_name,
    personal_number,
    personal_shown,
    spreadsheet_row,
)


@pytest.mark.parametrize(
    "text",
    ["NIK 3328015505900001", "3328 0155 0590 0001", "hp 081234567890", "wa +62 812-3456-7890", "62812345678",
     # grouped the ways an outside review got past the first rule: slashes, underscores, two spaces, brackets,
     # en dashes, full-width digits, a digit typed after the NIK
     "NIK 3328/0145/0690/0007", "NIK 3328_0145_0690_0007", "3328  0145 0690 0007", "telp (0857) 1234-5678",
     "wa +62 (857) 1234 5678", "hp 0857\u20131234\u20135678", "\uff10\uff18\uff15\uff17\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",
     "NIK 3328014506900007 1",
     # e-mail addresses and birth dates (an outside review of the mirror)
     "email siti.aminah@gmail.com", "lahir 12-01-1980", "tgl lahir: 3 Januari 1975"],
)  # fmt: skip
def test_a_nik_or_a_mobile_number_is_found_however_it_is_spaced(text: str) -> None:
    assert personal_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "KK lama dibawa",
        "Loket 5 jam 14.00",
        "tiket A-123, 2 orang",
        "telp kantor (0283) 351234",
        "antre sejak 07.30",
        "kembali jam 08.15, 10.00 atau 13.00",
        "berkas 2026-12-05",
        "an elderly man, needs a chair",
    ],
)
def test_what_staff_usually_write_passes(text: str) -> None:
    assert not personal_number(text) and not personal_name(text) and hidden_character(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "Ibu Siti Rahayu kurang fotokopi",
        "Pak Budi minta KK",
        "Bpk. Ahmad",
        "a.n. Budi",
        "ambil KTP Bu Ani besok",
        "IBU SITI RAHAYU kurang fotokopi",
        "a.n. siti rahayu",
        "an. budi",
    ],
)
def test_a_citizen_named_the_way_staff_write_it_is_found(text: str) -> None:
    """An outside review: a transfer note "Ibu Siti Rahayu kurang fotokopi" reached the event log and the mirror."""
    assert personal_name(text)


@pytest.mark.parametrize("text", [
    "ibu hamil, antrean prioritas", "Ibu KTP hilang", "AN KK", "Pak", "bu siti",
    # offices, kinship and the dowry: ordinary notes an outside review saw refused
    "Bawa surat pengantar dari Bapak Lurah", "Surat kuasa dari Pak Camat", "Bawa fotokopi KTP Ibu Kandung",
    "Bukti Mas Kawin belum ada", "Ibu Hamil, prioritas", "IBU HAMIL", "PAK RT datang",
])  # fmt: skip
def test_a_form_of_address_without_a_name_passes(text: str) -> None:
    assert not personal_name(text)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("NIK 3328 0123 4567 8901", ("nik",)),
        ("wa +62 812-3456-7890", ("phone",)),
        ("email siti.aminah@gmail.com", ("email",)),
        ("tgl lahir: 3 Januari 1975", ("birth_date",)),
        ("Panggilan untuk Ibu Siti Rahayu", ("name",)),
        ("Ibu Siti 3328011201800001", ("nik", "name")),
        ("Pak Budi hp 0812 3456 7890 lahir 12-01-1980, budi@contoh.id", ("phone", "email", "birth_date", "name")),
        ("Loket Bapak/Ibu Lansia", ()),
        ("Layanan KTP sampai pukul 15.00", ()),
    ],
)
def test_a_shown_text_says_which_kinds_of_a_citizen_s_data_it_holds(text: str, kinds: tuple[str, ...]) -> None:
    """What a refusal names ("memuat NIK dan nama warga"), in one order whatever the text's; () for an ordinary one."""
    assert personal_shown(text) == kinds
    assert names_citizen(text) == bool(kinds)


def test_control_and_direction_characters_are_named() -> None:
    assert hidden_character("\u202eA-100") == "U+202E"
    assert hidden_character("a\x00b") == "U+0000" and hidden_character("a\x1bb") == "U+001B"
    assert hidden_character("two\nlines\tand a tab") is None  # spaces to a screen
    assert hidden_character("Selamat datang 😀") is None


@pytest.mark.parametrize(
    "char", ["\u200b", "\ufeff", "\u061c", "\u2028", "\u2029", "\u180e", "\u115f", "\u034f", "\ue000"]
)
def test_characters_that_show_nothing_are_hidden_too(char: str) -> None:
    """An outside review pasted zero-width spaces, the byte-order mark, a line separator and the Hangul filler into
    names and the running text, and all were taken."""
    assert hidden_character(f"Loket{char}1") == f"U+{ord(char):04X}"


def test_a_name_is_one_line() -> None:
    """A device name with a line break wrote a forged line into the server's log."""
    assert hidden_character("Kiosk\n2026-12-05 WARNING forged", lines=False) == "U+000A"
    assert hidden_character("Kiosk\rlobby", lines=False) == "U+000D"
    assert hidden_character("Kiosk lobby", lines=False) is None


def test_a_spreadsheet_cell_is_guarded_only_where_it_could_be_a_formula() -> None:
    """Text a spreadsheet would run (= + - @, tab, CR first) gets a leading '; a number, and a lone - (the exports'
    "none": no province, no kind; an outside review found "'-" in the plain CSV), stay as they are."""
    guarded = ['=HYPERLINK("http://evil","x")', "+Bank X", "-Tabungan", "@SUM(1+1)", "\tx", "\rx", "--", "-1-2", "=",
               "+", "@"]  # fmt: skip
    assert spreadsheet_row(guarded) == [f"'{cell}" for cell in guarded]
    kept = ["-", "-12", "+3", "1.5", "-0,25", "Kabupaten Tegal", "", "a-b", "'=already", 7, -3, None, 2.5]
    assert spreadsheet_row(kept) == kept
