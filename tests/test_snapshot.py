"""The typed snapshots (domain/snapshot.py) are the one definition their JSON, storage rows, wire views and
OpenAPI schemas are derived from."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from queue_server.domain.booking import Booking, BookingState
from queue_server.domain.model import CounterState, CounterStatus, Ticket, TicketState
from queue_server.domain.snapshot import Snapshot, json_schema, snap, specs
from queue_server.live import wire
from queue_server.persistence import schema
from queue_server.persistence.storage import BOOKING_COLUMNS, TICKET_COLUMNS
from queue_server.web.openapi import openapi_document

NOW = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
TICKET = Ticket(
    id="t1", site="tegal", service="ktp", agency="dukcapil", series="ktp", day=date(2026, 12, 7), number=7,
    label="A-007", state=TicketState.CALLED, priority="disabilitas", channel="kiosk", token="secret-token",
    issued_at=NOW, queue_key=NOW, called_at=NOW, counter="1", note="bring the KK",
)  # fmt: skip
BOOKING = Booking(
    id="b1", code="BK-7Q3M2X", site="tegal", service="ktp", day=date(2026, 12, 8), slot=time(9, 30),
    slot_start=NOW, nik_hash="hash", phone_masked="0812****789", state=BookingState.BOOKED, created_at=NOW,
)  # fmt: skip


def test_snapshots_round_trip_through_their_json_form() -> None:
    assert Ticket.from_dict(TICKET.to_dict()) == TICKET
    assert Booking.from_dict(BOOKING.to_dict()) == BOOKING
    counter = CounterStatus("1", CounterState.OPEN, "t1", 2, "ani")
    assert CounterStatus.from_dict(counter.to_dict()) == counter
    assert TICKET.to_dict()["day"] == "2026-12-07" and TICKET.to_dict()["state"] == "called"
    assert BOOKING.to_dict()["slot"] == "09:30"


def test_a_snapshot_stored_before_a_field_existed_loads_with_its_default() -> None:
    stored = TICKET.to_dict()
    for later in ("recalls", "parent", "note", "booked_slot", "started_at"):
        del stored[later]
    loaded = Ticket.from_dict(stored)
    assert loaded.recalls == 0 and loaded.note is None and loaded.booked_slot is None


def test_a_new_field_is_one_declaration() -> None:
    @dataclass(frozen=True)
    class Sample(Snapshot):
        id: str = snap(audience="public")
        at: datetime | None = snap(audience="public", default=None)
        state: CounterState = snap(default=CounterState.CLOSED)

    sample = Sample("s", NOW, CounterState.OPEN)
    assert sample.to_dict() == {"id": "s", "at": NOW.isoformat(), "state": "open"}
    assert Sample.from_dict({"id": "s"}) == Sample("s")
    assert set(json_schema(Sample, "public")["properties"]) == {"id", "at"}


def test_the_views_follow_the_declared_audiences() -> None:
    public = wire.ticket_view(TICKET, wire.PUBLIC)
    staff = wire.ticket_view(TICKET, wire.STAFF)
    assert "token" not in public and "token" not in staff
    assert public["priority"] is True, "a lobby screen only knows that it is a priority ticket"
    assert "note" not in public and staff["note"] == "bring the KK" and staff["priority"] == "disabilitas"
    assert "nik_hash" not in wire.booking_view(BOOKING.to_dict())
    # A booking's code alone cancels it (a bearer secret, like a ticket's token): in no view and no schema of one
    for audience in (wire.STAFF, wire.PUBLIC):
        assert "code" not in wire.booking_view(BOOKING.to_dict(), audience)
        assert "code" not in json_schema(Booking, audience)["properties"]
    assert wire.booking_view(BOOKING.to_dict())["phone_masked"] == "0812****789", "staff see the masked number"
    assert set(wire.counter_view(CounterStatus("1", operator="ani").to_dict(), wire.PUBLIC)) == {
        "id",
        "state",
        "current",
    }


def test_the_storage_columns_are_the_declared_ones_and_exist_in_the_schema() -> None:
    con = sqlite3.connect(":memory:")
    schema.migrate(con)
    tickets = {row[1] for row in con.execute("PRAGMA table_info(tickets)")}
    bookings = {row[1] for row in con.execute("PRAGMA table_info(bookings)")}
    # label_exempt is the database's own (migration 0014): which tickets the unique index of labels leaves out
    assert tickets == {*TICKET_COLUMNS, "seq", "doc", "label_exempt"}
    assert bookings == {*BOOKING_COLUMNS, "seq", "doc"}
    assert TICKET_COLUMNS == tuple(s.name for s in specs(Ticket) if s.column)


def test_the_openapi_schemas_are_derived_from_the_snapshots() -> None:
    schemas = openapi_document()["components"]["schemas"]
    assert set(schemas["Ticket"]["properties"]) == set(wire.STAFF_TICKET_FIELDS)
    assert set(schemas["PublicTicket"]["properties"]) == set(wire.PUBLIC_TICKET_FIELDS)
    assert schemas["PublicTicket"]["properties"]["priority"] == {"type": "boolean"}
    assert schemas["Ticket"]["properties"]["state"]["enum"] == [s.value for s in TicketState]
    assert "nik_hash" not in schemas["Booking"]["properties"]
