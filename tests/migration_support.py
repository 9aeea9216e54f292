"""Tests that set a database back to an earlier schema version, so that a migration runs again on it: the later
migrations run again too, and what they added must go first where SQLite cannot add it twice (ADD COLUMN has no IF
NOT EXISTS there). Each such migration lists here the statements that undo it."""

from __future__ import annotations

UNDO: dict[int, tuple[str, ...]] = {
    22: (
        "DROP INDEX IF EXISTS phone_codes_sender",
        "ALTER TABLE phone_codes DROP COLUMN sender",
        "ALTER TABLE phone_codes DROP COLUMN proof_hash",
    ),
    25: ("ALTER TABLE outbox DROP COLUMN outcome_unknown",),
    26: ("ALTER TABLE device_pairings DROP COLUMN kind", "ALTER TABLE device_pairings DROP COLUMN screen"),
    27: ("ALTER TABLE outbox DROP COLUMN last_problem",),
    28: ("ALTER TABLE mirror_status DROP COLUMN screens_shown", "ALTER TABLE mirror_status DROP COLUMN screens_at"),
    29: ("ALTER TABLE mirror_status DROP COLUMN stopped_at",),
}


def undo_after(version: int) -> list[str]:
    """The statements that take a database of this release back to what `version` made (newest undone first),
    and set its version there."""
    statements = [sql for number in sorted(UNDO, reverse=True) if number > version for sql in UNDO[number]]
    return [*statements, f"UPDATE meta SET value = '{int(version)}' WHERE key = 'schema_version'"]  # noqa: S608
