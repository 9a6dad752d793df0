"""Bounds on one poll (issue 21): items looked at, alerts per poll, one document per guid.

Real Redis, real HTTP over loopback. What is over a cap is counted in the poll's result and
its log line, and the new items past the alert cap are alerted on by the next polls, each
exactly once and with the id an uncapped poll gives the same change.
"""

from __future__ import annotations

import json
from typing import Any

from structlog.testing import capture_logs

from monitor.config import SourceConfig
from monitor.fetch import Fetcher
from monitor.parse import NO_CAPS, Caps
from monitor.pipeline import Poller, PollResult
from monitor.query import Matcher
from monitor.store import Store
from tests.feeds import rss
from tests.httpserver import LocalHTTPServer

MATCHER = Matcher([])


def items(count: int, start: int = 0) -> list[tuple[str, str, str]]:
    """``count`` items, newest (highest number) first."""
    numbers = range(start + count - 1, start - 1, -1)
    return [(f"g{n}", f"Story {n}", f"Body of story {n}.") for n in numbers]


async def poll(store: Store, source: SourceConfig, caps: Caps) -> PollResult:
    async with Fetcher(timeout=5) as fetcher:
        return await Poller(store, fetcher, lambda: MATCHER, caps=caps).poll(source)


async def stream(store: Store) -> list[dict[str, Any]]:
    entries = await store.redis.xrange(store.keys.stream)
    return [json.loads(fields["alert"]) for _id, fields in entries]


async def test_new_items_past_the_alert_cap_wait_for_the_next_polls(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """80 new items with a cap of 30: 30, 30 and 20 alerts in three polls, then none; the
    deferred items are counted and logged, and every item is alerted on once, with the id an
    uncapped poll gives it."""
    source = SourceConfig("world", http_server.url("/feed.xml"))
    caps = Caps(items=100, new=30)
    http_server.put("/feed.xml", rss(items(1)))
    assert (await poll(store, source, caps)).status == "baseline"
    http_server.put("/feed.xml", rss(items(80, start=1) + items(1)))
    with capture_logs() as logs:
        results = [await poll(store, source, caps) for _ in range(4)]
    assert [(r.alerts, r.deferred) for r in results] == [(30, 50), (30, 20), (20, 0), (0, 0)]
    assert [r.status for r in results] == ["changed", "changed", "changed", "not_modified"]
    lines = [e for e in logs if e["event"] == "poll"]
    assert [e.get("deferred") for e in lines] == [50, 20, None, None]
    alerts = await stream(store)
    titles = [a["item"]["title"] for a in alerts]
    assert titles == [f"Story {n}" for n in range(80, 0, -1)]  # feed order, newest first

    uncapped = Store(store.redis, store.keys.prefix + ":uncapped")  # cleaned up with it
    http_server.put("/feed.xml", rss(items(1)))
    await poll(uncapped, source, NO_CAPS)
    http_server.put("/feed.xml", rss(items(80, start=1) + items(1)))
    assert (await poll(uncapped, source, NO_CAPS)).alerts == 80
    assert [a["id"] for a in await stream(uncapped)] == [a["id"] for a in alerts]


async def test_items_past_the_window_are_counted_not_read(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """Only the first ``items`` of a feed are looked at; the rest are reported as unread."""
    source = SourceConfig("world", http_server.url("/feed.xml"))
    caps = Caps(items=50, new=500)
    http_server.put("/feed.xml", rss(items(1)))
    await poll(store, source, caps)
    http_server.put("/feed.xml", rss(items(120, start=1) + items(1)))
    with capture_logs() as logs:
        result = await poll(store, source, caps)
    assert (result.alerts, result.unread, result.deferred) == (50, 71, 0)
    (line,) = [e for e in logs if e["event"] == "poll"]
    assert line["unread"] == 71
    titles = {a["item"]["title"] for a in await stream(store)}
    assert titles == {f"Story {n}" for n in range(120, 70, -1)}


async def test_first_poll_with_alerts_is_capped_too(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """``alert_on_first_poll``: the first poll alerts on at most the cap, the next on the rest."""
    source = SourceConfig("world", http_server.url("/feed.xml"), alert_on_first_poll=True)
    http_server.put("/feed.xml", rss(items(45)))
    caps = Caps(items=100, new=40)
    first, second = [await poll(store, source, caps) for _ in range(2)]
    assert (first.alerts, first.deferred, second.alerts, second.deferred) == (40, 5, 5, 0)
    ids = [a["id"] for a in await stream(store)]
    assert len(ids) == len(set(ids)) == 45


async def test_items_sharing_a_guid_are_one_document(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """1,000 items with one guid give one document and one alert: the first item's."""
    source = SourceConfig("world", http_server.url("/feed.xml"))
    http_server.put("/feed.xml", rss(items(1)))
    await poll(store, source, Caps(2000, 500))
    same = [("same", f"Take {n}", f"Body {n}.") for n in range(1000)]
    http_server.put("/feed.xml", rss(same + items(1)))
    result = await poll(store, source, Caps(2000, 500))
    assert (result.alerts, result.duplicates) == (1, 999)
    (alert,) = await stream(store)
    assert alert["item"]["title"] == "Take 0"
    assert await store.redis.hlen(store.keys.docs("world")) == 1
    http_server.put("/feed.xml", rss([*same[1:], same[0], *items(1)]))  # another comes first
    assert (await poll(store, source, Caps(2000, 500))).alerts == 0
