"""Stories in one poll (issue 16): the alerts of a poll get their story before the commit.
Real Redis, real HTTP over loopback, real parsing."""

from __future__ import annotations

import socket

import jsonschema

from monitor.config import SourceConfig
from monitor.poll.fetch import Fetcher
from monitor.poll.pipeline import Poller
from monitor.poll.stories import Assigner
from monitor.query import Matcher
from monitor.store import Lease, Store, connect
from monitor.store.storylog import StoryLog
from monitor.stories import StorySettings, decode_entry
from tests.feeds import rss
from tests.httpserver import LocalHTTPServer
from tests.test_alerts import SCHEMA
from tests.test_pipeline import stream

OLD = ("old", "Markets steady in Asia", "Stocks opened flat.")
COPY_A = ("wire-1", "Russia says some troops returning to bases", "Units head home after drills.")
COPY_B = ("desk-9", "Russia says some troops are returning to bases", "After drills, units go.")


def poller(store: Store, fetcher: Fetcher, assigner: Assigner | None) -> Poller:
    return Poller(store, fetcher, lambda: Matcher([]), stories=assigner)


async def baselined(store: Store, http_server: LocalHTTPServer, fetcher: Fetcher) -> None:
    for name in ("wire", "desk"):
        http_server.put(f"/{name}.xml", rss([OLD]))
        await poller(store, fetcher, None).poll(SourceConfig(name, http_server.url(f"/{name}.xml")))


async def test_copies_in_two_sources_are_one_story_on_their_alerts(
    store: Store, http_server: LocalHTTPServer
) -> None:
    async with Fetcher(timeout=5) as fetcher:
        await baselined(store, http_server, fetcher)
        http_server.put("/wire.xml", rss([COPY_A, OLD]))
        http_server.put("/desk.xml", rss([COPY_B, OLD]))
        polls = poller(store, fetcher, Assigner(store.stories, StorySettings()))
        await polls.poll(SourceConfig("wire", http_server.url("/wire.xml")))
        await polls.poll(SourceConfig("desk", http_server.url("/desk.xml")))
    first, second = await stream(store)
    for alert in (first, second):
        jsonschema.validate(alert, SCHEMA)
    assert first["story"]["id"] == second["story"]["id"]
    assert (first["story"]["first"], second["story"]["first"]) == (True, False)
    assert [a["story"]["sources"] for a in (first, second)] == [1, 2]
    assert second["story"]["first_source"] == "wire"
    assert second["story"]["first_seen"] == first["story"]["first_seen"]
    assert first["story"]["first_seen"].endswith("Z")
    assert await store.stories.firsts() == {"wire": 1}


async def test_a_commit_that_failed_after_its_story_was_assigned_keeps_that_story(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """The lease is lost at the commit: nothing is on the stream, but the story is logged; the
    retry (another daemon's assigner) gives the same alert the story logged for it, once."""
    async with Fetcher(timeout=5) as fetcher:
        await baselined(store, http_server, fetcher)
        http_server.put("/wire.xml", rss([COPY_A, OLD]))
        source = SourceConfig("wire", http_server.url("/wire.xml"))
        await store.redis.hset(store.keys.leases, "wire", "another-daemon")
        polls = poller(store, fetcher, Assigner(store.stories, StorySettings()))
        lost = await polls.poll(source, Lease("wire", "mine", 0.0))
        assert lost.status == "lease_lost"
        assert await stream(store) == []
        (logged,) = [decode_entry(line) for _id, line in await store.stories.read("0-0")]
        retry = poller(store, fetcher, Assigner(store.stories, StorySettings()))
        done = await retry.poll(source, Lease("wire", "another-daemon", 0.0))
    assert done.status == "changed"
    (alert,) = await stream(store)
    assert (alert["id"], alert["story"]["id"]) == (logged.report, logged.story)
    assert alert["story"]["first"] is True
    assert await store.stories.length() == 1


def refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_redis_failing_at_the_assignment_fails_the_poll_and_commits_nothing(
    store: Store, http_server: LocalHTTPServer
) -> None:
    async with Fetcher(timeout=5) as fetcher:
        await baselined(store, http_server, fetcher)
        http_server.put("/wire.xml", rss([COPY_A, OLD]))
        source = SourceConfig("wire", http_server.url("/wire.xml"))
        down = connect(f"redis://127.0.0.1:{refused_port()}/0")
        try:
            unreachable = StoryLog(down, store.keys)
            failed = await poller(store, fetcher, Assigner(unreachable, StorySettings())).poll(
                source
            )
        finally:
            await down.aclose()
        assert failed.status == "failed" and "Redis" in (failed.error or "")
        assert await stream(store) == []
        state = await store.load_source("wire")
        assert state.failures == 0  # not the source's failure: retried as it was
        again = await poller(store, fetcher, Assigner(store.stories, StorySettings())).poll(source)
    assert (again.status, again.alerts) == ("changed", 1)
    (alert,) = await stream(store)
    assert alert["story"]["first"] is True


async def test_without_stories_no_alert_has_a_story_and_no_story_key_is_written(
    store: Store, http_server: LocalHTTPServer
) -> None:
    async with Fetcher(timeout=5) as fetcher:
        await baselined(store, http_server, fetcher)
        http_server.put("/wire.xml", rss([COPY_A, OLD]))
        await poller(store, fetcher, None).poll(SourceConfig("wire", http_server.url("/wire.xml")))
    (alert,) = await stream(store)
    assert "story" not in alert
    keys = [store.keys.stories, store.keys.story_firsts, store.keys.story_turn]
    assert await store.redis.exists(*keys) == 0
