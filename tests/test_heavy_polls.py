"""Heavy polls in-process (real Redis, real HTTP over loopback): the poll deadline, big texts
diffed and matched in the worker pool, and the bound on how much of a block is matched."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from monitor.config import SourceConfig
from monitor.models import BlockState
from monitor.poll.alerts import ALERT_TEXT, MATCH_TEXT, block_text
from monitor.poll.changes import hit_key
from monitor.poll.fetch import Fetcher
from monitor.poll.pipeline import Poller
from monitor.store import Store
from tests.feeds import liveblog, rss
from tests.httpserver import LocalHTTPServer
from tests.test_pipeline import MATCHER

P = ParamSpec("P")
T = TypeVar("T")


class CountingPool(ThreadPoolExecutor):
    """A real thread pool that records the names of the functions it was given."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.ran: list[str] = []

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        self.ran.append(getattr(fn, "__name__", repr(fn)))
        return super().submit(fn, *args, **kwargs)


async def test_a_poll_past_its_deadline_fails_as_overrun_and_commits_nothing(
    store: Store, http_server: LocalHTTPServer
) -> None:
    http_server.put("/feed.xml", rss([("a", "First", "Sanctions.")]), delay=3.0)
    source = SourceConfig("slow", http_server.url("/feed.xml"))
    async with Fetcher(timeout=10) as fetcher:
        poller = Poller(store, fetcher, lambda: MATCHER, deadline=0.5)
        late = await poller.poll(source)
        state = await store.load_source("slow")
        assert (late.status, late.failure_class, late.failures) == ("failed", "overrun", 1)
        assert late.error is not None and "deadline of 0.5s" in late.error
        assert (state.failure_class, state.baselined) == ("overrun", False)
        http_server.put("/feed.xml", rss([("a", "First", "Sanctions.")]))
        on_time = await poller.poll(source)
    assert on_time.status == "baseline"
    assert (await store.load_source("slow")).failures == 0


def _updates(count: int, extra: list[tuple[str, str, str, str]]) -> str:
    filler = "Markets were steady through the morning in every capital. " * 30
    old = [(f"u{i}", "2022-02-15T09:00:00Z", f"Update {i}", filler) for i in range(count)]
    return liveblog([*extra, *old])


async def test_big_texts_are_diffed_and_matched_in_the_pool_and_their_hits_kept(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """60 blocks of 1.8 KB (over the inline limit): the diff and match of each poll run in the
    pool; the hits found there come back to the poller's cache, and the alert is the same."""
    http_server.put("/live", _updates(60, []), "text/html; charset=utf-8")
    source = SourceConfig("live", http_server.url("/live"), "page")
    pool = CountingPool()
    new = ("n1", "2022-02-15T10:00:00Z", "New sanctions", "Ministers agreed new sanctions.")
    try:
        async with Fetcher(timeout=10) as fetcher:
            poller = Poller(store, fetcher, lambda: MATCHER, executor=pool)
            assert (await poller.poll(source)).status == "baseline"
            http_server.put("/live", _updates(60, [new]), "text/html; charset=utf-8")
            changed = await poller.poll(source)
    finally:
        pool.shutdown()
    assert (changed.status, changed.alerts) == ("changed", 1)
    assert pool.ran.count("detect_apart") == 2
    docs = await store.load_docs("live", [source.url])
    keys = [hit_key(b) for b in docs[source.url].blocks]
    assert len(poller.cache.known(MATCHER, "live", keys)) == 61  # every block matched once, kept
    entries = await store.redis.xrange(store.keys.stream)
    (alert,) = [json.loads(fields["alert"]) for _id, fields in entries]
    assert alert["type"] == "block.new" and alert["block"]["headline"] == "New sanctions"
    assert [(t["name"], t["before"], t["after"]) for t in alert["terms"]] == [("sanctions", 0, 2)]


def _block(text: str) -> BlockState:
    return BlockState("b", "", text, None, "h", "f")


def test_a_keyword_past_the_matched_length_of_a_block_is_not_matched() -> None:
    """A block is matched in its first MATCH_TEXT characters: a 10 MB block costs no more."""
    padding = "calm " * (MATCH_TEXT // 5)
    assert len(block_text(_block(padding * 100 + "sanctions"))) == MATCH_TEXT
    assert MATCHER.match(block_text(_block(padding[:-20] + " sanctions"))) != {}
    assert MATCHER.match(block_text(_block(padding + " sanctions"))) == {}


async def test_an_alert_carries_at_most_the_matched_part_of_a_huge_block(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """The alert of a 300 KB block holds its first ALERT_TEXT characters, not all of it."""
    http_server.put("/live", _updates(2, []), "text/html; charset=utf-8")
    source = SourceConfig("live", http_server.url("/live"), "page")
    huge = ("n1", "2022-02-15T10:00:00Z", "New sanctions", "More sanctions today. " * 14_000)
    async with Fetcher(timeout=10) as fetcher:
        poller = Poller(store, fetcher, lambda: MATCHER)
        assert (await poller.poll(source)).status == "baseline"
        http_server.put("/live", _updates(2, [huge]), "text/html; charset=utf-8")
        assert (await poller.poll(source)).alerts == 1
    entries = await store.redis.xrange(store.keys.stream)
    (alert,) = [json.loads(fields["alert"]) for _id, fields in entries]
    assert len(alert["block"]["text"]) == ALERT_TEXT
    assert alert["block"]["text"].startswith("More sanctions today.")
