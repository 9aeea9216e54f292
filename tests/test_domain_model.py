"""The ticket state machine: the whole transition table, checked pair by pair."""

from datetime import UTC, date, datetime

import pytest

from queue_server.common.messages import refusal_messages, word
from queue_server.domain.model import (
    FINAL_STATES,
    TRANSITIONS,
    IllegalTransition,
    Ticket,
    TicketState,
    format_label,
)

S = TicketState
ALLOWED = {
    (S.WAITING, S.CALLED), (S.WAITING, S.TRANSFERRED), (S.WAITING, S.CANCELLED), (S.WAITING, S.EXPIRED),
    (S.CALLED, S.CALLED), (S.CALLED, S.SERVING), (S.CALLED, S.NO_SHOW), (S.CALLED, S.WAITING),
    (S.CALLED, S.TRANSFERRED), (S.CALLED, S.CANCELLED), (S.CALLED, S.EXPIRED),
    (S.SERVING, S.DONE), (S.SERVING, S.TRANSFERRED), (S.SERVING, S.CANCELLED), (S.SERVING, S.EXPIRED),
    (S.NO_SHOW, S.WAITING), (S.NO_SHOW, S.CALLED), (S.NO_SHOW, S.CANCELLED), (S.NO_SHOW, S.EXPIRED),
    # parked: set aside by its counter while the citizen fetches a document, then called back
    (S.CALLED, S.PARKED), (S.SERVING, S.PARKED),
    (S.PARKED, S.CALLED), (S.PARKED, S.TRANSFERRED),
    (S.PARKED, S.CANCELLED), (S.PARKED, S.EXPIRED),
    (S.PARKED, S.WAITING),  # or sent back to its line by a supervisor
    # a day closed by mistake and reopened: its expired tickets wait again
    (S.EXPIRED, S.WAITING),
}  # fmt: skip


def ticket(state: TicketState) -> Ticket:
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    return Ticket("t1", "s", "ktp", "dukcapil", "ktp", date(2026, 11, 23), 7, "A-007", state, None, "kiosk", "tok",
                  now, now)  # fmt: skip


def test_table_is_exactly_the_documented_one() -> None:
    table = {(src, dst) for src, targets in TRANSITIONS.items() for dst in targets}
    assert table == ALLOWED


@pytest.mark.parametrize("src", list(TicketState))
@pytest.mark.parametrize("dst", list(TicketState))
def test_every_pair(src: TicketState, dst: TicketState) -> None:
    if (src, dst) in ALLOWED:
        assert ticket(src).moved_to(dst).state is dst
    else:
        with pytest.raises(IllegalTransition) as info:
            ticket(src).moved_to(dst)
        err = info.value
        assert err.details["found"] == src.value
        message_id, message_en = refusal_messages(err)
        assert word("ticket_state", src, "en") in message_en and word("ticket_state", dst, "en") in message_en
        assert word("ticket_state", src, "id") in message_id, "states in words, never as codes"
        assert err.details["expected"], "the error names the states that would have been allowed"


def test_final_states_end_a_tickets_day() -> None:
    assert FINAL_STATES == {S.DONE, S.TRANSFERRED, S.CANCELLED, S.EXPIRED}


def test_round_trip_through_dict() -> None:
    t = ticket(S.CALLED)
    assert Ticket.from_dict(t.to_dict()) == t


@pytest.mark.parametrize(
    ("prefix", "number", "label"), [("A", 1, "A-001"), ("HA", 12, "HA-012"), ("B", 1234, "B-1234")]
)
def test_labels(prefix: str, number: int, label: str) -> None:
    assert format_label(prefix, number) == label
