"""application/validation.py: the one rule of a reason said to citizens, for a pause and a closed day alike."""

from __future__ import annotations

from typing import Any

import pytest

from queue_server.application.validation import REASON_MAX, clock, day, said_reason
from queue_server.common.messages import refusal_messages
from queue_server.domain.refusal import Refusal


def _said(value: Any, *, required: bool) -> str | None | Refusal:
    try:
        return said_reason({"reason": value}, required=required)
    except Refusal as refusal:
        return refusal


@pytest.mark.parametrize("required", [True, False], ids=["pause", "closed day"])
@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("Blangko habis", "Blangko habis"),
        # One line, whatever the client sent: the dashboard's field is one line, a script's newline is a space.
        ("  Gangguan\n\tlistrik.\r\n", "Gangguan listrik"),
        ("Gangguan\u00a0 listrik", "Gangguan listrik"),
        ("Blangko habis...", "Blangko habis"),  # the pages add their own full stop
        ("x" * REASON_MAX + ".", "x" * REASON_MAX),  # counted as kept
    ],
)
def test_a_reason_is_kept_as_one_line_without_its_closing_full_stop(value: str, kept: str, required: bool) -> None:
    assert _said(value, required=required) == kept


@pytest.mark.parametrize("required", [True, False], ids=["pause", "closed day"])
@pytest.mark.parametrize(
    ("value", "key", "said"),
    [
        ("x" * (REASON_MAX + 1), "invalid_field.too_long", "paling panjang 120 karakter"),
        # a pasted notice is told the same limit, not the raw bound it first meets
        ("x" * (REASON_MAX * 4 + 1), "invalid_field.too_long", "paling panjang 120 karakter"),
        ("NIK 3328015505900001", "invalid_field.personal_reason", "memuat NIK"),
        ("Hubungi 0812-3456-7890", "invalid_field.personal_reason", "nomor telepon"),
        ("Bapak Budi Santoso belum dilayani", "invalid_field.personal_reason", "nama warga"),
        # Checked on the line a screen shows: a pause let these through when its check read the text unfolded.
        ("Hubungi 0812  \n  3456-7890", "invalid_field.personal_reason", "nomor telepon"),
        ("NIK 3328 0155\n\n\n\n0590 0001", "invalid_field.personal_reason", "memuat NIK"),
        ("Gangguan\u202elistrik", "invalid_field.hidden_character", "U+202E"),
        ("Gangguan\u2028listrik", "invalid_field.hidden_character", "U+2028"),
        ("Gangguan\x0blistrik", "invalid_field.hidden_character", "U+000B"),
        (42, "invalid_field.text", "Kolom alasan harus berupa teks"),
    ],
)
def test_a_reason_naming_a_citizen_hidden_or_too_long_is_refused_the_same_for_both(
    value: Any, key: str, said: str, required: bool
) -> None:
    refusal = _said(value, required=required)
    assert isinstance(refusal, Refusal) and refusal.key == key, refusal
    assert refusal.details["field"] == "reason"
    indonesian, english = refusal_messages(refusal)
    assert said in indonesian, indonesian
    if key == "invalid_field.personal_reason":  # a reason's own sentence, not the running text's
        assert "alasan ini ditunjukkan kepada warga" in indonesian and "lobi" not in indonesian, indonesian
        assert "citizens are shown this reason" in english and "queue number" not in english, english


@pytest.mark.parametrize("value", [None, "", "   ", " . ", "\n"])
def test_a_blank_reason_is_refused_for_a_pause_and_none_for_a_closed_day(value: str | None) -> None:
    """A pause must say why (the kiosk says it on the service's tile); a day may close without one."""
    refusal = _said(value, required=True)
    assert isinstance(refusal, Refusal) and refusal.key == "invalid_field.required", refusal
    assert refusal.details == {"field": "reason"}
    assert _said(value, required=False) is None


@pytest.mark.parametrize(
    "text",
    ["\uff12\uff10\uff12\uff16-12-08", "2026-12-08\n", "\u0662\u0660\u0662\u0666-12-08", "2026-12-08T00"],
    ids=["full-width digits", "trailing newline", "Arabic-Indic digits", "with a time"],
)
def test_a_day_not_written_in_ascii_digits_is_told_its_form_not_that_the_day_does_not_exist(text: str) -> None:
    # These used to pass the form's check ("\\d" and "$") and be told "tidak ada di kalender", a wrong reason.
    with pytest.raises(Refusal) as refused:
        day(text, "day")
    assert refused.value.key == "invalid_field.date", refused.value.key
    assert day("2026-12-08", "day").isoformat() == "2026-12-08"


@pytest.mark.parametrize(
    "text",
    ["13:30\n", "\uff11\uff13:\uff13\uff10", "\u0661\u0663.\u0663\u0660", " 13:30", "13:30 "],
    ids=["trailing newline", "full-width digits", "Arabic-Indic digits", "leading space", "trailing space"],
)
def test_a_time_not_written_in_ascii_digits_to_its_end_is_refused(text: str) -> None:
    # "\\d" and "$" took these as 13:30 (a pause's expected time, a booking's slot).
    with pytest.raises(Refusal) as refused:
        clock(text, "until")
    assert refused.value.key == "invalid_field.time", refused.value.key
    assert clock("13.30", "until").strftime("%H:%M") == clock("13:30", "until").strftime("%H:%M") == "13:30"
