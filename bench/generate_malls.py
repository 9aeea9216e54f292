"""Generate site files for a national benchmark: N malls of realistic shape.

    .venv/bin/python bench/generate_malls.py 300 /tmp/malls [--busiest 13000] [--typical 3000] [--seed 1]

Each mall gets 4-7 agencies from the usual MPP line-up (civil registry, police, tax office, health insurance, a
bank, the regional tax office, permits ...), 2-4 services per agency with their own letter, counters sized for its
day (a counter serves a citizen in ~6 minutes on average; an 8-hour day), one lobby screen, hours every day with the hours
not enforced (the benchmark plays a day at a speed-up), one daily quota, and a province drawn from the 38 with that
province's time zone (WIB, WITA or WIT, as check-site requires). Writes mall-NNN.toml files and
plan.json: per mall, how many tickets its day has (the first mall is the busiest; the others vary around
--typical) and its services' ids.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from queue_server.domain.provinces import PROVINCES

AGENCIES = [  # id, name, services, kind on the national list (domain/agency_kinds.py)
    ("dukcapil", "Disdukcapil", ["KTP Elektronik", "Kartu Keluarga", "Akta Kelahiran", "Pindah Datang"], "dukcapil"),
    ("polres", "Polres", ["SKCK", "SIM Perpanjangan"], "kepolisian"),
    ("pajak", "KPP Pratama", ["NPWP", "Lapor SPT", "Konsultasi Pajak"], "pajak"),
    ("bpjs", "BPJS Kesehatan", ["Pendaftaran JKN", "Perubahan Data JKN"], "bpjs_kesehatan"),
    ("bank", "Bank Daerah", ["Tabungan", "Pembayaran PBB"], "bank"),
    ("samsat", "Samsat", ["Pajak Kendaraan", "Balik Nama"], "samsat"),
    ("perizinan", "DPMPTSP", ["NIB", "Izin Usaha", "Konsultasi Izin"], "perizinan"),
    ("bpjstk", "BPJS Ketenagakerjaan", ["Klaim JHT", "Pendaftaran Peserta"], "bpjs_ketenagakerjaan"),
]
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
SERVICE_MINUTES = 6  # many services take minutes (a payment, a print), some half an hour: an average
DAY_MINUTES = 8 * 60


def mall(number: int, tickets: int, rng: random.Random) -> tuple[str, dict[str, object]]:
    site_id = f"mall-{number:03d}"
    agencies = rng.sample(AGENCIES, rng.randint(4, 7))
    counters_needed = max(len(agencies), round(tickets * SERVICE_MINUTES / DAY_MINUTES * 1.1))
    # the ministry's reports total by province; drawn apart, so the malls' shapes stay those of earlier runs
    province = random.Random(number).choice(PROVINCES)
    lines = [
        "[site]",
        f'id = "{site_id}"',
        f'name = "MPP Kabupaten Uji {number:03d}"',
        f'timezone = "{province.timezone}"',  # the province's, by law (check-site refuses another)
        f'province = "{province.code}"',
        f'regency = "Kabupaten Uji {number:03d}"',
        "enforce_hours = false",
        "[site.hours]",
        *[f'{day} = ["00:00-24:00"]' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")],
        "",
    ]
    services: list[str] = []
    letters = iter(LETTERS)
    per_agency = [counters_needed // len(agencies) + (1 if k < counters_needed % len(agencies) else 0)
                  for k in range(len(agencies))]  # fmt: skip
    counter = 0
    for (agency_id, agency_name, names, kind), counters in zip(agencies, per_agency, strict=True):
        lines += ["[[agencies]]", f'id = "{agency_id}"', f'name = "{agency_name}"', f'kind = "{kind}"', ""]
        mine = []
        for k, name in enumerate(names[: rng.randint(2, 4)]):
            service_id = f"{agency_id}-{k + 1}"
            mine.append(service_id)
            lines += ["  [[agencies.services]]", f'  id = "{service_id}"', f'  name = "{name}"',
                      f'  prefix = "{next(letters)}"', f"  service_minutes = {SERVICE_MINUTES}", ""]  # fmt: skip
            if not services and k == 0:
                lines.insert(-1, f"  daily_quota = {max(50, tickets // 10)}")
        services += mine
        for _ in range(max(1, counters)):
            counter += 1
            lines += ["  [[agencies.counters]]", f'  id = "{counter}"', f'  name = "Loket {counter}"',
                      f"  services = {json.dumps(mine)}", ""]  # fmt: skip
    lines += ["[[screens]]", 'id = "lobi"', 'name = "Layar lobi"', "speaker = false", ""]
    return "\n".join(lines), {"site": site_id, "tickets": tickets, "services": services, "counters": counter}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("count", type=int)
    p.add_argument("out", type=Path)
    p.add_argument("--busiest", type=int, default=13_000)
    p.add_argument("--typical", type=int, default=3_000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    plan = []
    for number in range(1, args.count + 1):
        tickets = args.busiest if number == 1 else max(500, round(rng.gauss(args.typical, args.typical * 0.3)))
        text, entry = mall(number, tickets, rng)
        (args.out / f"{entry['site']}.toml").write_text(text, encoding="utf-8")
        plan.append(entry)
    (args.out / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    total = sum(int(str(e["tickets"])) for e in plan)
    print(f"{args.count} malls, {total:,} tickets in their day, written to {args.out}")


if __name__ == "__main__":
    main()
