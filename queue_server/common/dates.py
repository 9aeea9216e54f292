"""A day in words, Indonesian ("Senin, 7 Desember 2026") or English ("Monday, 7 December 2026"): one place for the
message catalogue (common/messages.py) and a configuration's problems (common/problems.py)."""

from __future__ import annotations

from datetime import date, datetime

MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
DAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def format_date(value: date | str, lang: str) -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(day, datetime):
        day = day.date()
    if lang == "id":
        return f"{DAYS_ID[day.weekday()]}, {day.day} {MONTHS_ID[day.month - 1]} {day.year}"
    return f"{day:%A}, {day.day} {day:%B %Y}"  # as the pages' en-GB Intl writes it
