"""Bounds on one poll (issue 21): items looked at, alerts per poll, one document per guid.

Real Redis, real HTTP over loopback. What is over a cap is counted in the poll's result and
its log line, and the new items past the alert cap are alerted on by the next polls, each
exactly once and with the id an uncapped poll gives the same change.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from typing import Any

from structlog.testing import capture_logs

from monitor.config import SourceConfig
from monitor.poll.feeditems import NO_CAPS, Caps
from monitor.poll.fetch import Fetcher
from monitor.poll.outcome import PollResult
from monitor.poll.pipeline import Poller
from monitor.query import Matcher
from monitor.store import Commit, Lease, Store
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


class LeaseTakenBetweenPieces(Store):
    """Another daemon takes the lease right after the first piece of a commit lands: what a
    daemon that stalls (or dies) between pieces looks like to Redis once its lease expires."""

    def __init__(self, store: Store, piece: int) -> None:
        super().__init__(store.redis, store.keys.prefix, piece=piece)
        self.sent: list[tuple[int, int, bool, bool]] = []  # states, alerts, final, committed
        self.taken = False

    async def commit_piece(self, piece: Commit) -> bool:
        done = await super().commit_piece(piece)
        self.sent.append((len(piece.states), len(piece.alerts), piece.final, done))
        if not piece.final and not self.taken:
            self.taken = True
            await self.redis.hset(self.keys.leases, piece.source, "another-daemon")
        return done


async def leased(store: Store, source: SourceConfig, token: str) -> Lease:
    await store.redis.hset(store.keys.leases, source.name, token)
    return Lease(source.name, token, 0.0)


async def test_a_commit_cut_short_between_pieces_loses_and_repeats_nothing(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """50 new items committed in pieces of 12 (6 documents and their 6 alerts); the lease is
    lost after the first: 6 alerts stay, the poll is not recorded, and the next poll commits
    exactly the other 44, in pieces of at most 12."""
    source = SourceConfig("world", http_server.url("/feed.xml"))
    pieced = LeaseTakenBetweenPieces(store, piece=12)
    http_server.put("/feed.xml", rss(items(1)))
    async with Fetcher(timeout=5) as fetcher:
        poller = Poller(pieced, fetcher, lambda: MATCHER, caps=Caps(100, 500))
        await poller.poll(source)
        http_server.put("/feed.xml", rss(items(50, start=1) + items(1)))
        cut = await poller.poll(source, await leased(store, source, "first"))
        assert cut.status == "lease_lost"
        assert pieced.sent == [(0, 0, True, True), (6, 6, False, True), (6, 6, False, False)]
        assert len(await stream(store)) == 6
        pieced.sent.clear()
        again = await poller.poll(source, await leased(store, source, "second"))
    assert (again.status, again.alerts, again.items) == ("changed", 44, 50)  # 6 were committed
    assert all(states + alerts <= 12 for states, alerts, _final, _done in pieced.sent[1:])
    assert [final for *_, final, _done in pieced.sent[1:]][-1] is True
    alerts = await stream(store)
    assert len(alerts) == len({a["id"] for a in alerts}) == 50
    assert {a["item"]["title"] for a in alerts} == {f"Story {n}" for n in range(1, 51)}
    assert await store.redis.hget(store.keys.leases, "world") is None  # released at the end


DIES_AFTER_ONE_PIECE = """
import asyncio, os, signal, sys
from monitor.config import SourceConfig
from monitor.poll.fetch import Fetcher
from monitor.poll.feeditems import Caps
from monitor.poll.pipeline import Poller
from monitor.query import Matcher
from monitor.store import Lease, Store, connect

class Dying(Store):
    async def commit_piece(self, piece):
        done = await super().commit_piece(piece)
        if not piece.final:
            os.kill(os.getpid(), signal.SIGKILL)
        return done

async def main(url, prefix, feed, token):
    store = Dying(connect(url), prefix, piece=12)
    async with Fetcher(timeout=5) as fetcher:
        poller = Poller(store, fetcher, lambda: Matcher([]), caps=Caps(100, 500))
        await poller.poll(SourceConfig("world", feed), Lease("world", token, 0.0))

asyncio.run(main(*sys.argv[1:]))
"""


async def test_a_daemon_killed_between_pieces_loses_and_repeats_nothing(
    store: Store, http_server: LocalHTTPServer, redis_url: str
) -> None:
    """A real process SIGKILLed after the first piece of its commit: the next poll, under a
    new lease, commits exactly the alerts the dead one had not."""
    source = SourceConfig("world", http_server.url("/feed.xml"))
    http_server.put("/feed.xml", rss(items(1)))
    await poll(store, source, Caps(100, 500))
    http_server.put("/feed.xml", rss(items(50, start=1) + items(1)))
    await leased(store, source, "dying")
    args = [redis_url, store.keys.prefix, source.url, "dying"]
    child = subprocess.run([sys.executable, "-c", DIES_AFTER_ONE_PIECE, *args], timeout=120)
    assert child.returncode == -signal.SIGKILL
    assert len(await stream(store)) == 6
    async with Fetcher(timeout=5) as fetcher:
        poller = Poller(store, fetcher, lambda: MATCHER, caps=Caps(100, 500))
        again = await poller.poll(source, await leased(store, source, "next"))
    assert (again.status, again.alerts) == ("changed", 44)
    alerts = await stream(store)
    assert len(alerts) == len({a["id"] for a in alerts}) == 50
    assert {a["item"]["title"] for a in alerts} == {f"Story {n}" for n in range(1, 51)}


def test_capped_items_are_counted_in_the_metrics() -> None:
    from prometheus_client.parser import text_string_to_metric_families

    from monitor.daemon.metrics import Metrics

    metrics = Metrics()
    metrics.polled(PollResult("world", "changed", unread=71, deferred=50, duplicates=3))
    metrics.polled(PollResult("world", "changed", deferred=20))
    found = {
        s.labels["reason"]: s.value
        for family in text_string_to_metric_families(metrics.text().decode())
        for s in family.samples
        if s.name == "newsmon_feed_items_capped_total"
    }
    assert found == {"unread": 71, "deferred": 70, "duplicate": 3}
