"""The hub keeps its followers by site: a server holding many malls matches each event against its own mall's
followers only (the national benchmark: 300 malls on one server). What each client receives must not change."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from queue_server.domain import events as ev
from queue_server.domain.events import Event
from queue_server.live.hub import Follow, Hub
from queue_server.live.wire import PUBLIC

AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def running_text(site: str, seq: int) -> Event:
    return Event(ev.SITE_RUNNING_TEXT, site, AT, {"text": f"{site} {seq}"}, seq=seq)


def received(sub) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    batches = []
    while not sub.queue.empty():
        batches.append([(seq, json.loads(text)["data"]["text"]) for seq, text in sub.queue.get_nowait()])
    return batches


def test_a_batch_with_several_sites_reaches_each_sites_followers_only_in_order() -> None:
    hub = Hub({})
    a, b = hub.subscribe(Follow("mall-a", PUBLIC)), hub.subscribe(Follow("mall-b", PUBLIC))
    hub.publish([running_text("mall-a", 1), running_text("mall-b", 2), running_text("mall-c", 3),
                 running_text("mall-a", 4)])  # fmt: skip
    assert received(a) == [[(1, "mall-a 1"), (4, "mall-a 4")]]
    assert received(b) == [[(2, "mall-b 2")]]


def test_the_last_follower_of_a_site_leaving_leaves_nothing_behind() -> None:
    hub = Hub({})
    subs = [hub.subscribe(Follow("mall-a", PUBLIC)) for _ in range(3)]
    dashboard = hub.subscribe(Follow("mall-a", PUBLIC, notices=True))
    assert hub.count == 4 and hub.watching("mall-a") == 1 and hub.watching("mall-b") == 0
    for sub in [*subs, dashboard]:
        hub.unsubscribe(sub)
        hub.unsubscribe(sub)  # twice: a connection closing after it overflowed
    assert hub.count == 0 and hub.watching("mall-a") == 0
    hub.publish([running_text("mall-a", 5)])  # nobody left: nothing to do, nothing raised
    assert all(sub.queue.empty() for sub in subs)
