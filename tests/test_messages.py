"""The message catalogue (queue_server/common/messages.toml) is complete, used, consistent with every place that
raises a Refusal, and speaks in words: no raw state code in a sentence."""

from __future__ import annotations

import ast
import re
import string
import tomllib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from citizen.printing.config import MODES
from queue_server.application.auth import POLICY
from queue_server.common import messages
from queue_server.domain.booking import BookingState
from queue_server.domain.model import CounterState, Ticket, TicketState
from queue_server.domain.refusal import Refusal
from queue_server.web.errors import HTTP_STATUS

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [p for package in ("queue_server", "citizen") for p in (ROOT / package).rglob("*.py")]
REFUSALS = messages.catalogue()["refusal"]


def _placeholders(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def _keys_of(node: ast.expr) -> list[str] | None:
    """The key(s) a Refusal's first argument can be: a constant, or either branch of `a if cond else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _keys_of(node.body), _keys_of(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def _refusal_calls() -> Iterator[tuple[str, ast.Call]]:
    for path in SOURCES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Refusal":
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node


def _string_constants() -> set[str]:
    found: set[str] = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def test_every_message_has_both_languages_with_the_same_parameters() -> None:
    for key, entry in REFUSALS.items():
        assert set(entry) == {"id", "en"}, key
        assert entry["id"].strip() and entry["en"].strip(), key
        # the same facts in both languages (a name may have its English form: element / element_en)
        assert _placeholders(entry["id"]) == {name.removesuffix("_en") for name in _placeholders(entry["en"])}, key


def test_every_refusal_raised_has_a_message_and_passes_what_it_needs() -> None:
    for where, call in _refusal_calls():
        assert call.args, where
        keys = _keys_of(call.args[0])
        if keys is None:
            continue  # a key computed at run time: covered by the tests of its module (e.g. booking states)
        given = {kw.arg for kw in call.keywords if kw.arg and kw.arg != "details"}
        details = next((kw.value for kw in call.keywords if kw.arg == "details"), None)
        if details is not None and not isinstance(details, ast.Dict):
            continue
        if isinstance(details, ast.Dict):
            given |= {k.value for k in details.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        for key in keys:
            assert key in REFUSALS, f"{where}: no message for {key!r} in messages.toml"
            missing = (_placeholders(REFUSALS[key]["id"]) | _placeholders(REFUSALS[key]["en"])) - given
            assert not missing, f"{where}: {key!r} needs {sorted(missing)}"


def test_every_message_is_used() -> None:
    constants = _string_constants()
    unused = sorted(key for key in REFUSALS if key not in constants)
    assert not unused, f"messages.toml has messages nothing raises: {unused}"


def test_every_code_has_an_http_status_and_every_status_a_code() -> None:
    codes = {key.split(".", 1)[0] for key in REFUSALS}
    assert codes == set(HTTP_STATUS), (sorted(codes - set(HTTP_STATUS)), sorted(set(HTTP_STATUS) - codes))


def test_states_and_roles_have_words_in_both_languages() -> None:
    for section, values in {
        "ticket_state": [s.value for s in TicketState],
        "booking_state": [s.value for s in BookingState],
        "counter_state": [s.value for s in CounterState],
        "role": sorted({role for roles in POLICY.values() for role in roles}),
        "printer_mode": list(MODES),
    }.items():
        for value in values:
            entry = messages.catalogue()[section].get(value)
            assert entry and entry["id"] and entry["en"], f"{section}.{value}"


def test_sentences_say_states_in_words_and_dates_the_indonesian_way() -> None:
    said = {"ticket": "A-002", "state": "called", "counter": "Loket 1", "by": "sari", "at": datetime(2026, 12, 7, 9, 5)}
    busy = Refusal("counter_busy", counter="Loket 1", ticket="A-002", happened=said)
    assert messages.refusal_messages(busy) == (
        "A-002 sudah dipanggil di Loket 1 oleh sari pukul 09.05. Selesaikan, alihkan, atau parkir A-002 terlebih dahulu.",
        "A-002 has already been called at Loket 1 by sari at 09:05. Finish, transfer or park A-002 first.",
    )
    early = Refusal("checkin_too_early", booking="BK7", opens=datetime(2026, 12, 7, 8, 30))
    assert (
        messages.refusal_messages(early)[0]
        == "Lapor hadir untuk pemesanan BK7 dibuka Senin, 7 Desember 2026 pukul 08.30."
    )
    assert messages.format_date(date(2026, 12, 3), "id") == "Kamis, 3 Desember 2026"


def test_an_illegal_transition_names_the_states_in_words() -> None:
    from queue_server.domain.model import IllegalTransition

    ticket = Ticket.from_dict(
        {
            "id": "t1", "site": "s", "service": "ktp", "agency": "a", "series": "A", "number": 2, "label": "A-002",
            "day": "2026-12-03", "state": "done", "channel": "kiosk", "priority": None, "token": "x",
            "issued_at": "2026-12-03T01:00:00+00:00", "queue_key": "2026-12-03T01:00:00+00:00",
        }
    )  # fmt: skip
    message_id, message_en = messages.refusal_messages(IllegalTransition(ticket, TicketState.CALLED))
    assert "selesai" in message_id and "'done'" not in message_id and "menunggu" in message_id
    assert "done" in message_en and "no-show" in message_en


def test_what_happened_to_a_ticket_is_said_with_the_parts_known_and_what_to_do() -> None:
    serving = {"ticket": "A-001", "state": "serving", "counter": "Loket 3", "by": "sari",
               "at": datetime(2026, 12, 7, 9, 12)}  # fmt: skip
    assert messages.refusal_messages(Refusal("illegal_transition.moved", happened=serving, action="recall")) == (
        "A-001 sudah mulai dilayani di Loket 3 oleh sari pukul 09.12. Tidak perlu dipanggil ulang.",
        "A-001 is already being served at Loket 3 by sari since 09:12. No need to call it again.",
    )
    back = {"ticket": "A-004", "state": "waiting", "counter": None, "by": None, "at": None}
    assert messages.refusal_messages(Refusal("not_no_show", happened=back, action="requeue"))[0] == (
        "A-004 sedang menunggu di antrean. Tidak perlu diantrekan ulang."
    )
    moved = {"ticket": "A-005", "state": "transferred", "counter": "Loket 1", "by": "budi", "service": "Paspor",
             "at": datetime(2026, 12, 7, 10, 0)}  # fmt: skip
    assert messages.refusal_messages(Refusal("ticket_changed", happened=moved, action="finish"))[1] == (
        "A-005 has already been transferred to Paspor at Loket 1 by budi at 10:00. There is nothing to finish."
    )
    for state in TicketState:  # every state has its sentence in both languages
        for lang in ("id", "en"):
            said = messages.text("refusal", "ticket_changed", lang, {"happened": {"ticket": "B-1", "state": state.value},
                                                                      "action": "recall"})  # fmt: skip
            assert said.startswith("B-1") and "{" not in said and ":" not in said, said


def test_a_missing_parameter_never_breaks_the_answer() -> None:
    message_id, message_en = messages.refusal_messages(Refusal("counter_closed"))
    assert "…" in message_id and "…" in message_en


def test_every_audited_action_has_a_sentence_in_both_languages() -> None:
    from queue_server.application.actions import TICKET_ACTIONS
    from queue_server.application.audit_trail import PRIVILEGED_COUNTER_COMMANDS

    actions = {f"counter.{c}" for c in PRIVILEGED_COUNTER_COMMANDS} | {f"ticket.{a}" for a in TICKET_ACTIONS}
    actions |= {"day.close", "day.reopen", "site.running_text", "site.configure", "ticket.reprint"}
    actions |= {"webhook.add", "webhook.remove", "webhook.rotate", "outbox.resend"}  # application/notifications.py
    actions |= {"auth.throttled"}  # application/auth.py
    actions |= {"site.take_over", "site.copy_forgotten"}  # cli.py: queue-server mirror take-over / forget
    actions |= {f"account.{a}" for a in ("add", "change", "password", "disable", "enable", "remove")}
    actions |= {"device.issue", "device.rename", "device.revoke"}  # application/administration.py
    actions |= {"device.pair"}  # application/device_pairing.py
    actions |= {"account.sites"}  # cli.py: queue-server user sites (regional accounts are not on the page)
    actions |= {"counter.release"}  # application/actions.release_counters
    actions |= {"gateway.test"}  # application/gateway_test.py
    actions |= {"service.pause", "service.resume"}  # application/issuing_pauses.py
    sentences = messages.catalogue()["audit"]
    # variants of a sentence: a transfer of an entry written before it named its ticket, a configuration change
    # confirmed with the bookings it cancelled, a parked ticket sent back to its line rather than to a counter, a
    # counter released with its citizen requeued or parked (supervision/audit.py)
    variants = {"counter.transfer.unnamed", "site.configure.bookings_cancelled", "ticket.unpark.queue",
                "counter.release.requeued", "counter.release.parked", "device.pair.replaced",
                "service.pause.until"}  # fmt: skip
    assert set(sentences) == actions | variants
    for action in actions:
        assert sentences[action]["id"] and sentences[action]["en"], action


def test_a_change_that_cancelled_bookings_says_so_in_its_audit_entry() -> None:
    from queue_server.settings.sitefile import DEMO_SITE, load_site
    from queue_server.supervision.audit import summary

    site = load_site(DEMO_SITE)
    details = {"version": 4, "changes": "~site.hours", "bookings_cancelled": 5, "told": 2,
               "on": [["2026-12-09", 3], ["2026-12-10", 1], ["2026-12-11", 1]]}  # fmt: skip
    said = summary(site, "site.configure", "site tegal", details)
    assert said["id"] == (
        "Konfigurasi diganti ke versi 4: jam buka diubah; 5 pemesanan pada waktu MPP tutup dibatalkan oleh MPP (3 pada "
        "Rabu, 9 Desember 2026; 1 pada Kamis, 10 Desember 2026; 1 pada Jumat, 11 Desember 2026), 2 warga diberi tahu "
        "lewat WhatsApp/SMS"
    )
    assert said["en"].startswith("Configuration changed to version 4: opening hours changed; 5 bookings at times the")
    assert "(3 on Wednesday, 9 December 2026; 1 on Thursday" in said["en"]
    plain = summary(site, "site.configure", "site tegal", {"version": 5, "changes": "~site.hours"})
    assert plain["id"] == "Konfigurasi diganti ke versi 5: jam buka diubah", "none cancelled: the usual sentence"
    many = {**details, "on": [[f"2026-12-{d:02d}", 1] for d in range(9, 16)]}
    assert "; dan 3 hari lain)" in summary(site, "site.configure", "site tegal", many)["id"]
    assert "; and 3 more days)" in summary(site, "site.configure", "site tegal", many)["en"]


def test_an_audit_entry_reads_as_a_sentence_with_names() -> None:
    from queue_server.settings.sitefile import DEMO_SITE, load_site
    from queue_server.supervision.audit import summary

    site = load_site(DEMO_SITE)
    said = summary(site, "counter.transfer", "counter 4", {"ticket": "A-003", "target_service": "sim"})
    assert said["id"] == "Loket 4 memindahkan A-003 ke Perpanjangan SIM"
    assert "sim" not in said["id"].split() and "counter." not in said["en"]


def test_an_audit_entry_names_a_counter_and_service_removed_since_as_they_were_named() -> None:
    from queue_server.settings.sitefile import DEMO_SITE, load_site
    from queue_server.supervision.audit import summary

    details = {"ticket": "A-003", "target_service": "keliling", "service_name": "Layanan Keliling",
               "counter_name": "Loket Mobil"}  # fmt: skip
    said = summary(load_site(DEMO_SITE), "counter.transfer", "counter 99", details)
    assert said["id"] == "Loket Mobil memindahkan A-003 ke Layanan Keliling"
    assert said["en"] == "Loket Mobil moved A-003 to Layanan Keliling"


def test_an_old_transfer_entry_without_its_ticket_still_reads_as_a_sentence() -> None:
    from queue_server.settings.sitefile import DEMO_SITE, load_site
    from queue_server.supervision.audit import summary

    said = summary(load_site(DEMO_SITE), "counter.transfer", "counter 1", {"target_service": "skck"})
    assert (
        said["id"] == "Loket 1 memindahkan tiket yang sedang dilayani ke Surat Keterangan Catatan Kepolisian (SKCK)"
        and "…" not in said["en"]
    )


def test_every_citizen_message_has_a_template_in_both_languages() -> None:
    from queue_server.outbound.policy import KINDS

    templates = messages.catalogue()["message"]
    assert set(templates) == set(KINDS)
    for kind in KINDS:
        assert templates[kind]["id"] and templates[kind]["en"], kind


def test_every_kind_of_message_out_has_a_name_in_both_languages() -> None:
    from queue_server.outbound.payloads import EVENT_TYPES
    from queue_server.outbound.policy import KINDS

    names = messages.catalogue()["outbox_kind"]
    assert set(names) == set(KINDS) | set(EVENT_TYPES)
    assert all(names[k]["id"] and names[k]["en"] for k in names)


def test_every_kind_of_alert_has_a_sentence_in_both_languages() -> None:
    from queue_server.supervision.alerts import KINDS, SENTENCES

    sentences = messages.catalogue()["alert"]
    assert set(sentences) == set(SENTENCES) and set(KINDS) <= set(SENTENCES)
    for kind, entry in sentences.items():
        assert set(entry) == {"id", "en"} and entry["id"].strip() and entry["en"].strip(), kind
        assert _placeholders(entry["id"]) == {name.removesuffix("_en") for name in _placeholders(entry["en"])}, kind


def test_every_refusal_a_mirror_keeps_has_words_in_both_languages() -> None:
    """The national view says why a mirrored mall's data is held back ("ditolak: ...")."""
    from queue_server.application.mirror_watch import RECORDED

    words = messages.catalogue()["uplink_refused"]
    assert set(words) == set(RECORDED)
    for code in RECORDED:
        assert words[code]["id"].strip() and words[code]["en"].strip(), code
        assert code.split(".")[0] in HTTP_STATUS or code == "uplink_behind", code


def test_an_alert_says_times_and_minutes_in_the_words_of_each_language() -> None:
    from queue_server.settings.sitefile import DEMO_SITE, load_site
    from queue_server.supervision.alerts import detect

    site = load_site(DEMO_SITE)
    service = {"id": "ktp", "agency": "disdukcapil", "name": "KTP-el", "longest_wait": 61 * 60,
               "target_wait_minutes": 30, "longest_label": "A-001", "waiting": 1, "counters_open": 1}  # fmt: skip
    doubt = {"last_event_at": datetime(2026, 11, 30, 9, 2, tzinfo=site.tz)}
    delivery = {"endpoint": "gateway", "agency": None, "since": None, "dead": 3, "error": "HTTP 502"}
    clock, wait, failing = detect(site, [service], [], [delivery], doubt)
    assert "kejadian terakhir Senin, 30 November 2026 pukul 09.02" in clock["message"]
    assert "last event Monday, 30 November 2026 at 09:02" in clock["message_en"]
    assert wait["message"] == (
        "KTP-el: A-001 menunggu 61 menit (target 30), 1 orang dalam antrean. Buka loket lain untuk layanan ini bila "
        "ada petugas."
    )
    assert wait["message_en"] == (
        "KTP-el: A-001 has waited 61 minutes (target 30), 1 in the queue. Open another counter for this service if "
        "staff are free."
    )
    past = detect(site, [{**service, "longest_wait": None, "new_ticket": {"status": "estimated", "after_closing": True}}],
                  [])[0]  # fmt: skip
    assert past["kind"] == "past_closing" and past["agencies"] == ["disdukcapil"]
    assert past["message"] == (
        "KTP-el: tiket yang diambil sekarang mungkin tidak terlayani hari ini (1 orang dalam antrean). "
        "Buka loket lain untuk layanan ini."
    )
    assert past["message_en"] == (
        "KTP-el: a ticket taken now may not be served today (1 in the queue). Open another counter for this service."
    )
    # Nobody at any of its counters: said with the counters to open, a break named as such (an outside review).
    counters = [{"id": "1", "state": "paused"}, {"id": "2", "state": "closed"}]
    (nobody,) = detect(site, [{**service, "counters_open": 0}], [], counters=counters)  # in place of the wait alert
    assert nobody["id"] == "no_counter:ktp" and nobody["counters"] == ["1", "2"]
    assert nobody["message"] == (
        "KTP-el: 1 orang menunggu (A-001 sudah 61 menit, target 30), tetapi tidak ada loket yang buka untuk layanan "
        "ini. Buka atau lanjutkan Loket 1 (jeda) atau Loket 2."
    )
    assert nobody["message_en"] == (
        "KTP-el: 1 waiting (A-001 for 61 minutes, target 30) and no counter open for this service. Open or resume "
        "Loket 1 (on a break) or Loket 2."
    )
    fresh = {**service, "counters_open": 0, "longest_wait": 4 * 60 + 59}
    assert [a["kind"] for a in detect(site, [fresh], [], counters=counters)] == [], "a ticket a moment old: none yet"
    assert failing["message"].startswith("Gateway WhatsApp/SMS: pengiriman gagal sejak pukul ?, 3 pesan")
    assert failing["message_en"].startswith("The WhatsApp/SMS gateway: deliveries failing since ?, 3 messages")
    # An outside review: retried for minutes with nothing given up yet, it said "pengiriman gagal ... 0 pesan tidak
    # terkirim", a contradiction. It says what happens instead.
    since = "2026-11-30T09:10:00+07:00"
    # Its problem in words, from the kind the deliverer kept (common/delivery_problems.py), the technical text beside
    problem = {"kind": "receiver_error", "status": 502}
    webhook = {**delivery, "endpoint": "wh_1", "name": "SIAK", "since": since, "dead": 0, "problem": problem}
    (retrying,) = detect(site, [], [], [{**webhook, "error": "HTTP 502 Bad Gateway"}])
    assert retrying["kind"] == "delivery_failing" and retrying["id"] == "delivery:wh_1"
    assert retrying["message"] == (
        "Webhook SIAK: pesan belum terkirim sejak pukul 09.10 dan masih dicoba ulang. Server penerima sedang bermasalah "
        "(HTTP 502). Jika berlanjut, hubungi penyedianya."
    )
    assert retrying["message_en"] == (
        "Webhook SIAK: a message not delivered since 09:10 is still being retried. The receiver's server is failing "
        "(HTTP 502). If it goes on, call its provider."
    )
    assert retrying["error_kind"] == "receiver_error" and retrying["detail"] == "HTTP 502 Bad Gateway"
    # A row an earlier release wrote has its text alone: said as that text
    (older,) = detect(site, [], [], [{**webhook, "problem": None}])
    assert older["message"].endswith("masih dicoba ulang. Galat teknis: HTTP 502."), older["message"]
    assert older["message_en"].endswith("is still being retried. Technical error: HTTP 502."), older["message_en"]
    assert older["error_kind"] is None and older["detail"] == "HTTP 502"


def test_a_configuration_s_problems_are_said_in_the_page_s_words() -> None:
    """An outside review: the Settings page showed site-file paths and English ("agencies[0 "disdukcapil"]
    .services[5 "ktp_hilang"].prefix: 'A' is already used ..."), twice."""
    from queue_server.common.problems import problem_text

    said = messages.catalogue()
    prefix = "agencies[0 \"disdukcapil\"].services[5 \"ktp_hilang\"].prefix: 'A' is already used by service 'ktp'; ..."
    assert problem_text(prefix, "id", said) == (
        "Instansi disdukcapil, Layanan ktp_hilang, awalan nomor: awalan A sudah dipakai layanan ktp"
    )
    assert problem_text(prefix, "en", said).endswith("number prefix: the prefix A is already used by service ktp")
    hours = "site.hours.mon: '12:00-08:00' ends before it starts"
    assert problem_text(hours, "id", said) == "jam buka, Senin: 12.00-08.00 berakhir sebelum dimulai"
    # no page makes it, but a document sent to the API may: said in words too (an outside review found English here)
    other = "notify.gateway.url: must be an http:// or https:// address, got 'x'"
    assert problem_text(other, "id", said) == (
        "pesan WhatsApp/SMS, gateway, alamat: harus berupa alamat yang diawali http:// atau https://"
    )
    assert problem_text(other, "en", said) == (
        "WhatsApp/SMS messages, gateway, address: must be an address beginning with http:// or https://"
    )


def test_every_kind_of_configuration_problem_has_words_and_every_word_a_problem() -> None:
    """common/problems.py says each problem the site file's checks name by a [problem] sentence: each has one in
    both languages, with the same parameters, and none is left unused."""
    from queue_server.common.problems import _WHY

    sentences = messages.catalogue()["problem"]
    keys = {key for _, key in _WHY}
    assert keys == set(sentences), (sorted(keys - set(sentences)), sorted(set(sentences) - keys))
    for key, entry in sentences.items():
        assert set(entry) == {"id", "en"}, key
        assert _placeholders(entry["id"]) == _placeholders(entry["en"]), key


def test_every_part_of_the_site_file_a_change_names_has_words() -> None:
    """An outside review: the audit log said "enforce_hours diubah" and "timezone diubah", and the Settings page's
    toast "Tersimpan sebagai versi 1: ~site.hours, +Loket 2"."""
    from queue_server.domain.catalogue import DESCRIBED_SECTIONS
    from queue_server.settings.sitefile import ALERT_BOUNDS, SITE_KEYS

    parts = (
        [f"site.{key}" for key in SITE_KEYS]
        + [f"alerts.{key}" for key in ALERT_BOUNDS]
        + [s for s in DESCRIBED_SECTIONS if s != "site"]
    )
    for part in parts:
        for lang in ("id", "en"):
            said = messages.change_words(f"~{part}", lang)
            raw = messages.catalogue()["change"]["changed"][lang].format(name=part)  # "booking diubah"
            assert said != raw and "site." not in said and "_" not in said, (part, lang, said)
    assert messages.change_words("~site.enforce_hours", "id") == "penolakan tiket di luar jam buka diubah"
    assert messages.change_words("~site.timezone", "en") == "time zone changed"
    assert messages.change_words("~alerts.counter_idle_minutes", "id") == "batas peringatan Loket kosong diubah"
    assert messages.change_words("+Loket 2", "id") == "Loket 2 ditambahkan"
    assert messages.change_words("-Paspor Baru", "en") == "Paspor Baru removed"
    said = messages.text(
        "audit", "site.configure", "id", {"version": 3, "changes": "~site.timezone, ~site.enforce_hours"}
    )
    assert said == "Konfigurasi diganti ke versi 3: zona waktu diubah, penolakan tiket di luar jam buka diubah"


def test_a_configuration_s_problems_name_entries_as_the_page_shows_them() -> None:
    """With the configuration's names, a problem says "Layanan KTP Hilang" and "instansi Polres", not their codes;
    a counter or a screen whose name says what it is is not named twice ("Loket 13", not "Loket Loket 13")."""
    from queue_server.common.problems import names_in, problem_text
    from queue_server.settings.sitefile import DEMO_SITE

    said = messages.catalogue()
    document = tomllib.loads(DEMO_SITE.read_text())
    document["agencies"][0]["services"].append({"id": "ktp_hilang", "name": "KTP Hilang", "prefix": "A"})
    names = names_in(document)
    prefix = "agencies[0 \"disdukcapil\"].services[5 \"ktp_hilang\"].prefix: 'A' is already used by service 'ktp'; ..."
    assert problem_text(prefix, "id", said, names) == (
        "Instansi Disdukcapil, Layanan KTP Hilang, awalan nomor: awalan A sudah dipakai layanan KTP Elektronik"
    )
    other = "agencies[5 \"bpjs_kesehatan\"].counters[0 \"13\"].services: 'sim' is a service of agency 'polres': ..."
    assert problem_text(other, "en", said, names).startswith(
        "Agency BPJS Kesehatan, Loket 13, Service: Perpanjangan SIM is a service of agency Polres"
    )
    screen = "screens[1 \"lantai1\"].zones: 'Lantai 9' is not a zone of any counter"
    assert problem_text(screen, "id", said, names).startswith("Layar Lantai 1, zona: tidak ada loket di zona Lantai 9")
    unknown = 'agencies[0 "disdukcapil"].counters[0 "1"].services: \'paspor_x\' is not a service of this site'
    assert (
        problem_text(unknown, "id", said, names) == "Instansi Disdukcapil, Loket 1, Layanan: layanan paspor_x tidak ada"
    )


def test_a_count_s_one_form_is_the_same_sentence_for_one() -> None:
    """The supervisor pages say "1 of 1 mall reaches its own sample", not "malls reach" (common.js, `counted`: the
    `_one` form of a sentence for a count of one, where the language has one). Each `_one` form has the sentence for
    other numbers beside it, and takes no placeholder that sentence does not."""
    texts = tomllib.loads((Path(__file__).parents[1] / "supervisor" / "templates" / "text.toml").read_text())
    fields = string.Formatter()
    for lang, sentences in texts.items():
        for key, one in sentences.items():
            if not key.endswith("_one"):
                continue
            other = sentences.get(key.removesuffix("_one"))
            assert other is not None, (lang, key)
            names = {name for _, name, _, _ in fields.parse(one) if name}
            assert names <= {name for _, name, _, _ in fields.parse(other) if name}, (lang, key, names)


def test_every_alert_kind_has_its_word_on_the_dashboard() -> None:
    """The dashboard starts each alert with its kind in words ("Antrean:", "Pengaturan:"): a kind without one would
    show its text key."""
    import tomllib
    from pathlib import Path

    from queue_server.supervision.alerts import KINDS

    texts = tomllib.loads((Path(__file__).parents[1] / "supervisor" / "templates" / "text.toml").read_text())
    for lang in ("id", "en"):
        assert [k for k in KINDS if f"alert_kind_{k}" not in texts[lang]] == [], lang


# English words that crept into Indonesian sentences: a booking is "pemesanan" (online: "daring"), checking in
# "lapor hadir". The code's own form (BK-7Q3M2X) and a placeholder's name ({booking}) are no words of the sentence.
LOANWORDS = re.compile(r"booking|check-?in|online|\bbook\b", re.I)
# Words that make a quotation in the docs an Indonesian one (none of them is English).
INDONESIAN = re.compile(
    r"\b(yang|dan|di|ke|untuk|sudah|Sudah|silakan|Anda|kode|nomor|antrean|tidak|lagi|sini|pemesanan|jadwal|dengan"
    r"|Pesan|Kirim|Batalkan|oleh|pukul|atau|kios|Terjadwal|Dilepas|Dibatalkan|verifikasi|Berlaku|menit|coba"
    r"|pengingat|tercapai)\b"
)


def _indonesian_texts() -> Iterator[tuple[str, str]]:
    """Every Indonesian text a citizen, an operator or a supervisor reads, by where it is."""

    def walk(node: object, where: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield from walk(value, f"{where}.{key}")
        elif isinstance(node, str) and (where.endswith(".id") or ".id." in where):
            yield where, node

    yield from walk(messages.catalogue(), "messages.toml")
    for package in ("citizen", "supervisor", "display"):
        yield from walk(tomllib.loads((ROOT / package / "templates" / "text.toml").read_text()), f"{package}")
    from counter_client.texts import TEXTS

    yield from ((f"counter_client.texts.{name}", pair[0]) for name, pair in TEXTS.items())


def test_indonesian_texts_say_pemesanan_and_lapor_hadir_never_booking_or_check_in() -> None:
    """An outside review: the kiosk's and the phone's texts had been made Indonesian ("Pemesanan BK-...", "Lapor
    hadir"), but the phone code's message still said "Kode verifikasi booking", a booking's state "sudah check-in",
    the site's index "Ambil antrean online (booking)"."""
    texts = list(_indonesian_texts())
    assert len(texts) > 500 and any("Pemesanan {booking}" in text for _, text in texts)
    found = [(where, text) for where, text in texts if LOANWORDS.search(re.sub(r"\{[^}]*\}", "", text))]
    assert not found, found


def test_the_docs_quote_indonesian_texts_without_booking_or_check_in() -> None:
    """docs/*.md quote the pages' and messages' Indonesian words; a quotation still saying "Booking BK-..., jadwal"
    or "Sudah booking online? Check-in di sini" described a screen that no longer says so."""
    found = []
    for path in sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]:
        text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)  # code: a command line, a TOML table
        for paragraph in re.split(r"\n\s*\n", text):
            for quoted in re.findall(r'"([^"]+)"', paragraph):
                words = re.sub(r"https?://\S+|/booking/\S*|`[^`]*`", "", quoted)  # an address is no sentence
                if INDONESIAN.search(words) and LOANWORDS.search(words):
                    found.append((path.name, " ".join(quoted.split())[:120]))
    assert not found, found


def test_the_server_log_says_a_changed_site_file_s_changes_in_words() -> None:
    """An installer's walk: the log said "the changed site file replaces the configuration ...: ~site.enforce_hours",
    the audit's notation. It says them in the Settings page's English words, the rest counted as the audit does."""
    from queue_server.pipeline.engine import changes_in_words

    said = changes_in_words(["~site.enforce_hours", "+Paspor", "-Loket 9"])
    assert said == "refusing tickets outside opening hours changed, Paspor added, Loket 9 removed", said
    many = changes_in_words([f"+Loket {n}" for n in range(14)])
    assert many.startswith("Loket 0 added, ") and many.endswith("Loket 11 added and 2 more"), many


def test_seconds_are_said_with_the_number_they_have() -> None:
    """A sub-second timeout rounded up to one said "within 1 seconds"; Indonesian writes a decimal comma."""
    said = {
        (seconds, lang): messages.text("delivery_problem", "timeout", lang, {"seconds": seconds})
        for seconds in (1, 30, 0.5)
        for lang in ("id", "en")
    }
    assert said[1, "en"].startswith("The receiver did not answer within 1 second: ")
    assert said[30, "en"].startswith("The receiver did not answer within 30 seconds: ")
    assert said[0.5, "en"].startswith("The receiver did not answer within 0.5 seconds: ")
    assert said[1, "id"].startswith("Penerima tidak menjawab dalam 1 detik: ")
    assert said[0.5, "id"].startswith("Penerima tidak menjawab dalam 0,5 detik: ")
    login = messages.text("refusal", "too_many_requests.sign_in", "en", {"seconds": 1})
    assert login == "Too many wrong passwords. Try again in 1 second."


def test_a_booked_citizen_is_told_when_to_check_in_or_when_that_is_not_known_to_come_when_they_arrive() -> None:
    """The check-in window ends a booking's confirmation and reminders (a booking not checked in by its end is
    released); a message written by an earlier release names no booking, and says what it said then."""
    params = {"site": "MPP Kabupaten Tegal", "code": "BK-7", "service": "KTP Elektronik", "slot": "09:00",
              "window": {"from": "08:30", "until": "09:15"}}  # fmt: skip
    assert messages.text("message", "booking_reminder_hour", "id", params) == (
        "MPP Kabupaten Tegal: satu jam lagi, pukul 09.00, jadwal Anda untuk KTP Elektronik (pemesanan BK-7). Lapor "
        "hadir di kios antara pukul 08.30 dan 09.15."
    )
    assert messages.text("message", "booking_reminder_hour", "en", params).endswith(
        "Check in at the kiosk between 08:30 and 09:15."
    )
    earlier = {**params, "window": {}}
    assert messages.text("message", "booking_reminder_hour", "id", earlier).endswith("Lapor hadir di kios saat tiba.")
    assert messages.text("message", "booking_reminder_hour", "en", earlier).endswith("at the kiosk when you arrive.")
