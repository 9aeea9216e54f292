"""Indonesia's 38 provinces, for the ministry's reports: a mall's site file names its province (`[site] province`)
so that the national view can filter and total by province. Codes are Kemendagri's (the first two digits of a NIK
and of every regional code), after the four Papuan provinces made in 2022 (Kepmendagri 100.1.1-6117/2022).
python-stdnum's table stops at 34 provinces with BPS's older Papua codes, so the list is kept here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Province:
    code: str
    name: str  # as the ministry writes it
    name_en: str


PROVINCES: tuple[Province, ...] = (
    Province("11", "Aceh", "Aceh"),
    Province("12", "Sumatera Utara", "North Sumatra"),
    Province("13", "Sumatera Barat", "West Sumatra"),
    Province("14", "Riau", "Riau"),
    Province("15", "Jambi", "Jambi"),
    Province("16", "Sumatera Selatan", "South Sumatra"),
    Province("17", "Bengkulu", "Bengkulu"),
    Province("18", "Lampung", "Lampung"),
    Province("19", "Kepulauan Bangka Belitung", "Bangka Belitung Islands"),
    Province("21", "Kepulauan Riau", "Riau Islands"),
    Province("31", "DKI Jakarta", "Jakarta"),
    Province("32", "Jawa Barat", "West Java"),
    Province("33", "Jawa Tengah", "Central Java"),
    Province("34", "DI Yogyakarta", "Yogyakarta"),
    Province("35", "Jawa Timur", "East Java"),
    Province("36", "Banten", "Banten"),
    Province("51", "Bali", "Bali"),
    Province("52", "Nusa Tenggara Barat", "West Nusa Tenggara"),
    Province("53", "Nusa Tenggara Timur", "East Nusa Tenggara"),
    Province("61", "Kalimantan Barat", "West Kalimantan"),
    Province("62", "Kalimantan Tengah", "Central Kalimantan"),
    Province("63", "Kalimantan Selatan", "South Kalimantan"),
    Province("64", "Kalimantan Timur", "East Kalimantan"),
    Province("65", "Kalimantan Utara", "North Kalimantan"),
    Province("71", "Sulawesi Utara", "North Sulawesi"),
    Province("72", "Sulawesi Tengah", "Central Sulawesi"),
    Province("73", "Sulawesi Selatan", "South Sulawesi"),
    Province("74", "Sulawesi Tenggara", "Southeast Sulawesi"),
    Province("75", "Gorontalo", "Gorontalo"),
    Province("76", "Sulawesi Barat", "West Sulawesi"),
    Province("81", "Maluku", "Maluku"),
    Province("82", "Maluku Utara", "North Maluku"),
    Province("91", "Papua", "Papua"),
    Province("92", "Papua Barat", "West Papua"),
    Province("93", "Papua Selatan", "South Papua"),
    Province("94", "Papua Tengah", "Central Papua"),
    Province("95", "Papua Pegunungan", "Highland Papua"),
    Province("96", "Papua Barat Daya", "Southwest Papua"),
)

BY_CODE = {p.code: p for p in PROVINCES}
# Written the long way too: "Daerah Khusus Ibukota Jakarta", "Daerah Istimewa Yogyakarta", "Provinsi Jawa Tengah".
_ALIASES = {
    "daerah khusus ibukota jakarta": "31",
    "daerah khusus jakarta": "31",
    "dki": "31",
    "jakarta": "31",
    "daerah istimewa yogyakarta": "34",
    "diy": "34",
    "yogyakarta": "34",
    "bangka belitung": "19",
    "babel": "19",
    "kepri": "21",
    "ntb": "52",
    "ntt": "53",
}


def _key(text: str) -> str:
    words = text.strip().lower().replace(".", " ").split()
    if words[:1] == ["provinsi"]:
        words = words[1:]
    return " ".join(words)


_BY_NAME = {_key(p.name): p.code for p in PROVINCES} | _ALIASES


def find(text: str) -> Province | None:
    """The province a site file names, by its name (any case, "Provinsi" before it or not, the usual short forms)
    or its two-digit code; None when there is none such."""
    code = text.strip() if text.strip() in BY_CODE else _BY_NAME.get(_key(text)) if text.strip() else None
    return BY_CODE.get(code) if code else None
