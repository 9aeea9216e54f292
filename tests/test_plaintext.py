"""Free text staff type (notes, reasons, names, the running text): hidden characters and personal numbers."""

from __future__ import annotations

import pytest

from queue_server.common.plaintext import hidden_character, personal_name, personal_number


@pytest.mark.parametrize(
    "text",
    ["NIK 3328015505900001", "3328 0155 0590 0001", "hp 081234567890", "wa +62 812-3456-7890", "62812345678"],
)
def test_a_nik_or_a_mobile_number_is_found_however_it_is_spaced(text: str) -> None:
    assert personal_number(text)


@pytest.mark.parametrize(
    "text",
    ["KK lama dibawa", "Loket 5 jam 14.00", "tiket A-123, 2 orang", "telp kantor (0283) 351234", "antre sejak 07.30"],
)
def test_what_staff_usually_write_passes(text: str) -> None:
    assert not personal_number(text) and not personal_name(text) and hidden_character(text) is None


@pytest.mark.parametrize(
    "text",
    ["Ibu Siti Rahayu kurang fotokopi", "Pak Budi minta KK", "Bpk. Ahmad", "a.n. Budi", "ambil KTP Bu Ani besok"],
)
def test_a_citizen_named_the_way_staff_write_it_is_found(text: str) -> None:
    """An outside review: a transfer note "Ibu Siti Rahayu kurang fotokopi" reached the event log and the mirror."""
    assert personal_name(text)


@pytest.mark.parametrize("text", [
    "ibu hamil, antrean prioritas", "Ibu KTP hilang", "AN KK", "Pak", "bu siti",
    # offices, kinship and the dowry: ordinary notes an outside review saw refused
    "Bawa surat pengantar dari Bapak Lurah", "Surat kuasa dari Pak Camat", "Bawa fotokopi KTP Ibu Kandung",
    "Bukti Mas Kawin belum ada", "Ibu Hamil, prioritas",
])  # fmt: skip
def test_a_form_of_address_without_a_name_passes(text: str) -> None:
    assert not personal_name(text)


def test_control_and_direction_characters_are_named() -> None:
    assert hidden_character("\u202eA-100") == "U+202E"
    assert hidden_character("a\x00b") == "U+0000" and hidden_character("a\x1bb") == "U+001B"
    assert hidden_character("two\nlines\tand a tab") is None  # spaces to a screen
    assert hidden_character("Selamat datang 😀") is None
