"""Indonesia's 38 provinces, for the ministry's reports: a mall's site file names its province (`[site] province`)
so that the national view can filter and total by province. Codes are Kemendagri's (the first two digits of a NIK
and of every regional code), after the four Papuan provinces made in 2022 (Kepmendagri 100.1.1-6117/2022).
python-stdnum's table stops at 34 provinces with BPS's older Papua codes, so the list is kept here.

Each province's time zone is the law's, Keppres 41/1987 (the three zones of Indonesia): WIB for Sumatra, Java, West
and Central Kalimantan; WITA for Bali, the Nusa Tenggaras, South and East Kalimantan, and Sulawesi; WIT for Maluku and
Papua. A province made since keeps the zone of the one it was made from (Kepulauan Riau, Bangka Belitung and Banten:
WIB; Kalimantan Utara, Gorontalo and Sulawesi Barat: WITA; Maluku Utara and the five Papuan provinces: WIT). A mall's
time zone must be its province's (settings/sitefile.py): the same legal zone, under any of tzdata's names for it.

tzdata names four zones for Indonesia (zone1970.tab): Asia/Jakarta and Asia/Pontianak (WIB; Pontianak's is West and
Central Kalimantan, which kept WITA until 1988), Asia/Makassar (WITA) and Asia/Jayapura (WIT). A site file keeps the
name its administrator wrote: a Pontianak mall may write Asia/Pontianak, which reads the same clock as Asia/Jakarta
for every day this system has known, so ZoneInfo gives both the same local dates and hours; what compares zones
compares their legal zone (`legal_zone`), never their names. A province's own `timezone` is its legal zone's usual
name, the one `init-site` writes and the Settings page chooses with the province."""

from __future__ import annotations

from dataclasses import dataclass

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"  # each legal zone's usual name

# Every zone a site file may name (tzdata's for Indonesia), with its legal zone, in the order a sentence lists them.
ZONES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
USUAL = {"WIB": WIB, "WITA": WITA, "WIT": WIT}  # a legal zone's usual name


def legal_zone(timezone: str) -> str | None:
    """The legal zone ("WIB", "WITA" or "WIT") of a zone of Indonesia (Asia/Pontianak's is WIB), None for any other."""
    return ZONES.get(timezone)


def names_of(legal: str) -> list[str]:
    """The zone names of a legal zone, as a site file may write them: ["Asia/Jakarta", "Asia/Pontianak"] for WIB."""
    return [name for name, zone in ZONES.items() if zone == legal]


def zones_said() -> str:
    """Every zone a site file may name, as a sentence lists them: "Asia/Jakarta or Asia/Pontianak for WIB, ..."."""
    said = [f"{' or '.join(names_of(legal))} for {legal}" for legal in USUAL]
    return f"{', '.join(said[:-1])} or {said[-1]}"


@dataclass(frozen=True)
class Province:
    code: str
    name: str  # as the ministry writes it
    name_en: str
    timezone: str  # WIB, WITA or WIT (Keppres 41/1987), by the legal zone's usual name


PROVINCES: tuple[Province, ...] = (
    Province("11", "Aceh", "Aceh", WIB),
    Province("12", "Sumatera Utara", "North Sumatra", WIB),
    Province("13", "Sumatera Barat", "West Sumatra", WIB),
    Province("14", "Riau", "Riau", WIB),
    Province("15", "Jambi", "Jambi", WIB),
    Province("16", "Sumatera Selatan", "South Sumatra", WIB),
    Province("17", "Bengkulu", "Bengkulu", WIB),
    Province("18", "Lampung", "Lampung", WIB),
    Province("19", "Kepulauan Bangka Belitung", "Bangka Belitung Islands", WIB),
    Province("21", "Kepulauan Riau", "Riau Islands", WIB),
    Province("31", "DKI Jakarta", "Jakarta", WIB),
    Province("32", "Jawa Barat", "West Java", WIB),
    Province("33", "Jawa Tengah", "Central Java", WIB),
    Province("34", "DI Yogyakarta", "Yogyakarta", WIB),
    Province("35", "Jawa Timur", "East Java", WIB),
    Province("36", "Banten", "Banten", WIB),
    Province("51", "Bali", "Bali", WITA),
    Province("52", "Nusa Tenggara Barat", "West Nusa Tenggara", WITA),
    Province("53", "Nusa Tenggara Timur", "East Nusa Tenggara", WITA),
    Province("61", "Kalimantan Barat", "West Kalimantan", WIB),
    Province("62", "Kalimantan Tengah", "Central Kalimantan", WIB),
    Province("63", "Kalimantan Selatan", "South Kalimantan", WITA),
    Province("64", "Kalimantan Timur", "East Kalimantan", WITA),
    Province("65", "Kalimantan Utara", "North Kalimantan", WITA),
    Province("71", "Sulawesi Utara", "North Sulawesi", WITA),
    Province("72", "Sulawesi Tengah", "Central Sulawesi", WITA),
    Province("73", "Sulawesi Selatan", "South Sulawesi", WITA),
    Province("74", "Sulawesi Tenggara", "Southeast Sulawesi", WITA),
    Province("75", "Gorontalo", "Gorontalo", WITA),
    Province("76", "Sulawesi Barat", "West Sulawesi", WITA),
    Province("81", "Maluku", "Maluku", WIT),
    Province("82", "Maluku Utara", "North Maluku", WIT),
    Province("91", "Papua", "Papua", WIT),
    Province("92", "Papua Barat", "West Papua", WIT),
    Province("93", "Papua Selatan", "South Papua", WIT),
    Province("94", "Papua Tengah", "Central Papua", WIT),
    Province("95", "Papua Pegunungan", "Highland Papua", WIT),
    Province("96", "Papua Barat Daya", "Southwest Papua", WIT),
)

BY_CODE = {p.code: p for p in PROVINCES}
# Written the long way too: "Daerah Khusus Ibukota Jakarta", "Daerah Istimewa Yogyakarta", "Provinsi Jawa Tengah";
# and the short forms staff write every day ("Jateng", "Sulsel"): without them "Jateng" was taken for Banten's
# nearest spelling and "Jatim" for Jambi's, both WIB, so the time-zone check would not have caught a mall filed there.
_ALIASES = {
    "nanggroe aceh darussalam": "11",
    "nad": "11",
    "sumut": "12",
    "sumbar": "13",
    "sumsel": "16",
    "daerah khusus ibukota jakarta": "31",
    "daerah khusus jakarta": "31",
    "dki": "31",
    "jakarta": "31",
    "daerah istimewa yogyakarta": "34",
    "diy": "34",
    "yogyakarta": "34",
    "bangka belitung": "19",
    "babel": "19",
    "kep bangka belitung": "19",
    "kepri": "21",
    "kep riau": "21",
    "jabar": "32",
    "jateng": "33",
    "jogja": "34",
    "jogjakarta": "34",
    "jatim": "35",
    "ntb": "52",
    "ntt": "53",
    "kalbar": "61",
    "kalteng": "62",
    "kalsel": "63",
    "kaltim": "64",
    "kaltara": "65",
    "sulut": "71",
    "sulteng": "72",
    "sulsel": "73",
    "sultra": "74",
    "sulbar": "76",
    "malut": "82",
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
