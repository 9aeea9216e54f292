"""A delivery's or the uplink's problem is kept with its kind and figures and said in words of each language
(common/delivery_problems.py, [delivery_problem] and [uplink_problem] of messages.toml); one of an earlier release,
its text alone, is said as that text. Nothing personal gets into the figures."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta

from queue_server.common import delivery_problems as problems
from queue_server.common import messages
from queue_server.outbound.deliverer import _host
from queue_server.outbound.uplink import UplinkStatus
from queue_server.settings.sitefile import DEMO_SITE, load_site
from queue_server.supervision.alerts import detect


def _placeholders(template: str) -> set[str]:
    return {name.split(":")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_kind_has_words_in_both_languages_with_the_same_figures() -> None:
    extras = {problems.FALLBACK, problems.WAIT}
    for section, kinds, more in (
        (problems.DELIVERY, problems.DELIVERY_KINDS, extras),
        (problems.UPLINK, problems.UPLINK_KINDS, {problems.FALLBACK, problems.REFUSED_STATUS}),
    ):
        words = messages.catalogue()[section]
        assert set(words) == set(kinds) | more, section
        for kind, entry in words.items():
            assert set(entry) == {"id", "en"} and entry["id"].strip() and entry["en"].strip(), kind
            assert _placeholders(entry["id"]) == _placeholders(entry["en"]), kind
            assert _placeholders(entry["id"]) <= {"status", "seconds", "host", "reason", "text"}, kind


def test_an_answer_s_status_says_what_to_look_at() -> None:
    expected = {301: "redirected", 401: "unauthorized", 403: "unauthorized", 404: "wrong_address",
                405: "wrong_address", 400: "refused", 422: "refused", 429: "rate_limited", 500: "receiver_error",
                503: "receiver_error"}  # fmt: skip
    assert {status: problems.of_status(status, "x").kind for status in expected} == expected
    asked = problems.of_status(429, "HTTP 429 Too Many Requests (asked to wait 30 s)", 30.2)
    assert asked.stored() == {"kind": "rate_limited", "status": 429, "seconds": 30}
    said = problems.said(problems.DELIVERY, asked.stored(), asked.text)
    assert said == {
        "id": "Penerima membatasi jumlah pesan yang diterimanya (HTTP 429). Jika sering terjadi, tanyakan batasnya ke "
        "penyedia. Penerima meminta menunggu 30 detik.",
        "en": "The receiver limits how many messages it takes (HTTP 429). If it happens often, ask the provider about "
        "the limit. The receiver asked to wait 30 seconds.",
    }


def test_a_row_of_an_earlier_release_is_said_as_its_text() -> None:
    """Rows written before kinds were kept (or a kind this release does not know) show their text, framed."""
    text = "ClientConnectorError: Cannot connect to host 127.0.0.1:9 ssl:default [Connect call failed]"
    assert problems.said(problems.DELIVERY, None, text) == {
        "id": f"Galat teknis: {text}.",
        "en": f"Technical error: {text}.",
    }
    assert problems.said(problems.DELIVERY, {"kind": "from_a_later_release"}, "HTTP 599")["id"] == (  # type: ignore[index]
        "Galat teknis: HTTP 599."
    )
    assert problems.said(problems.DELIVERY, None, None) is None
    assert problems.loaded("not json") is None and problems.loaded('{"status": 5}') is None


def test_a_host_figure_never_carries_a_phone_number() -> None:
    assert _host("https://wa.example.id/send?key=secret&to=6281234567890") == "wa.example.id"
    assert "81234567890" not in _host("http://6281234567890.example/send")


def test_the_uplink_alert_says_its_problem_in_words_and_keeps_the_text_as_detail() -> None:
    site = load_site(DEMO_SITE)
    since = "2026-11-30T09:10:00+07:00"
    uplink = {"failing_since": since, "behind": 12, "last_error": "http://pusat.example cannot be reached (...)",
              "error_kind": "unreachable", "error_figures": {"host": "pusat.example"}}  # fmt: skip
    (alert,) = detect(site, [], [], uplink=uplink)
    assert alert["message"] == (
        "Data mal belum terkirim ke server pusat sejak pukul 09.10. Server pusat (pusat.example) tidak dapat "
        "dihubungi: jaringan putus, alamatnya salah, atau servernya mati. Antrean di mal tetap berjalan; data dikirim "
        "begitu tersambung lagi."
    )
    assert "The central server (pusat.example) cannot be reached" in alert["message_en"]
    assert alert["error_kind"] == "unreachable" and alert["detail"] == uplink["last_error"]
    # said by an earlier release's process (shared storage): its text, no figures
    older = {**uplink, "error_kind": "failed", "error_figures": None, "last_error": "HTTP 500 : "}
    (alert,) = detect(site, [], [], uplink=older)
    assert "Pengiriman ke server pusat gagal karena galat di server ini" in alert["message"]


def test_a_sender_silent_too_long_is_said_to_be_stuck() -> None:
    now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    status = UplinkStatus()
    status.heard({"acknowledged": 5, "failing_since": None, "last_error": None}, timedelta(minutes=5), now)
    assert status.error_kind == "stuck" and status.error_figures is None
    assert status.failing_since == now - timedelta(minutes=5), "said 5 minutes ago, as the database measures it"
    said = problems.said(problems.UPLINK, {"kind": status.error_kind}, status.last_error)
    assert said is not None and said["id"].startswith("Tidak ada proses server ini yang mengirim log sejak itu")
    assert "error_figures" not in status.public() and status.public()["last_error"] == "stuck"


def test_the_sender_s_moments_are_moved_onto_the_reader_s_clock() -> None:
    """A sender whose clock is 3 minutes behind says its failure began 10 s before it spoke: the reader takes it as
    10 s before it was said on its own clock (the age measured by the database), and keeps that moment while the
    sender says the same failure again. An earlier release's word (no clock said) is taken as it is."""
    now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    sender = now - timedelta(minutes=3)
    said = {"acknowledged": 5, "failing_since": (sender - timedelta(seconds=10)).isoformat(), "last_error": "x",
            "last_ok_at": (sender - timedelta(seconds=20)).isoformat(), "clock": sender.isoformat()}  # fmt: skip
    status = UplinkStatus()
    status.heard(said, timedelta(seconds=2), now)
    assert status.failing_since == now - timedelta(seconds=12) and status.last_ok_at == now - timedelta(seconds=22)
    later = now + timedelta(seconds=15)
    status.heard({**said, "clock": (sender + timedelta(seconds=15, milliseconds=40)).isoformat()}, timedelta(0), later)
    assert status.failing_since == now - timedelta(seconds=12), "the same failure, the same moment"
    assert status.error_kind == "failed"
    older = UplinkStatus()
    older.heard({k: v for k, v in said.items() if k != "clock"}, timedelta(seconds=2), now)
    assert older.failing_since == sender - timedelta(seconds=10)


def test_a_kind_said_without_its_figures_is_said_as_its_text() -> None:
    """A process of an earlier release (shared storage) says the uplink's kind but not its figures: its text, never
    "Server pusat (?)". A delivery's other 4xx is said as refused, with its status."""
    text = "http://pusat.example cannot be reached (no network, a wrong address, or its server is down)"
    assert problems.said(problems.UPLINK, {"kind": "unreachable"}, text) == {
        "id": f"Galat teknis: {text}.",
        "en": f"Technical error: {text}.",
    }
    refused = problems.of_status(422, "HTTP 422 Unprocessable Entity")
    assert problems.said(problems.DELIVERY, refused.stored(), refused.text) == {
        "id": "Penerima menolak pesan (HTTP 422): periksa templat dan pengaturan penerimanya.",
        "en": "The receiver refused the message (HTTP 422): check the receiver's template and settings.",
    }
