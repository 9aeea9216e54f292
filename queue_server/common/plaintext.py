"""What free text typed by staff may hold before it reaches a screen, a log or the event log.

Hidden characters: control characters and the marks that reverse the direction of text. A lobby screen would show
"\u202eA-100" as "001-A"; nobody types them on purpose. Personal numbers: a note or a reason is seen by staff and
kept in the event log for the life of the records, which must hold no NIK and no phone number (UU 27/2022); a
16-digit NIK or a mobile number in one is refused, so that staff write "KK lama dibawa" instead. A name cannot be
recognised in general (the forms say not to write one), but the way staff write one about a citizen can: a form of
address followed by a capitalised word ("Ibu Siti", "Pak Budi", "Sdr. Andi") is refused too.
"""

from __future__ import annotations

import re

# Tabs and line ends are spaces to a screen (the running text folds them): not hidden.
_HIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# 16 digits in a row (a NIK, maybe spaced in fours), or a mobile number (08.., +62 8.., 62 8..) of 9-13 digits.
_NIK = re.compile(r"(?<!\d)(?:\d[\s.-]?){15}\d(?!\d)")
_MOBILE = re.compile(r"(?<![\d+])(?:\+?62|0)[\s.-]?8(?:[\s.-]?\d){7,11}(?!\d)")


# A form of address before a capitalised word: "Ibu Siti Rahayu", "Bpk. Ahmad", "a.n. Budi" ("ibu hamil" is no name).
_ADDRESSED = re.compile(
    r"(?<![A-Za-z])(?:ibu|bu|bapak|pak|bpk|sdr|sdri|saudara|saudari|tuan|nyonya|nona|tn|ny|nn|mas|mbak|an|a\.n)\.?"
    r"\s+[A-Z][a-z]+",
    re.IGNORECASE,
)


def hidden_character(text: str) -> str | None:
    """The first control or direction character in `text`, as U+XXXX; None when there is none."""
    found = _HIDDEN.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def personal_number(text: str) -> bool:
    """Whether `text` holds something that reads as a NIK or a mobile phone number."""
    return bool(_NIK.search(text) or _MOBILE.search(text))


# Words that follow a form of address in ordinary notes without naming anyone: offices ("surat pengantar dari Bapak
# Lurah"), kinship and conditions ("fotokopi KTP Ibu Kandung", "Ibu Hamil"), and "Mas Kawin" (the dowry).
_NOT_NAMES = frozenset({
    "lurah", "camat", "kades", "sekdes", "kepala", "kadus", "kadis", "bupati", "wakil", "walikota", "wali",
    "gubernur", "direktur", "kapolres", "kapolsek", "dokter", "guru", "notaris", "pejabat", "petugas", "ketua",
    "kandung", "tiri", "angkat", "mertua", "hamil", "menyusui", "rumah", "kota", "kawin", "pemohon", "pelapor",
    "yang", "dan", "atau", "dari", "untuk", "dengan", "sudah", "belum", "tidak", "harus", "bawa", "minta",
})  # fmt: skip


def personal_name(text: str) -> bool:
    """Whether `text` names someone the way staff write a citizen's name: a form of address and a name."""
    return any(
        m.group()[-1].isalpha() and _capitalised(m.group()) and m.group().split()[-1].lower() not in _NOT_NAMES
        for m in _ADDRESSED.finditer(text)
    )


def _capitalised(found: str) -> bool:
    """The word after the form of address starts with a capital as typed (IGNORECASE matched it either way)."""
    word = found.split()[-1]
    return word[0].isupper() and word[1:].islower()
