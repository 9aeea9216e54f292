"""Whether a site's daily quotas fit its counters' hours (application/capacity.py): the check behind the
administration page's "Kuota melebihi waktu loket" and `queue-server check-site`'s warnings. Real site files,
parsed as the server parses them."""

from __future__ import annotations

import tomllib

from queue_server.application.capacity import counter_minutes, shortfalls
from queue_server.domain.catalogue import Site
from queue_server.settings.sitefile import DEMO_SITE, load_site, parse_site


def site(services: str, counters: str, hours: str = 'mon = ["07:30-15:30"]', breaks: str = "") -> Site:
    """One agency; `services` as (id, quota or None, minutes) lines "id quota minutes", `counters` as "id:s1,s2"."""
    text = f'[site]\nid = "uji"\nname = "MPP Uji"\ntimezone = "Asia/Jakarta"\n[site.hours]\n{hours}\n{breaks}\n'
    text += '[[agencies]]\nid = "a"\nname = "A"\n'
    for n, line in enumerate(services.split()):
        service, quota, minutes = line.split("/")
        text += f'[[agencies.services]]\nid = "{service}"\nname = "{service.upper()}"\nprefix = "{chr(65 + n)}"\n'
        text += f"service_minutes = {minutes}\n" + (f"daily_quota = {quota}\n" if quota != "-" else "")
    for line in counters.split():
        counter, served = line.split(":")
        listed = ", ".join(f'"{s}"' for s in served.split(","))
        text += f'[[agencies.counters]]\nid = "{counter}"\nservices = [{listed}]\n'
    return parse_site(tomllib.loads(text))


BREAK = '[site.breaks]\nwindow = "11:45-13:45"\nminutes = 45\n'


def test_a_counter_gives_its_opening_hours_less_the_part_of_the_break_inside_them() -> None:
    week = 'mon = ["07:30-15:30"]\nfri = ["07:30-11:00", "13:00-15:30"]\nsat = ["08:00-12:00"]'
    s = site("x/10/5", "1:x", hours=week, breaks=BREAK)
    assert counter_minutes(s, "mon") == 480 - 45
    assert counter_minutes(s, "fri") == 360 - 45, "the window's 13:00-13:45 is inside Friday's afternoon"
    assert counter_minutes(s, "sat") == 240 - 15, "a half day to noon holds 15 minutes of the window"
    assert counter_minutes(s, "sun") == 0
    assert counter_minutes(site("x/10/5", "1:x", hours=week), "mon") == 480, "no break rule: the whole day"


def test_quotas_that_fit_give_no_warning_and_services_without_a_quota_are_not_judged() -> None:
    assert shortfalls(site("ktp/40/10 kia/-/30", "1:ktp 2:ktp,kia")) == []


def test_a_service_whose_only_counter_is_shared_falls_short_though_the_hall_has_time_enough() -> None:
    """SIM (60 x 10 = 600 minutes) has only counter 1; SKCK (20 x 10) has 1 and 2: together 800 of 960 minutes, but
    counter 1 cannot give SIM more than its own 480. Only SIM and its counter are named, with the minutes it lacks."""
    (short,) = shortfalls(site("sim/60/10 skck/20/10", "1:sim,skck 2:skck"))
    assert (short.services, short.counters) == (("sim",), ("1",))
    assert (short.quota, short.needed, short.available, short.days) == (60, 600, 480, ("mon",))
    assert short.citizens == 12, "120 minutes at 10 minutes a citizen"
    assert shortfalls(site("sim/48/10 skck/20/10", "1:sim,skck 2:skck")) == [], "SKCK moves to counter 2"


def test_separate_groups_are_named_separately_and_a_day_is_listed_once_per_group() -> None:
    week = 'mon = ["07:30-15:30"]\nsat = ["08:00-12:00"]'
    found = shortfalls(site("a/30/10 b/50/10 c/10/10", "1:a 2:b 3:b 4:c", hours=week))
    by_services = {f.services: f for f in found}
    assert set(by_services) == {("a",), ("b",)}, "c fits even on Saturday (100 of 240 minutes)"
    assert by_services[("a",)].days == ("sat",) and by_services[("a",)].available == 240, "300 > 240 on Saturday"
    assert by_services[("b",)].days == ("sat",) and by_services[("b",)].counters == ("2", "3")
    assert shortfalls(site("a/60/10", "1:a", hours=week))[0].days == ("mon", "sat")
    assert shortfalls(site("a/60/10", "1:a", hours=week))[0].available == 480, "figures of the longest short day"


def test_the_demo_mall_s_quotas_exceed_its_counters_where_one_or_two_counters_carry_a_big_quota() -> None:
    found = {f.services: f for f in shortfalls(load_site(DEMO_SITE))}
    assert ("ktp", "kia") in found and found[("ktp", "kia")].counters == ("1", "2")
    assert ("skck", "sim") in found, "SIM's 100 at 10 minutes on one shared counter"
    assert ("pln_sambung",) not in found
