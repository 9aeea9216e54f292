"""How long a server process waits for PostgreSQL before it says the database is not answering.

PostgreSQL paused (SIGSTOP, a hung VM) or a network that drops packets without a reset sends no error at all: without
a deadline every request waited as long as the fault lasted (15 s in bench/chaos.py; a network fault can last
minutes), and kiosks, counters and screens hung instead of being answered 503 `storage_unavailable`. A deadline that
passes cuts the connection (a polite cancel request would wait on the same silent server) and raises
DatabaseTimeout, which every layer treats as the database unavailable. Each number is docs/deployment.md's, with why.
"""

from __future__ import annotations

CONNECT_SECONDS = 5.0
"""Opening a connection (TCP, TLS, authentication, start-up): milliseconds on a LAN, well under a second across a
province's network; a server that has not answered in 5 s is not going to."""

READ_SECONDS = 5.0
"""One use of a pooled connection on a request's path, from waiting for a free one to giving it back: a token, a
replay, a ticket's page, a reload of one site's day. Each takes milliseconds; the kiosk page gives up on its request
after 10 s, so the database's silence is said before that."""

WRITE_SECONDS = 8.0
"""One write transaction of the command pipeline: BEGIN, the sites' locks (which wait up to
postgresql_storage.LOCK_WAIT_MS, 3 s, for a lock another process holds), the event numbers, one statement writing
everything and COMMIT. A day's close of a big mall writes a few thousand rows in under a second; 5 s beyond the lock
wait is room for a slow disk's COMMIT."""

LONG_SECONDS = 300.0
"""A read or a chunk of work that is slow by nature, asked for under StoragePort.unhurried(): a year's report, the
national view's IKM across 300 malls, the audit log, one chunk of retention (5,000 events archived or deleted). A
supervisor waits for a report on purpose; a deadline still ends one stuck on a silent database."""

KEEPALIVE_IDLE_SECONDS = 10
KEEPALIVE_INTERVAL_SECONDS = 5
KEEPALIVE_COUNT = 3
"""TCP keepalives on both ends of every connection: an idle peer gone (a machine lost, a cable cut) is noticed within
10 + 3 x 5 = 25 s, rather than the kernel's two hours. On the server's side this frees a vanished process's session
and locks; on ours the LISTEN connection notices it has heard nothing because nobody is there."""

UNACKNOWLEDGED_SECONDS = 20
"""TCP_USER_TIMEOUT on our sockets: data sent and not acknowledged for this long ends the connection (a network
dropping packets mid-statement), as keepalives do for an idle one."""

IDLE_IN_TRANSACTION = "30s"
"""idle_in_transaction_session_timeout on every serving connection: a transaction of ours left open (the process
paused, or its connection cut by a deadline on a network that dropped the reset) is ended by the server, so its
locks are not held for other processes longer than this."""


def kind(exc: BaseException) -> str:
    """A failure's kind as /healthz, /metrics' alert and the dashboard name it: the exception's class, but every
    deadline passed is DatabaseTimeout, whichever clock ran out first (/healthz's own 2 s probe said TimeoutError
    and a write's deadline DatabaseTimeout, for one paused database)."""
    return DatabaseTimeout.__name__ if isinstance(exc, TimeoutError) else type(exc).__name__


class DatabaseTimeout(TimeoutError):
    """PostgreSQL did not answer within a deadline: paused, overwhelmed, or out of reach without a reset. The
    connection was cut; nothing of an unfinished transaction was committed."""

    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"PostgreSQL did not answer {what} within {seconds:g} s")
        self.seconds = seconds
