"""What free text typed by staff may hold before it reaches a screen, a log or the event log.

Hidden characters: control characters, the marks that reverse the direction of text, and the characters that show
nothing (zero-width spaces, fillers). A lobby screen would show "\u202eA-100" as "001-A", and a line break in a name
starts a new line of the log; nobody types them on purpose. Personal numbers: a note or a reason is seen by staff and
kept in the event log for the life of the records, which must hold no NIK and no phone number (UU 27/2022); a
16-digit NIK or a mobile number in one is refused, however its digits are grouped ("3328/0145/...", "(0857)
1234-5678"), so that staff write "KK lama dibawa" instead. A name cannot be recognised in general (the forms say not
to write one), but the way staff write one about a citizen can: a form of address followed by a capitalised word
("Ibu Siti", "Pak Budi", "IBU SITI"), or anything after "a.n." (on behalf of), is refused too.

Spreadsheets: a text cell of a CSV export that begins with = + - @, a tab or a carriage return is a formula to
Excel and LibreOffice (`=HYPERLINK(...)` as a service's name); it goes out after a single quote, as OWASP advises.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

# Characters that show nothing or turn text round: controls (Cc), format characters (Cf: direction marks, zero-width
# spaces, the byte-order mark), line and paragraph separators, private-use and lone surrogates, and the blank letters
# (the Hangul fillers, the combining grapheme joiner) that pass for a space.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs"})
_BLANK_LETTERS = frozenset("\u034f\u115f\u1160\u3164\uffa0\u2800")
# Tabs and line ends are spaces to a screen (the running text and notes fold them): not hidden where lines are allowed.
_LINE_ENDS = frozenset("\t\n\r")

# A run of digits grouped any way people group them: spaces, dots, dashes of every width, slashes, underscores and
# brackets between the groups (not commas, which part one number from the next: "08.15, 10.00").
_DIGIT_RUN = re.compile(r"\d(?:[\s.\-/_()\u2010-\u2015]{0,3}\d)*")
# After the grouping is taken away: a NIK has 16 digits; a mobile number 08.., 62 8.. of 9-13 digits.
_MOBILE = re.compile(r"(?:62|0)8\d{7,11}")
# Other ways to reach or single out a citizen an outside review got into a note: an e-mail address, a birth date.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_BIRTH_DATE = re.compile(r"\blahir\b\D{0,12}\d{1,2}[\s./-]+(?:\d{1,2}|[A-Za-z]{3,9})[\s./-]+\d{2,4}", re.IGNORECASE)

# The kinds of personal data a shown text is refused for, in the order a refusal names them (messages.toml's
# [personal_kind] says each in words).
PERSONAL_KINDS = ("nik", "phone", "email", "birth_date", "name")

# A form of address before a word: "Ibu Siti Rahayu", "Bpk. Ahmad", "a.n. Budi" ("ibu hamil" is no name).
_ADDRESSED = re.compile(
    r"(?<![A-Za-z])(?:ibu|bu|bapak|pak|bpk|sdr|sdri|saudara|saudari|tuan|nyonya|nona|tn|ny|nn|mas|mbak|an|a\.n)\.?"
    r"\s+[A-Z][a-z]+",
    re.IGNORECASE,
)


def hidden_character(text: str, *, lines: bool = True) -> str | None:
    """The first hidden character in `text`, as U+XXXX; None when there is none. `lines`: tabs and line ends are
    allowed (the running text, notes); a name is one line."""
    for char in text:
        if lines and char in _LINE_ENDS:
            continue
        if unicodedata.category(char) in _HIDDEN_CATEGORIES or char in _BLANK_LETTERS:
            return f"U+{ord(char):04X}"
    return None


def personal_numbers(text: str) -> tuple[str, ...]:
    """The kinds of personal data `text` holds that are not names, in PERSONAL_KINDS' order: "nik" (16 digits), "phone"
    (a mobile number), "email", "birth_date" ("lahir 12-01-1980"); () when none."""
    found = set()
    if _EMAIL.search(text):
        found.add("email")
    if _BIRTH_DATE.search(text):
        found.add("birth_date")
    for run in _DIGIT_RUN.finditer(unicodedata.normalize("NFKC", text)):
        groups = re.findall(r"\d+", run.group())
        for first in range(len(groups)):  # any groups in a row: a digit typed after a NIK does not hide it
            digits = ""
            for group in groups[first:]:
                digits += group
                if len(digits) == 16:
                    found.add("nik")
                elif _MOBILE.fullmatch(digits):
                    found.add("phone")
                if len(digits) >= 16:
                    break
    return tuple(kind for kind in PERSONAL_KINDS if kind in found)


def personal_number(text: str) -> bool:
    """Whether `text` holds something that reads as a NIK, a mobile phone number, an e-mail address or a birth
    date ("lahir 12-01-1980")."""
    return bool(personal_numbers(text))


# Words that follow a form of address in ordinary notes without naming anyone: offices ("surat pengantar dari Bapak
# Lurah"), kinship and conditions ("fotokopi KTP Ibu Kandung", "Ibu Hamil"), and "Mas Kawin" (the dowry).
_NOT_NAMES = frozenset({
    "lurah", "camat", "kades", "sekdes", "kepala", "kadus", "kadis", "bupati", "wakil", "walikota", "wali",
    "gubernur", "direktur", "kapolres", "kapolsek", "dokter", "guru", "notaris", "pejabat", "petugas", "ketua",
    "kandung", "tiri", "angkat", "mertua", "hamil", "menyusui", "rumah", "kota", "kawin", "pemohon", "pelapor",
    "yang", "dan", "atau", "dari", "untuk", "dengan", "sudah", "belum", "tidak", "harus", "bawa", "minta",
    "warga", "masyarakat", "pengunjung", "sekalian", "pemilik",  # the running text's "Bapak/Ibu Warga ..."
    "lansia", "disabilitas", "difabel", "prioritas",  # a counter's or service's "Loket Bapak/Ibu Lansia"
})  # fmt: skip


# Papers and offices written in capitals after a form of address ("Ibu KTP hilang", "AN KK"): no names either.
_ACRONYMS = frozenset({
    "ktp", "kk", "kia", "sim", "stnk", "bpkb", "npwp", "bpjs", "skck", "pbg", "imb", "nib", "siup", "akta", "pkb",
    "kis", "rt", "rw", "pns", "tni", "asn", "umkm", "mpp", "wni", "wna",
})  # fmt: skip
_ON_BEHALF = frozenset({"a.n.", "a.n", "an."})  # "atas nama"; a bare "an" may be English ("an elderly man")


def personal_name(text: str) -> bool:
    """Whether `text` names someone the way staff write a citizen's name: a form of address and a name."""
    for found in _ADDRESSED.finditer(text):
        form, word = found.group().split()[0].lower(), found.group().split()[-1]
        if word.lower() in _NOT_NAMES or (word.isupper() and word.lower() in _ACRONYMS):
            continue
        if form in _ON_BEHALF and len(word) > 1:  # "a.n. siti": whatever follows is the name
            return True
        if word[0].isupper() and (word[1:].islower() or (word.isupper() and len(word) > 2)):  # "Siti", "SITI"
            return True
    return False


def personal_shown(text: str) -> tuple[str, ...]:
    """What text every lobby screen would show (the running text, a counter's name ...) holds that singles out a
    citizen: the kinds found, in PERSONAL_KINDS' order ("nik", "phone", "email", "birth_date", "name"), () when none,
    so a refusal says which without repeating the text. One check for every way the text is set (the API, the
    Settings page, a site file) and for what a mirror withholds, so that each refuses the same texts."""
    kinds = personal_numbers(text)
    return (*kinds, "name") if personal_name(text) else kinds


def names_citizen(text: str) -> bool:
    """Whether `text` singles out a citizen at all (`personal_shown` found something)."""
    return bool(personal_shown(text))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


def spreadsheet_cell(cell: Any) -> Any:
    """A CSV cell no spreadsheet reads as a formula: text beginning with = + - @, tab or CR gets a leading '. What
    is no formula stays as it is: a number (negative ones too) and a lone - (the exports' "none": no province, an
    agency of no kind), which a spreadsheet shows as the text it is and a script reads as written."""
    if not isinstance(cell, str) or not cell.startswith(_FORMULA_START) or cell == "-" or _NUMBER.match(cell):
        return cell
    return f"'{cell}"


def spreadsheet_row(cells: Iterable[Any]) -> list[Any]:
    """A CSV row of spreadsheet-safe cells (`spreadsheet_cell`): every CSV export writes its rows through this."""
    return [spreadsheet_cell(cell) for cell in cells]
