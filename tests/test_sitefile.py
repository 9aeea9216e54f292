"""Site files: the demo mall loads; a wrong file is refused with every problem named by its field."""

import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from queue_server.domain.catalogue import OpeningHours
from queue_server.domain.provinces import BY_CODE
from queue_server.settings.sitefile import DEMO_SITE, SiteFileError, load_site, parse_site


def demo_data() -> dict:
    return tomllib.loads(DEMO_SITE.read_text())


def problems(data: dict) -> list[str]:
    with pytest.raises(SiteFileError) as info:
        parse_site(data, "test.toml")
    return info.value.problems


def test_demo_mall_is_realistic() -> None:
    site = load_site(DEMO_SITE)
    assert site.name == "MPP Kabupaten Tegal" and site.timezone == "Asia/Jakarta"
    assert len(site.agencies) >= 10 and len(site.services) >= 25 and len(site.counters) >= 25
    assert any(len(c.services) > 1 for c in site.counters.values()), "some counters serve several services"
    for name in ("Disdukcapil", "Polres", "Samsat", "Imigrasi", "KPP Pratama", "BPJS Kesehatan",
                 "BPJS Ketenagakerjaan", "BPN", "DPMPTSP", "Bank Jateng"):  # fmt: skip
        assert any(a.short_name == name for a in site.agencies.values()), name
    assert site.services["ktp"].daily_quota == 300 and site.services["kk"].daily_quota == 20
    assert site.services["paspor_baru"].daily_quota == 60
    assert site.hours.weekly["fri"][0][1].hour == 11, "Friday pauses for Friday prayer"
    assert site.breaks is not None and site.breaks.minutes == 45 and site.breaks.working_share == 0.625


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["site"].pop("id"), "site.id: is required"),
        (lambda d: d["site"].update(id="Bad Id"), "site.id: 'Bad Id' is not valid"),
        (lambda d: d["site"].update(timezone="Asia/Bandung"), "site.timezone: 'Asia/Bandung' is not a time zone"),
        # a real zone, but not one of Indonesia's three: refused as the message always said (an outside review found
        # it accepted)
        (lambda d: d["site"].update(timezone="Asia/Tokyo"), "site.timezone: 'Asia/Tokyo' is not a time zone of Indonesia"),
        # the sentence names every zone a site file may name: WIB's two (Asia/Pontianak is West Kalimantan's)
        (lambda d: d["site"].update(timezone="Asia/Singapore"), "site.timezone: 'Asia/Singapore' is not a time zone of "
         "Indonesia (use Asia/Jakarta or Asia/Pontianak for WIB, Asia/Makassar for WITA or Asia/Jayapura for WIT)"),
        (lambda d: d["site"].update(timezone="Asia/Ujung_Pandang"), "site.timezone: 'Asia/Ujung_Pandang' is not a time "
         "zone of Indonesia (use Asia/Jakarta or Asia/Pontianak for WIB"),  # tzdata's old alias: one name per zone
        (lambda d: d["site"]["hours"].update(mon=["7:30-16"]), "site.hours.mon: '7:30-16' is not a range"),
        (lambda d: d["site"]["hours"].update(tue=["16:00-07:30"]), "site.hours.tue: '16:00-07:30' ends before"),
        (lambda d: d["site"]["hours"].update(wed=["07:30-11:00", "10:00-15:30"]), "site.hours.wed: ranges overlap at 10:00"),
        (lambda d: d.update(routnig={}), "routnig: unknown setting"),
        (lambda d: d["site"]["hours"].update(holidays=["25-12-2026"]), "site.hours.holidays: '25-12-2026'"),
        (lambda d: d["site"].update(colour="red"), "site.colour: unknown setting"),
        (lambda d: d["site"]["breaks"].update(window="12-13"), "site.breaks.window: '12-13' is not a range"),
        (lambda d: d["site"]["breaks"].update(window="13:00-12:00"), "site.breaks.window: '13:00-12:00' is not a valid"),
        (lambda d: d["site"]["breaks"].update(minutes=200), "site.breaks.minutes: must be a whole number from 1 to 120"),
        (lambda d: d["site"]["breaks"].pop("minutes"), "site.breaks.minutes: the minutes each counter pauses"),
        (lambda d: d["site"]["breaks"].update(lunch=True), "site.breaks.lunch: unknown setting"),
        (lambda d: d["routing"].update(order="random"), "routing.order: 'random' must be"),
        (lambda d: d["routing"].update(priority_max_streak=-1), "routing.priority_max_streak: must be a whole"),
        (lambda d: d["agencies"][0].update(colour="blue"), 'agencies[0 "disdukcapil"].colour: \'blue\' is not valid (use #rrggbb)'),
        (lambda d: d["agencies"][1].update(id="disdukcapil"), 'agencies[1 "disdukcapil"].id: \'disdukcapil\' is used twice'),
        (lambda d: d["agencies"][0]["services"][0].update(prefix="a1"), 'agencies[0 "disdukcapil"].services[0 "ktp"].prefix: \'a1\''),
        (lambda d: d["agencies"][0]["services"][1].update(prefix="A"), 'agencies[0 "disdukcapil"].services[1 "kk"].prefix: \'A\' is already used'),
        (lambda d: d["agencies"][0]["services"][0].update(daily_quota=0), 'agencies[0 "disdukcapil"].services[0 "ktp"].daily_quota'),
        (lambda d: d["agencies"][0]["services"][0].update(daily_quota="300"), 'agencies[0 "disdukcapil"].services[0 "ktp"].daily_quota'),
        (lambda d: d["agencies"][0]["counters"][0].update(services=["paspor"]), 'agencies[0 "disdukcapil"].counters[0 "1"].services: \'paspor\' is not a service'),
        (lambda d: d["agencies"][0]["counters"][0].update(services=[]), 'agencies[0 "disdukcapil"].counters[0 "1"].services: a counter must serve'),
        (lambda d: d["agencies"][1]["counters"][0].update(id="1"), 'agencies[1 "polres"].counters[0 "1"].id: \'1\' is used twice'),
        (lambda d: d["agencies"][1]["counters"][0].update(name="loket  1"), 'agencies[1 "polres"].counters[0 "5"].name: \'loket  1\' is also the name of counter \'1\''),
        (lambda d: d["agencies"][1]["counters"][0].update(services=["ktp"]), 'agencies[1 "polres"].counters[0 "5"].services: \'ktp\' is a service of agency \'disdukcapil\''),
        (lambda d: d["agencies"][0]["services"][0].update(name="K" * 300), 'agencies[0 "disdukcapil"].services[0 "ktp"].name: is 300 characters long, at most 120'),
        (lambda d: d["screens"][1].update(zones=["Lantai 9"]), 'screens[1 "lantai1"].zones: \'Lantai 9\' is not a zone'),
        (lambda d: d["screens"][3].update(agencies=["kua"]), 'screens[3 "disdukcapil"].agencies: \'kua\' is not an agency'),
    ],
)  # fmt: skip
def test_wrong_site_file_names_the_field_and_why(mutate, expected: str) -> None:  # type: ignore[no-untyped-def]
    data = demo_data()
    mutate(data)
    found = problems(data)
    assert any(p.startswith(expected) for p in found), found


def test_every_problem_is_listed_at_once() -> None:
    data = demo_data()
    data["site"]["timezone"] = "Mars/Olympus"
    data["agencies"][0]["services"][0]["prefix"] = "lower"
    assert len(problems(data)) == 2


def test_unreadable_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(SiteFileError, match="cannot read the file"):
        load_site(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[site\nid = 1")
    with pytest.raises(SiteFileError, match="not valid TOML"):
        load_site(broken)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SiteFileError, match="not UTF-8"):
        load_site(binary)


def test_opening_hours_may_be_written_as_indonesian_writes_the_time() -> None:
    """The Settings page's message says "a range like 07.30-16.00" in Indonesian: what it suggests is taken."""
    data = demo_data()
    data["site"]["hours"]["mon"] = ["07.30-12.00", "13.00 – 15.30"]
    site = parse_site(data, "test.toml")
    assert [(a.strftime("%H:%M"), b.strftime("%H:%M")) for a, b in site.hours.weekly["mon"]] == [
        ("07:30", "12:00"),
        ("13:00", "15:30"),
    ]
    data["site"]["hours"]["mon"] = ["07.30"]
    assert any("is not a range" in p for p in problems(data))


def test_minimal_site_gets_a_lobby_screen() -> None:
    site = parse_site({
        "site": {"id": "mini", "name": "MPP Mini", "hours": {"mon": "08:00-12:00"}},
        "agencies": [{"id": "a", "name": "A", "services": [{"id": "s", "name": "S", "prefix": "S"}],
                      "counters": [{"id": "1", "services": ["s"]}]}],
    })  # fmt: skip
    assert list(site.screens) == ["lobby"] and site.counters["1"].name == "Loket 1"


def test_special_periods_have_their_own_hours_and_bad_ones_are_refused() -> None:
    from datetime import UTC

    from queue_server.settings.sitefile import SiteFileError, parse_site

    def site(periods: str) -> str:
        return f"""
[site]
id = "uji"
name = "MPP Uji"
timezone = "Asia/Jakarta"
[site.hours]
mon = ["07:30-15:30"]
tue = ["07:30-15:30"]
{periods}
[[agencies]]
id = "a"
name = "A"
  [[agencies.services]]
  id = "s"
  name = "S"
  prefix = "A"
  [[agencies.counters]]
  id = "1"
  services = ["s"]
"""

    import tomllib

    ramadan = '[[site.hours.periods]]\nname = "Ramadan"\nfrom = 2027-02-08\nto = 2027-03-09\nmon = ["08:00-14:00"]\n'
    parsed = parse_site(tomllib.loads(site(ramadan)))
    hours = parsed.hours
    wib = parsed.tz
    assert hours.is_open(datetime(2027, 2, 8, 13, 0, tzinfo=wib)) and not hours.is_open(
        datetime(2027, 2, 8, 15, 0, tzinfo=wib)
    )
    assert not hours.is_open(datetime(2027, 2, 9, 9, 0, tzinfo=wib)), "a weekday the period does not name is closed"
    assert hours.is_open(datetime(2027, 3, 15, 15, 0, tzinfo=wib)), "after the period, the usual hours"
    slots = parsed.slots(datetime(2027, 2, 15, tzinfo=UTC).date())
    assert slots[0][0].hour == 8 and slots[-1][1].hour == 14
    assert hours.next_opening(datetime(2027, 2, 8, 15, 0, tzinfo=wib)) == datetime(2027, 2, 15, 8, 0, tzinfo=wib)
    overlapping = ramadan + ramadan.replace("Ramadan", "Lebaran")
    for bad, said in (
        (ramadan.replace("to = 2027-03-09", "to = 2027-01-01"), "is before"),
        (ramadan.replace("from = 2027-02-08\n", ""), "periods[0].from: is required"),
        (ramadan + 'sat = ["8-12"]\n', "not a range"),
        (ramadan + "colour = 1\n", "unknown setting"),
        (overlapping, "overlaps the period 'Ramadan'"),
    ):
        try:
            parse_site(tomllib.loads(site(bad)))
        except SiteFileError as refused:
            assert any(said in problem for problem in refused.problems), refused.problems
        else:
            raise AssertionError(f"accepted: {bad}")


def _paths(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every place in a document: keys of tables, indexes of lists."""
    out: list[tuple[object, ...]] = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:2]):  # two of each list are enough to reach every kind of field
            out += _paths(value, (*path, index))
    return out


def test_a_value_of_the_wrong_kind_anywhere_is_refused_by_name_never_a_crash() -> None:
    """The web's configuration page sends a whole document (PUT .../configuration): a boolean, a number, a list,
    a table or a very long text where something else belongs is a SiteFileError naming the field. `routing = true`
    and a 300-letter time zone used to raise AttributeError and OSError (HTTP 500)."""

    def demo() -> dict[str, Any]:
        document = tomllib.loads(DEMO_SITE.read_text())
        for key, table in (("routing", {"order": "fifo", "priority_max_streak": 3}), ("booking", {"slot_minutes": 30}),
                           ("announcements", {"repeat": 1}), ("notify", {"people_ahead": 3})):  # fmt: skip
            document.setdefault(key, table)
        return document

    wrong: list[object] = [True, 7, -1, "x" * 300, ["a"], {"x": 1}, [], {}, "", 1.5e308]
    paths = _paths(demo())
    assert ("routing",) in paths and ("site", "timezone") in paths and ("site", "breaks") in paths
    for path in paths:
        for value in wrong:
            changed = demo()
            node = changed
            for step in path[:-1]:
                node = node[step]  # type: ignore[index]
            node[path[-1]] = value  # type: ignore[index]
            try:
                parse_site(changed)
            except SiteFileError as exc:
                assert exc.problems and all(isinstance(p, str) and len(p) < 400 for p in exc.problems), exc.problems


def test_a_list_written_as_one_text_is_stored_as_a_list() -> None:
    """`mon = "08:00-15:00"` and a counter's `services = "ktp"` are read as lists; an outside review found them stored
    and served as the file wrote them, and the Settings page's hours and counters tabs went blank on them. Every place
    the checks read a list of texts from gets a list in the normalised document (the checks, watched, never meet a
    text there again)."""
    from queue_server.settings import sitefile

    loose = demo_data()
    texts = 0
    for path in _paths(loose):
        node: Any = loose
        for step in path[:-1]:
            node = node[step]
        value = node[path[-1]]
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            node[path[-1]] = value[0]  # every list of texts written as its first text
            texts += 1
    assert loose["site"]["hours"]["mon"] == "07:30-15:30" and loose["agencies"][0]["counters"][0]["services"] == "ktp"
    assert texts > 10
    seen: list[object] = []
    strings = sitefile._Reader.strings

    def watched(reader: Any, table: dict[str, Any], key: str, where: str) -> list[str]:
        seen.append(table.get(key, []))
        return strings(reader, table, key, where)

    normalised = sitefile.normalised_document(loose)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sitefile._Reader, "strings", watched)
        try:
            parse_site(normalised)
        except SiteFileError:
            pass  # a list the checks want whole (holidays, a table): refused, not what this is about
    assert seen and not [value for value in seen if isinstance(value, str)]
    assert normalised["site"]["hours"]["mon"] == ["07:30-15:30"]
    assert normalised["agencies"][0]["counters"][0]["services"] == ["ktp"]
    assert loose["site"]["hours"]["mon"] == "07:30-15:30", "a copy: the document given is left as it is"
    assert sitefile.normalised_document(demo_data()) == demo_data(), "a file written with lists stays the same"


def test_where_the_mall_is_and_each_agency_s_kind_for_the_ministry_s_reports() -> None:
    site = load_site(DEMO_SITE)
    assert (site.province, site.regency) == ("33", "Kabupaten Tegal")
    assert all(a.kind for a in site.agencies.values()), "the demo mall classifies every agency"
    for written in ("Jawa Tengah", "jawa tengah", "Provinsi Jawa Tengah", "33", " JAWA  TENGAH "):
        data = demo_data()
        data["site"]["province"] = written
        assert parse_site(data).province == "33", written
    for written, code, zone in (("DKI", "31", "Asia/Jakarta"), ("Daerah Istimewa Yogyakarta", "34", "Asia/Jakarta"),
                                ("Papua Barat Daya", "96", "Asia/Jayapura")):  # fmt: skip
        data = demo_data()
        data["site"].update(province=written, timezone=zone)
        assert parse_site(data).province == code, written
    # the short forms staff write (an installer's "Jateng" was offered Banten, "Jatim" Jambi)
    for written, code in (("Jateng", "33"), ("jatim", "35"), ("Jabar", "32"), ("Sulsel", "73"), ("Kalbar", "61"),
                          ("Kaltim", "64"), ("Sumut", "12"), ("Kep. Riau", "21"), ("Jogja", "34")):  # fmt: skip
        data = demo_data()
        data["site"]["province"] = written
        data["site"]["timezone"] = BY_CODE[code].timezone
        assert parse_site(data).province == code, written
    data = demo_data()
    del data["site"]["province"], data["site"]["regency"], data["agencies"][0]["kind"]
    site = parse_site(data)
    assert (site.province, site.regency, site.agencies["disdukcapil"].kind) == (None, None, None), "all optional"


def test_a_wrong_province_regency_or_kind_is_refused_with_the_closest_right_one() -> None:
    data = demo_data()
    data["site"].update(province="Jawa Tngah", regency="Tegal")
    data["agencies"][1]["kind"] = "polisi"
    data["agencies"][2]["kind"] = 3
    assert problems(data) == [
        "site.province: 'Jawa Tngah' is not a province of Indonesia (did you mean 'Jawa Tengah'?)",
        "site.regency: 'Tegal': write it as 'Kabupaten Tegal' or 'Kota Tegal'",
        "agencies[1 \"polres\"].kind: 'polisi' is not a kind of agency (did you mean 'kepolisian'? the kinds: "
        "docs/site-file.md)",
        'agencies[2 "samsat"].kind: must be one kind of agency, as a string (the kinds: docs/site-file.md)',
    ]
    data = demo_data()
    data["site"]["province"] = "Atlantis"
    data["agencies"][0]["kind"] = "dukcapl"
    assert problems(data) == [
        "site.province: 'Atlantis' is not a province of Indonesia (e.g. 'Jawa Tengah', or its code, '33')",
        "agencies[0 \"disdukcapil\"].kind: 'dukcapl' is not a kind of agency (did you mean 'dukcapil'? the kinds: "
        "docs/site-file.md)",
    ]


def test_the_settings_page_says_these_problems_in_its_own_words() -> None:
    from queue_server.common.messages import catalogue
    from queue_server.common.problems import problem_text

    said = catalogue()
    assert problem_text(
        "site.province: 'Jawa Tngah' is not a province of Indonesia (did you mean ...)", "id", said
    ) == ("provinsi: Jawa Tngah bukan provinsi Indonesia: pilih dari daftar provinsi")
    assert problem_text("site.regency: 'Tegal': write it as 'Kabupaten Tegal' or 'Kota Tegal'", "id", said) == (
        "kabupaten/kota: tulis sebagai 'Kabupaten Tegal' atau 'Kota Tegal'"
    )
    assert problem_text("agencies[0 \"a\"].kind: 'x' is not a kind of agency (...)", "en", said) == (
        "Agency a, kind: x is not a known kind of agency: choose one from the list"
    )


def test_the_documented_list_of_kinds_is_the_one_the_server_knows() -> None:
    from queue_server.domain.agency_kinds import AGENCY_KINDS

    text = (DEMO_SITE.parents[2] / "docs" / "site-file.md").read_text()
    table = text[text.index("| `kind` |") :]
    rows = [line.split("|")[1:3] for line in table.splitlines()[2:] if line.startswith("| `")]
    documented = [(kind.strip().strip("`"), name.strip()) for kind, name in rows]
    assert documented == [(k.id, k.name) for k in AGENCY_KINDS]


def test_a_mobile_unit_names_the_wifi_its_citizens_join_and_a_name_a_slip_cannot_print_is_refused() -> None:
    """A mobile service unit's box runs its own Wi-Fi without internet: the slip names the network (and the password
    of a guest network) next to the QR. The slip prints ASCII only and a citizen types what it says, so a name or
    password it would print otherwise (an accent dropped, a space nobody sees, a second line) is refused."""
    from queue_server.common.messages import catalogue
    from queue_server.common.problems import problem_text

    def with_site(**values: Any) -> dict[str, Any]:
        data = demo_data()
        data["site"].update(values)
        return data

    assert parse_site(demo_data()).wifi is None
    site = parse_site(with_site(wifi="MPP-Keliling"))
    assert site.wifi is not None and (site.wifi.name, site.wifi.password) == ("MPP-Keliling", None)
    site = parse_site(with_site(wifi="MPP Keliling Tegal #2", wifi_password="antre@n 123"))
    assert site.wifi is not None and (site.wifi.name, site.wifi.password) == ("MPP Keliling Tegal #2", "antre@n 123")
    assert parse_site(with_site(wifi="")).wifi is None, "emptied on the Settings page: no Wi-Fi line"
    assert parse_site(with_site(wifi="W" * 32, wifi_password="p" * 63)).wifi is not None
    for values, expected, words in (
        ({"wifi": "MPP\nKeliling"}, "site.wifi: is more than one line", "nama Wi-Fi: harus satu baris"),
        ({"wifi": "MPP\r\nKeliling"}, "site.wifi: is more than one line", "nama Wi-Fi: harus satu baris"),
        ({"wifi": "W" * 33}, "site.wifi: is 33 characters long, at most 32", "nama Wi-Fi: 33 karakter, paling banyak 32"),
        ({"wifi": "Wi-Fi Désa"}, "site.wifi: 'Wi-Fi Désa' holds 'é', which a printed slip cannot print",
         "nama Wi-Fi: Wi-Fi Désa memuat é, yang tidak dapat dicetak di tiket"),
        ({"wifi": "MPP-Keliling "}, "site.wifi: begins or ends with a space", "nama Wi-Fi: diawali atau diakhiri spasi"),
        ({"wifi": "MPP\u200bKeliling"}, "site.wifi: holds a hidden character (U+200B)",
         "nama Wi-Fi: memuat karakter tersembunyi"),
        ({"wifi": 7}, "site.wifi: must be a string", "nama Wi-Fi: harus berupa teks"),
        ({"wifi": "MPP", "wifi_password": "1234567"}, "site.wifi_password: is 7 characters long: a Wi-Fi password "
         "has 8 to 63", "kata sandi Wi-Fi: 7 karakter, padahal kata sandi Wi-Fi 8 sampai 63 karakter"),
        ({"wifi": "MPP", "wifi_password": "p" * 64}, "site.wifi_password: is 64 characters long", "kata sandi Wi-Fi: 64"),
        ({"wifi": "MPP", "wifi_password": "rahasia\tsekali"}, "site.wifi_password: holds a hidden character (U+0009)",
         "kata sandi Wi-Fi: memuat karakter tersembunyi"),
        ({"wifi_password": "antrean123"}, "site.wifi_password: needs site.wifi",
         "kata sandi Wi-Fi: isi juga nama Wi-Fi"),
        ({"wifi": "", "wifi_password": "antrean123"}, "site.wifi_password: needs site.wifi",
         "kata sandi Wi-Fi: isi juga nama Wi-Fi"),
    ):  # fmt: skip
        found = problems(with_site(**values))
        assert len(found) == 1 and found[0].startswith(expected), (values, found)
        assert problem_text(found[0], "id", catalogue()).startswith(words), problem_text(found[0], "id", catalogue())


def test_init_site_offers_the_wifi_as_a_commented_line_that_check_site_accepts(tmp_path: Path) -> None:
    from datetime import date

    from queue_server.settings.sitefile import read_document
    from queue_server.settings.starter import starter_site

    text = starter_site("keliling", "MPP Keliling Kabupaten Tegal", "Asia/Jakarta", date(2026, 12, 1))
    assert '\n# wifi = "MPP-Keliling"' in text and '\n# wifi_password = "antrean123"' in text
    path = tmp_path / "keliling.toml"
    path.write_text(text.replace("# wifi = ", "wifi = ").replace("# wifi_password = ", "wifi_password = "))
    site = load_site(path)
    assert site.wifi is not None and (site.wifi.name, site.wifi.password) == ("MPP-Keliling", "antrean123")
    assert read_document(path)["site"]["wifi"] == "MPP-Keliling"


# The law's three zones (Keppres 41/1987), by province code: WITA for Bali, the Nusa Tenggaras, South, East and North
# Kalimantan and every Sulawesi province; WIT for Maluku and Papua; WIB for the rest (Kalimantan Barat among them).
WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}


def test_each_province_keeps_the_time_the_law_gives_it() -> None:
    from queue_server.domain.provinces import PROVINCES

    assert len(PROVINCES) == 38
    for province in PROVINCES:
        law = "Asia/Makassar" if province.code in WITA else "Asia/Jayapura" if province.code in WIT else "Asia/Jakarta"
        assert province.timezone == law, province.name


@pytest.mark.parametrize("province", ["Bali", "Nusa Tenggara Barat", "NTT", "Kalimantan Timur", "Sulawesi Selatan",
                                      "Gorontalo", "Maluku Utara", "Papua", "Papua Barat Daya", "Kalimantan Barat",
                                      "Jawa Tengah"])  # fmt: skip
def test_a_mall_s_time_zone_must_be_its_province_s(province: str) -> None:
    """An outside review: a mall in Bali or Papua configured with WIB passed init-site, check-site and Settings, and
    would have numbered and closed its days and kept its hours an hour (two for WIT) off."""
    from queue_server.common.messages import catalogue
    from queue_server.common.problems import problem_text
    from queue_server.domain.provinces import find

    right = find(province)
    assert right is not None
    zone = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}[right.timezone]
    legal = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
    for timezone in ("Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura"):
        data = demo_data()
        data["site"].update(province=province, timezone=timezone)
        if legal[timezone] == zone:  # WIB under either name: the same clock
            assert parse_site(data).timezone == timezone, "kept as written"
            continue
        said = problems(data)
        if zone == "WIB":  # both of WIB's names are said, either may be written
            assert said == [f"site.timezone: {right.name} uses WIB: timezone must be 'Asia/Jakarta' or "
                            f"'Asia/Pontianak', not {timezone!r}"]  # fmt: skip
            assert problem_text(said[0], "id", catalogue()) == (
                f"Provinsi {right.name} memakai WIB: zona waktu harus Asia/Jakarta atau Asia/Pontianak (bukan "
                f"{timezone})."
            )
            assert problem_text(said[0], "en", catalogue()) == (
                f"The province {right.name} uses WIB: the time zone must be Asia/Jakarta or Asia/Pontianak (not "
                f"{timezone})."
            )
            continue
        assert said == [
            f"site.timezone: {right.name} uses {zone}: timezone must be {right.timezone!r}, not {timezone!r}"
        ]
        assert problem_text(said[0], "id", catalogue()) == (
            f"Provinsi {right.name} memakai {zone}: zona waktu harus {right.timezone} (bukan {timezone})."
        )
        assert problem_text(said[0], "en", catalogue()) == (
            f"The province {right.name} uses {zone}: the time zone must be {right.timezone} (not {timezone})."
        )
    data = demo_data()
    data["site"].update(province=province)
    del data["site"]["timezone"]  # left out: WIB, which only a WIB province may keep
    assert (right.timezone == "Asia/Jakarta") == (not problems_or_none(data))


def problems_or_none(data: dict) -> list[str]:
    try:
        parse_site(data)
    except SiteFileError as exc:
        return exc.problems
    return []


def test_a_pontianak_mall_keeps_asia_pontianak_and_lives_on_wib() -> None:
    """Asia/Pontianak is tzdata's zone of West Kalimantan, WIB by law: it was refused as "not a time zone of
    Indonesia". Taken as written, checked against the province by its legal zone (WIB), and the mall's days and hours
    are a Jakarta mall's to the minute."""
    from zoneinfo import ZoneInfo

    data = demo_data()
    data["site"].update(province="Kalimantan Barat", regency="Kota Pontianak", timezone="Asia/Pontianak")
    pontianak = parse_site(data)
    assert (pontianak.timezone, pontianak.province) == ("Asia/Pontianak", "61")
    data["site"]["timezone"] = "Asia/Jakarta"
    jakarta = parse_site(data)
    for moment in (datetime(2026, 12, 7, 1, 30, tzinfo=UTC), datetime(2026, 12, 7, 16, 59, tzinfo=UTC),
                   datetime(2026, 12, 7, 17, 0, tzinfo=UTC), datetime(2027, 6, 30, 23, 0, tzinfo=UTC)):  # fmt: skip
        assert pontianak.local(moment).isoformat() == jakarta.local(moment).isoformat()
        assert pontianak.service_day(moment) == jakarta.service_day(moment)
    assert pontianak.local(datetime(2026, 12, 7, 1, 30, tzinfo=UTC)).strftime("%H.%M %z") == "08.30 +0700"
    assert ZoneInfo("Asia/Pontianak").utcoffset(datetime(1987, 6, 1)) != ZoneInfo("Asia/Jakarta").utcoffset(
        datetime(1987, 6, 1)
    ), "WITA in Pontianak until 1988: why they are two names in tzdata"
    # WITA's or WIT's province under WIB's other name: refused with the province's zone
    data["site"].update(province="Sulawesi Selatan", timezone="Asia/Pontianak")
    assert problems(data) == [
        "site.timezone: Sulawesi Selatan uses WITA: timezone must be 'Asia/Makassar', not 'Asia/Pontianak'"
    ]
    del data["site"]["province"]  # no province: any zone of Indonesia
    assert parse_site(data).timezone == "Asia/Pontianak"


def test_the_benchmark_s_generated_malls_are_site_files_that_pass() -> None:
    """bench/generate_malls.py draws each mall's province: its time zone is that province's."""
    import importlib.util
    import random

    path = DEMO_SITE.parents[2] / "bench" / "generate_malls.py"
    spec = importlib.util.spec_from_file_location("generate_malls", path)
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    rng = random.Random(1)
    zones = set()
    for number in range(1, 301):
        text, _ = generate.mall(number, 500, rng)
        site = parse_site(tomllib.loads(text), f"mall-{number:03d}.toml")
        zones.add(site.timezone)
    assert zones == {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}


# What the API refuses as a running text (tests/test_supervisor_api.py), with the kinds it says it holds, and the
# mall's own words it takes.
NAMING_A_CITIZEN_AS = {
    "Panggilan untuk pemilik NIK 3328 0123 4567 8901, silakan ke loket 3": ("nik",),
    "Bapak yang HP-nya 0812-3456-7890 ditunggu di loket 5": ("phone",),
    "Panggilan untuk Ibu Siti Rahayu, silakan ke meja informasi": ("name",),
    "Dokumen a.n. budi tertinggal di loket 2": ("name",),
    "Pemohon lahir 12-01-1980 harap ke loket 4": ("birth_date",),
    "Ibu Siti (siti@contoh.id, 0812 3456 7890) ditunggu": ("phone", "email", "name"),
}
NAMING_A_CITIZEN = tuple(NAMING_A_CITIZEN_AS)


def personal_sentence(*kinds: str) -> dict[str, str]:
    """The refusal of a shown text holding `kinds` after its field, in both languages (messages.toml's
    problem.personal_shown): which kinds, never the text."""
    from queue_server.common.messages import catalogue
    from queue_server.common.problems import personal_kinds

    sentence = catalogue()["problem"]["personal_shown"]
    return {lang: sentence[lang].format(kinds=personal_kinds(kinds, lang, catalogue())) for lang in ("id", "en")}


MALL_S_OWN_WORDS = "Kepada Bapak/Ibu Warga Kabupaten Tegal: pemilik nomor A-012 silakan ke meja informasi pukul 10.00."


def test_a_running_text_naming_a_citizen_is_refused_by_a_site_file_with_the_api_s_sentence() -> None:
    """An outside review: the running text was checked for personal data on the API's path only; a site file (and so
    check-site, a server's start and the Settings page, which sends a site file's document) put a NIK on every lobby
    screen. The same check, and the API's sentence after its field, in both languages of the page."""
    from queue_server.common.messages import catalogue
    from queue_server.common.problems import problem_text

    refusal = catalogue()["refusal"]["invalid_field.personal_shown"]
    for lang in ("id", "en"):  # the API's sentence after its field, word for word
        api = refusal[lang].removeprefix("{field:Field} ").replace("{kinds:personal_kinds}", "{kinds}")
        assert api == catalogue()["problem"]["personal_shown"][lang] != refusal[lang]
    for text, kinds in NAMING_A_CITIZEN_AS.items():
        sentence = personal_sentence(*kinds)
        data = demo_data()
        data["site"]["running_text"] = text
        said = problems(data)
        assert said == [f"site.running_text: {sentence['en']}"], text
        assert problem_text(said[0], "id", catalogue()) == f"teks berjalan: {sentence['id']}"
        assert problem_text(said[0], "en", catalogue()) == f"running text: {sentence['en']}"
        # A configuration accepted already (the log's, a mirrored mall's box on an older release) is served as it is:
        # refusing it would stop the mall, or its copy, over a text its screens show already.
        assert parse_site(data, "stored", in_force=True).running_text == text
    data = demo_data()
    data["site"]["running_text"] = MALL_S_OWN_WORDS
    assert parse_site(data).running_text == MALL_S_OWN_WORDS


# The names of a real mall's agencies, services and counters: not a citizen's.
ORDINARY_NAMES = (
    "Dinas Kependudukan dan Pencatatan Sipil", "Samsat", "BPJS Kesehatan", "Loket 10 Imigrasi",
    "Kantor Pertanahan Kab. Tegal", "Kota Tegal", "Kabupaten Tegal", "Polres Tegal Kota", "KPP Pratama Slawi",
    "Loket Bapak/Ibu Lansia", "Pojok Ibu Hamil", "Layanan Ibu dan Anak", "Loket Prioritas Ibu Hamil & Lansia",
    "Ruang Tunggu Ibu Menyusui", "Lantai 1", "Layar lobi utama", "Ramadan 1448 H",
)  # fmt: skip


def named_everywhere(data: dict, text: str) -> dict:
    """`data` with `text` in every free text a screen or a page shows (domain/shown_texts' list): a counter's name
    followed by its id (each its own), a regency after "Kota", a template with its placeholders, a Wi-Fi name and
    password only where they fit."""
    from queue_server.domain.shown_texts import shown_texts

    data["site"]["regency"] = "x"
    if 8 <= len(text) <= 32:  # a network's name and a WPA2 password
        data["site"]["wifi"] = data["site"]["wifi_password"] = "x"
    data["site"]["hours"]["periods"] = [{"name": "x", "from": "2027-02-08", "to": "2027-03-09", "mon": "08:00-14:00"}]
    data["announcements"] = {"template_id": "x", "template_en": "x"}
    data["agencies"][0]["short_name"] = "x"
    data["agencies"][0]["counters"][0]["zone"] = "x"
    for shown in list(shown_texts(data)):
        shown.table[shown.key] = {
            "counter.name": f"{text} {shown.table.get('id')}",
            "site.regency": f"Kota {text}",
            "announcements.template_id": f"{text} {{ticket}} {{counter}}",
            "announcements.template_en": f"{text} {{ticket}} {{counter}}",
        }.get(shown.kind, text)
    for screen in data["screens"]:  # the counters' one zone now
        if "zones" in screen:
            screen["zones"] = [text]
    return data


def test_a_name_or_any_text_a_screen_shows_naming_a_citizen_is_refused_by_its_place_never_repeated() -> None:
    """An outside review: a counter named "Loket Ibu Siti 3328011201800001" or a regency "Kota Pak Budi" reached the
    lobby TV, the kiosk, the audit log and the server's log, where a running text naming a citizen was refused. Every
    free text of the list a mirror withholds by (domain/shown_texts) is refused now with the running text's sentence,
    at its place, said in the page's words by the names a supervisor knows (never the refused one); no problem
    repeats the text (a counter's name used twice is not also said). One in force is served as it is."""
    from queue_server.common.messages import catalogue
    from queue_server.common.problems import names_in, problem_text
    from queue_server.domain.shown_texts import KINDS, shown_texts

    sentence, name_only = personal_sentence("nik", "name"), personal_sentence("name")
    en = sentence["en"]
    assert en.startswith("holds a citizen's NIK and name: ") and sentence["id"].startswith(
        "memuat NIK dan nama warga: "
    )
    data = demo_data()
    data["agencies"][0]["counters"][0]["name"] = "Loket Ibu Siti 3328011201800001"
    data["agencies"][0]["counters"][1]["name"] = "Loket Ibu Siti 3328011201800001"
    data["site"]["regency"] = "Kota Pak Budi"
    said = problems(data)
    assert said == [
        f"site.regency: {name_only['en']}",
        f'agencies[0 "disdukcapil"].counters[0 "1"].name: {en}',
        f'agencies[0 "disdukcapil"].counters[1 "2"].name: {en}',
    ], said
    names = names_in(data)
    words = [problem_text(p, "id", catalogue(), names) for p in said]
    assert words[0] == f"kabupaten/kota: {name_only['id']}"
    assert words[1] == f"Instansi Disdukcapil, Loket 1, nama: {sentence['id']}", words
    assert problem_text(said[2], "en", catalogue(), names) == f"Agency Disdukcapil, Loket 2, name: {sentence['en']}"
    assert not any("Siti" in w or "Budi" in w for w in words + said)
    data["agencies"][0]["counters"][1]["name"] = "Loket 2"
    assert parse_site(data, "stored", in_force=True).counters["1"].name == "Loket Ibu Siti 3328011201800001"

    everywhere = named_everywhere(demo_data(), "Ibu Siti Rahayu")
    places = [p.partition(": ")[0] for p in problems(everywhere)]
    assert places == [shown.place for shown in shown_texts(everywhere)], places
    assert {shown.kind for shown in shown_texts(everywhere)} == set(KINDS), "each kind of text tried"
    parse_site(everywhere, "stored", in_force=True)  # the names alike are a mirror's to withhold, not to refuse


def test_the_names_of_a_mall_s_agencies_services_and_counters_are_not_taken_for_a_citizen_s() -> None:
    """Careful with false positives: ordinary names (a form of address before "Lansia", "Hamil", "Menyusui" too), the
    demo and every example site file of the docs pass."""
    import re

    from queue_server.common.plaintext import personal_shown

    for name in ORDINARY_NAMES:
        assert not personal_shown(name), name
        parse_site(named_everywhere(demo_data(), name))
    examples = [block for doc in (DEMO_SITE.parents[2] / "docs").glob("*.md")
                for block in re.findall(r"```toml\n(.*?)```", doc.read_text(), re.S)]  # fmt: skip
    assert examples, "the docs' examples were found"
    from queue_server.domain.shown_texts import shown_texts

    for block in examples:
        for shown in shown_texts(tomllib.loads(block)):
            assert not personal_shown(shown.text), shown


def test_the_alert_thresholds_default_to_what_every_mall_had_and_a_wrong_one_is_refused_by_name() -> None:
    """[alerts]: when the dashboard raises the alerts a mall may tune. Left out, what they were before they could be
    set (5 minutes, 5 minutes, three times and 15 minutes over); set, within bounds; anything else refused by name,
    in the Settings page's words too."""
    from queue_server.common.messages import catalogue
    from queue_server.common.problems import problem_text
    from queue_server.domain.catalogue import AlertPolicy

    assert load_site(DEMO_SITE).alerts == AlertPolicy(5, 5, 3.0, 15)
    data = demo_data()
    data["alerts"] = {"no_counter_minutes": 10, "counter_idle_minutes": 1, "service_long_times": 2.5,
                      "service_long_minutes": 240}  # fmt: skip
    assert parse_site(data).alerts == AlertPolicy(10, 1, 2.5, 240)
    data["alerts"] = {"service_long_times": 4}  # a whole number of times; the rest stay as they were
    assert parse_site(data).alerts == AlertPolicy(5, 5, 4.0, 15)
    data["alerts"] = {"no_counter_minutes": 0, "counter_idle_minutes": "10", "service_long_times": 2.7,
                      "service_long_minutes": 7.5, "wait_minutes": 30}  # fmt: skip
    said = problems(data)
    assert said == [
        "alerts.wait_minutes: unknown setting (allowed: counter_idle_minutes, no_counter_minutes, "
        "screen_missing_minutes, service_long_minutes, service_long_times, service_mark_minutes, service_mark_times)",
        "alerts.no_counter_minutes: must be a whole number from 1 to 120, got 0",
        "alerts.counter_idle_minutes: must be a whole number from 1 to 120, got '10'",
        "alerts.service_long_minutes: must be a whole number from 1 to 240, got 7.5",
        "alerts.service_long_times: must be whole or a half (e.g. 3 or 2.5), got 2.7",
    ]
    words = [problem_text(p, "id", catalogue()) for p in said]
    assert words[1] == "peringatan dasbor, menit menunggu tanpa loket buka: harus bilangan bulat dari 1 sampai 120"
    assert (
        words[4]
        == "peringatan dasbor, kali waktu layanan biasa: harus bilangan bulat atau setengah (misalnya 3 atau 2,5)"
    )
    for wrong in (1, 11, True, float("nan")):
        data["alerts"] = {"service_long_times": wrong}
        assert problems(data) == [f"alerts.service_long_times: must be a number from 1.5 to 10, got {wrong!r}"]
        assert problem_text(problems(data)[0], "id", catalogue()) == (
            "peringatan dasbor, kali waktu layanan biasa: harus berupa angka dari 1,5 sampai 10"
        )
    data["alerts"] = ["no_counter_minutes = 5"]
    assert problems(data) == ["alerts: must be a table: no_counter_minutes = 5, counter_idle_minutes = 5, ..."]


def test_the_card_s_long_mark_and_the_missing_screen_s_grace_are_the_mall_s_within_bounds() -> None:
    """The last fixed limits of the dashboard: the counter card's "lama" mark (twice the usual time and 5 minutes
    over) and the minutes after opening before a TV screen is missing (10), left out as they were, set within their
    bounds, refused by name otherwise (the Settings page's words too)."""
    from queue_server.common.messages import catalogue
    from queue_server.common.problems import problem_text
    from queue_server.domain.catalogue import AlertPolicy

    default = load_site(DEMO_SITE).alerts
    assert (default.service_mark_times, default.service_mark_minutes, default.screen_missing_minutes) == (2.0, 5, 10)
    data = demo_data()
    data["alerts"] = {"service_mark_times": 1.5, "service_mark_minutes": 240, "screen_missing_minutes": 60}
    assert parse_site(data).alerts == AlertPolicy(service_mark_times=1.5, service_mark_minutes=240,
                                                  screen_missing_minutes=60)  # fmt: skip
    data["alerts"] = {"service_mark_times": 2.25, "service_mark_minutes": 0, "screen_missing_minutes": 241}
    said = problems(data)
    assert said == [
        "alerts.service_mark_minutes: must be a whole number from 1 to 240, got 0",
        "alerts.screen_missing_minutes: must be a whole number from 1 to 240, got 241",
        "alerts.service_mark_times: must be whole or a half (e.g. 3 or 2.5), got 2.25",
    ]
    words = [problem_text(p, "id", catalogue()) for p in said]
    assert words[1] == (
        "peringatan dasbor, menit setelah buka sebelum layar dianggap belum tersambung: harus bilangan bulat dari 1 "
        "sampai 240"
    )
    for wrong in ("2", True, 11, 1):
        data["alerts"] = {"service_mark_times": wrong}
        assert problems(data) == [f"alerts.service_mark_times: must be a number from 1.5 to 10, got {wrong!r}"]
    data["alerts"] = {"screen_missing_minutes": "15"}
    assert problems(data) == ["alerts.screen_missing_minutes: must be a whole number from 1 to 240, got '15'"]


def test_a_site_file_s_running_text_is_held_to_the_api_s_500_characters() -> None:
    """The API refuses a running text over 500 characters (spaces folded, as a display shows it); a site file (so
    check-site, a server's start and the Settings page) took any length. The same limit, counted the same way, with
    the sentence every too-long field of a site file has; one already in force is served as it is."""
    from queue_server.common.messages import catalogue
    from queue_server.common.problems import problem_text

    data = demo_data()
    data["site"]["running_text"] = "Selamat datang" + " " * 10 + "x" * 485  # 509 typed, 500 once spaces are folded
    assert parse_site(data).running_text == data["site"]["running_text"]
    data["site"]["running_text"] += "!"
    said = problems(data)
    assert said == ["site.running_text: is 501 characters long, at most 500"]
    assert problem_text(said[0], "id", catalogue()) == "teks berjalan: 501 karakter, paling banyak 500"
    assert problem_text(said[0], "en", catalogue()) == "running text: 501 characters, at most 500"
    assert parse_site(data, "stored", in_force=True).running_text == data["site"]["running_text"]


def test_the_next_change_of_opening_hours_is_the_next_opening_or_closing() -> None:
    """When a kiosk's "closed now" or "open" next stops being true by the clock alone (the day's `changes_at`):
    Friday's prayer break closes and opens again, a holiday and Sunday are skipped, a moment on an edge is past."""
    demo = load_site(DEMO_SITE)
    wib = demo.tz
    friday = datetime(2026, 11, 27, 10, 0, tzinfo=wib)
    assert demo.hours.next_change(friday) == datetime(2026, 11, 27, 11, 0, tzinfo=wib), "the prayer break"
    assert demo.hours.next_change(friday.replace(hour=11)) == datetime(2026, 11, 27, 13, 0, tzinfo=wib)
    saturday_noon = datetime(2026, 11, 28, 12, 0, tzinfo=wib)
    assert demo.hours.next_change(saturday_noon) == datetime(2026, 11, 30, 7, 30, tzinfo=wib), "over Sunday"
    christmas_eve = datetime(2026, 12, 24, 16, 0, tzinfo=wib)
    assert demo.hours.next_change(christmas_eve) == datetime(2026, 12, 26, 8, 0, tzinfo=wib), "the holiday skipped"
    assert OpeningHours().next_change(friday) is None, "no hours at all: never"


def test_a_setting_added_under_the_wrong_heading_is_told_where_it_belongs() -> None:
    """An installer's walk: `sat = ["08:00-12:00"]` added at the end of init-site's file landed in the last
    [[screens]] (TOML puts a line in the table above it) and was refused as `screens[0 "lobby"].sat: unknown
    setting`, listing a screen's settings. A day's hours, or another table's own setting, now says where it
    belongs, in the check's words and the page's, in both languages; a name no table has is refused as before."""
    from datetime import date

    from queue_server.common.messages import catalogue
    from queue_server.common.problems import names_in, problem_text
    from queue_server.settings.starter import starter_site

    text = starter_site("uji", "MPP Uji", None, date(2026, 12, 7))
    added = tomllib.loads(text + '\nsat = ["08:00-12:00"]\nslot_minutes = 15\nlantai = 2\n')
    said = problems(added)
    allowed = "(allowed: agencies, id, name, speaker, zones)"
    assert said == [
        f'screens[0 "lobby"].sat: unknown setting here: a day\'s hours belong under [site.hours] {allowed}',
        f'screens[0 "lobby"].slot_minutes: unknown setting here: slot_minutes belongs under [booking] {allowed}',
        f'screens[0 "lobby"].lantai: unknown setting {allowed}',
    ]
    words = {lang: [problem_text(p, lang, catalogue(), names_in(added)) for p in said] for lang in ("id", "en")}
    nearest = "(setiap baris termasuk tabel yang judulnya paling dekat di atasnya)"
    assert words["id"][:2] == [
        f"Layar lobi, Sabtu: pengaturan tidak dikenal di sini: jam buka per hari ditulis di bawah [site.hours] {nearest}",
        f"Layar lobi, lama slot (menit): pengaturan tidak dikenal di sini: slot_minutes ditulis di bawah [booking] "
        f"{nearest}",
    ]
    assert words["en"][0] == (
        "Layar lobi, Saturday: unknown setting here: a day's hours belong under [site.hours] (each line belongs to the "
        "table whose heading is nearest above it)"
    )
    # a day's hours under [site] itself, or a site setting under an agency: the same
    data = demo_data()
    data["site"]["sun"] = ["08:00-12:00"]
    data["agencies"][0]["enforce_hours"] = False
    said = problems(data)
    assert any(p.startswith("site.sun: unknown setting here: a day's hours belong under [site.hours]") for p in said)
    assert any(".enforce_hours: unknown setting here: enforce_hours belongs under [site] " in p for p in said), said
    # where the line belongs, it is taken
    moved = text.replace("holidays = []", 'sat = ["08:00-12:00"]\nholidays = []')
    assert parse_site(tomllib.loads(moved)).hours.weekly["sat"][0][0].hour == 8
