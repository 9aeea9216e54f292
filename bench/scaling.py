"""Micro-measurements behind the findings of the other benchmarks: per-call costs that grow with the load.

    .venv/bin/python bench/scaling.py

In-process, no server: (1) queue_server.domain.wait.people_ahead() for the newest waiting ticket, against the
number of tickets waiting for that service: GET /api/v1/tickets/{token} (a citizen's status page) calls it, and
issue_answer called it on every POST /tickets until people_ahead_of_newest() (O(1), timed too when it exists)
replaced it there; (2) DeviceRegistry.connected() (queue_server/health.py), called once per websocket hello,
against the number of devices already registered.
Each is the best of 5 timings, in microseconds per call. Result: bench/results/scaling.json.
"""

from __future__ import annotations

import sys
import timeit
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import DEMO_SITE, save_result, table  # noqa: E402

from queue_server.domain import commands as c  # noqa: E402
from queue_server.domain.decide import decide  # noqa: E402
from queue_server.domain.state import SiteState, apply  # noqa: E402
from queue_server.settings.sitefile import load_site  # noqa: E402


def people_ahead_cost(waiting: int, name: str = "people_ahead") -> float | None:
    from queue_server.domain import wait

    people_ahead = getattr(wait, name, None)
    if people_ahead is None:
        return None

    site = replace(load_site(DEMO_SITE), enforce_hours=False)
    state = SiteState(site)
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    for i in range(waiting + 1):
        for event in decide(state, c.IssueTicket("pkb", f"t{i:08d}", f"tok{i:08d}xxxxxxxx"), now):
            apply(state, event)
        now += timedelta(milliseconds=10)
    newest = state.tickets[f"t{waiting:08d}"]
    assert people_ahead(state, newest) == waiting
    return min(timeit.repeat(lambda: people_ahead(state, newest), number=200, repeat=5)) / 200 * 1e6


def registry_cost(devices: int) -> float | None:
    try:
        from queue_server.application.health import DeviceRegistry
    except ImportError:
        return None
    registry = DeviceRegistry()
    at = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    for _ in range(devices):
        registry.connected("tegal", "display", "Demo Layar lobi utama", "lobby", at, None)

    def one() -> None:
        registry.connected("tegal", "display", "Demo Layar lobi utama", "lobby", at, None)

    return min(timeit.repeat(one, number=20, repeat=5)) / 20 * 1e6


def main() -> None:
    rows: list[list[Any]] = []
    ahead = {n: people_ahead_cost(n) for n in (100, 1_000, 5_000)}
    newest = {n: people_ahead_cost(n, "people_ahead_of_newest") for n in (100, 1_000, 5_000)}
    for label, costs in (("people_ahead", ahead), ("people_ahead_of_newest", newest)):
        for n, us in costs.items():
            rows.append([label, f"{n:,} waiting in the service", "n/a" if us is None else round(us, 1)])
    registry = {n: registry_cost(n) for n in (100, 1_000, 10_000)}
    for n, us in registry.items():
        rows.append(["DeviceRegistry.connected", f"{n:,} devices connected", "n/a" if us is None else round(us, 1)])
    print(table(rows, ["call", "size", "us per call"]))
    path = save_result(
        "scaling",
        {
            "people_ahead_us_by_waiting": {k: None if v is None else round(v, 1) for k, v in ahead.items()},
            "people_ahead_of_newest_us_by_waiting": {k: None if v is None else round(v, 1) for k, v in newest.items()},
            "device_registry_connected_us_by_devices": {
                k: None if v is None else round(v, 1) for k, v in registry.items()
            },
        },
    )
    print(f"result: {path}")


if __name__ == "__main__":
    main()
