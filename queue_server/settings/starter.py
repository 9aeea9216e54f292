"""A first site file for a new mall: the smallest file `check-site` accepts (one agency, one service, one counter,
one lobby screen), commented, for an installer who has nothing to copy from but the 14-agency demo. The rest is
added in the file or on the Settings page once the server runs."""

from __future__ import annotations

import json
from datetime import date

from queue_server.domain import provinces
from queue_server.settings.sitefile import ID, read_region, zone_problem

TIMEZONES = provinces.ZONES  # as the site file takes them, Asia/Pontianak too (written as given)


def _string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's."""
    return json.dumps(text, ensure_ascii=False)


def _region(province: str | None, regency: str | None) -> tuple[str | None, str]:
    """The province's code and the [site] lines saying where the mall is (the ministry's reports): as given (checked
    as the site file reads them), or commented examples."""
    given = {key: value for key, value in (("province", province), ("regency", regency)) if value is not None}
    code, regency, problems = read_region(given)
    if problems:  # "site.regency: 'Slawi': write it as ..." said of the argument: "regency 'Slawi': write it as ..."
        raise ValueError("; ".join(p.removeprefix("site.").replace(": ", " ", 1) for p in problems))
    lines = []
    if code is not None:
        lines.append(f"province = {_string(provinces.BY_CODE[code].name)}")
    else:
        lines.append('# province = "Jawa Tengah"        # for the ministry\'s reports (docs/site-file.md)')
    if regency is not None:
        lines.append(f"regency = {_string(regency)}")
    else:
        lines.append('# regency = "Kabupaten Tegal"     # "Kabupaten X" or "Kota X"')
    return code, "\n".join(lines)


def starter_site(
    site_id: str,
    name: str,
    timezone: str | None,
    today: date,
    province: str | None = None,
    regency: str | None = None,
) -> str:
    """The file's text; ValueError names what is wrong with an argument. `timezone` None: the province's (the law's:
    domain/provinces.py), else WIB; one given must be of the province's legal zone (Asia/Pontianak is WIB), and is
    written as given."""
    if not ID.match(site_id):
        raise ValueError(f"site id {site_id!r}: lower-case letters, digits, '-' and '_' (e.g. slawi, kota-bekasi)")
    if not name.strip() or len(name.strip()) > 120 or any(c in name for c in "\r\n"):
        raise ValueError("the mall's name: one line of at most 120 characters (e.g. 'MPP Kabupaten Tegal')")
    if timezone is not None and timezone not in TIMEZONES:
        raise ValueError(f"time zone {timezone!r}: not a time zone of Indonesia (use {provinces.zones_said()})")
    name = name.strip()
    code, region = _region(province, regency)
    if timezone is None:
        timezone = provinces.BY_CODE[code].timezone if code is not None else "Asia/Jakarta"
    elif code is not None and (problem := zone_problem(code, timezone)) is not None:
        raise ValueError(f"time zone {timezone!r}: {problem}")
    return f"""# Site file of {name}, written by `queue-server init-site` on {today.isoformat()}.
# A starting point: one agency, one service, one counter and one lobby screen. Check it with
#   queue-server check-site THIS_FILE
# then add the mall's agencies, services and counters here, or on the Settings page (/supervisor/{site_id}/admin)
# once the server runs. Changes made there are kept in the database; an edit of this file takes over at the next
# start (docs/administration.md). Every field: docs/site-file.md.

[site]
id = {_string(site_id)}               # in every address and command (--site-id); not changed later
name = {_string(name)}
timezone = {_string(timezone)}  # {TIMEZONES[timezone]} (the zones: {provinces.zones_said()})
{region}
running_text = {_string(f"Selamat datang di {name}. Pelayanan tidak dipungut biaya.")}
# wifi = "MPP-Keliling"          # a server not on the internet (a mobile unit's box): the Wi-Fi citizens' phones
#                                 # join to open their ticket, printed beside its QR code (docs/site-file.md)
# wifi_password = "antrean123"    # a guest network's password, printed on every ticket: never the staff network's
# enforce_hours = false           # tickets also outside opening hours: to try the mall out the evening before;
#                                 # the kiosk says "sedang tutup" otherwise (default true: set it back before opening)

[site.hours]                      # opening hours per day; a day left out is closed
mon = ["08:00-15:00"]
tue = ["08:00-15:00"]
wed = ["08:00-15:00"]
thu = ["08:00-15:00"]
fri = ["08:00-11:00", "13:00-15:00"]   # a pause for Friday prayer
holidays = []                     # e.g. ["2026-12-25", "2027-01-01"]
# holiday_names = {{ "2026-12-25" = "Hari Natal" }}   # optional: said by the kiosk while the mall is closed

[[agencies]]
id = "disdukcapil"
name = "Dinas Kependudukan dan Pencatatan Sipil"
short_name = "Disdukcapil"        # what the kiosk's tiles and the TV show
colour = "#1565c0"
kind = "dukcapil"                 # its kind on the national list (docs/site-file.md): the ministry's IKM report

  [[agencies.services]]
  id = "ktp"
  name = "KTP Elektronik"
  prefix = "A"                    # ticket numbers A-001, A-002, ...
  daily_quota = 30                # tickets a day (leave out: no quota): what one counter serves on a Friday
  service_minutes = 10            # a first guess of one service; the wait estimate learns the real one
  target_wait_minutes = 45        # the dashboard warns when a citizen has waited longer

  [[agencies.counters]]
  id = "1"
  name = "Loket 1"                # spoken on the TV: "silakan menuju Loket 1"
  services = ["ktp"]

[[screens]]
id = "lobby"
name = "Layar lobi"
"""
