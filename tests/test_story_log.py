"""The story log in Redis and the assigner that decides against it (issue 16): real Redis.

Two assigners on one Redis stand for two daemons: each has its own connection, mirror and
turn token, as each process has.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis

from monitor.poll.outcome import Observer
from monitor.poll.stories import Assigner, report_of, story_field
from monitor.store import Store, connect
from monitor.store.storylog import PAGE, Line, StoryLog, Turn
from monitor.stories import Entry, Report, StoryRef, StorySettings, decode_entry, encode_entry
from monitor.stories.features import Features

HEADLINE = "Russia says some troops returning to bases after drills near Ukraine"
SETTINGS = StorySettings()


def copy(report_id: str, source: str, seen: float | None = None) -> Report:
    when = round(time.time(), 3) if seen is None else seen  # the log's precision
    return Report(report_id, source, when, HEADLINE, "The defence ministry said units would go.")


def other(report_id: str, source: str, title: str = "Floods close schools in Valencia") -> Report:
    return Report(report_id, source, time.time(), title, "Rain fell all night.")


class Counted(Observer):
    """The stories an assigner reports as written."""

    def __init__(self) -> None:
        self.refs: list[StoryRef] = []

    def storied(self, refs: Any) -> None:
        self.refs += refs


@pytest.fixture
async def second(redis_url: str, prefix: str) -> AsyncIterator[Store]:
    """Another daemon's connection to the same Redis and prefix."""
    client = connect(redis_url)
    yield Store(client, prefix)
    await client.aclose()


TROOPS = Features((1,), ())  # one term: what the entries carry does not matter here


async def log_entries(store: Store) -> list[Entry]:
    return [decode_entry(line) for _id, line in await store.stories.read("0-0") if "[" in line]


async def test_the_append_script_refuses_when_the_log_moved_on(store: Store) -> None:
    """An append names the last entry its caller applied; one made since refuses it, and a
    caller that applied it can append. Story starts are counted by source."""
    line = Line(encode_entry(Entry("a1", "s-a1", "wire", 1.0, TROOPS)), True, "wire")
    first = await store.stories.append("0-0", "t", 60_000, [line])
    assert first is not None and len(first) == 1
    assert await store.stories.append("0-0", "t", 60_000, [line]) is None
    join = Line(encode_entry(Entry("b1", "s-a1", "desk", 2.0, TROOPS)), False, "desk")
    assert await store.stories.append(first[0], "t", 60_000, [join]) is not None
    assert await store.stories.length() == 2
    assert await store.stories.firsts() == {"wire": 1}


async def test_copies_decided_by_two_daemons_at_once_are_one_story(
    store: Store, second: Store
) -> None:
    a, b = Assigner(store.stories, SETTINGS), Assigner(second.stories, SETTINGS)
    reports = [copy(f"r{i}", f"src{i}") for i in range(8)]
    refs = await asyncio.gather(
        *(
            (a if i % 2 else b).assign([r])
            for i, r in enumerate(reports)  # each its own poll, half on each daemon
        )
    )
    stories = {ref.id for (ref,) in refs}
    assert len(stories) == 1
    assert sorted(ref.sources for (ref,) in refs) == list(range(1, 9))
    assert sum(ref.first for (ref,) in refs) == 1
    # Each report once in the log, in the order it was decided: each saw those before it.
    sources = {r.id: ref.sources for r, (ref,) in zip(reports, refs, strict=True)}
    assert [sources[e.report] for e in await log_entries(store)] == list(range(1, 9))
    first = next(r.source for r, (ref,) in zip(reports, refs, strict=True) if ref.first)
    assert await store.stories.firsts() == {first: 1}


class Rivalled(StoryLog):
    """A story log on which, once, another daemon appends between this assigner's reading of
    the log and its append: the turn expired under it (a long pause), and the rival took it."""

    def __init__(self, store: Store, rival: Callable[[], Awaitable[object]]) -> None:
        super().__init__(store.redis, store.keys)
        self.rival: Callable[[], Awaitable[object]] | None = rival
        self.refused = 0

    async def take_turn(self, token: str, ttl_ms: int, after: str, count: int = PAGE) -> Turn:
        turn = await super().take_turn(token, ttl_ms, after, count)
        if turn.held and self.rival is not None:
            rival, self.rival = self.rival, None
            await self.redis.delete(self.keys.story_turn)
            await rival()
        return turn

    async def append(self, after: str, token: str, keep_ms: int, lines: Any) -> Any:
        ids = await super().append(after, token, keep_ms, lines)
        self.refused += ids is None
        return ids


async def test_a_refused_append_reads_the_log_again_and_joins_the_rivals_story(
    store: Store, second: Store
) -> None:
    rival = Assigner(second.stories, SETTINGS)
    await Assigner(store.stories, SETTINGS).assign([other("x", "elsewhere")])
    storylog = Rivalled(store, lambda: rival.assign([copy("r-rival", "rival")]))
    counted = Counted()
    mine = Assigner(storylog, SETTINGS, observer=counted)
    # The mirror is read, and the rival appends before this assigner's own append.
    await mine.assign([other("y", "elsewhere2", "Chess champion retires at forty")])
    assert storylog.refused == 1
    (ref,) = await mine.assign([copy("r-mine", "mine")])
    assert (ref.first, ref.sources, ref.first_source) == (False, 2, "rival")
    entries = await log_entries(store)
    assert [e.report for e in entries] == ["x", "r-rival", "y", "r-mine"]
    assert [r.first for r in counted.refs] == [True, False]


async def test_a_report_assigned_again_keeps_its_story_and_is_not_logged_twice(
    store: Store, second: Store
) -> None:
    """A commit that failed after its story was assigned is retried with the same alert id,
    maybe by another daemon: the same story, and the log and counts unchanged."""
    (first,) = await Assigner(store.stories, SETTINGS).assign([copy("r1", "wire")])
    (joined,) = await Assigner(store.stories, SETTINGS).assign([copy("r2", "desk")])
    counted = Counted()
    retry = Assigner(second.stories, SETTINGS, observer=counted)
    again = await retry.assign([copy("r1", "wire"), copy("r2", "desk")])
    assert again == [first, joined]
    assert (first.first, joined.first, joined.sources) == (True, False, 2)
    assert len(await log_entries(store)) == 2
    assert await store.stories.firsts() == {"wire": 1}
    assert counted.refs == []


async def redis_ms(client: aioredis.Redis) -> float:
    seconds, micros = await client.time()
    return seconds * 1000 + micros / 1000


async def test_the_log_is_trimmed_past_the_window_and_a_late_copy_starts_a_new_story(
    store: Store, redis_url: str
) -> None:
    window = 60.0
    settings = StorySettings(window=window)
    assigner = Assigner(store.stories, settings)
    assigner.keep = 0.3  # seconds of log kept: the test waits for Redis's clock to pass it
    now = time.time()
    (old,) = await assigner.assign([copy("r1", "wire", now - 2 * window)])
    (later,) = await assigner.assign([copy("r2", "desk", now)])
    assert later.first and later.id != old.id  # past the window of the story's last report
    written = await redis_ms(store.redis)
    while await redis_ms(store.redis) < written + 400:
        await asyncio.sleep(0.05)
    await assigner.assign([other("r3", "elsewhere")])
    assert [e.report for e in await log_entries(store)] == ["r3"]
    fresh = Assigner(store.stories, settings)  # a daemon started now reads what is left
    (late,) = await fresh.assign([copy("r4", "agency", now)])
    assert late.first and late.id not in (old.id, later.id)


async def test_a_malformed_log_entry_is_skipped(store: Store) -> None:
    await store.redis.xadd(store.keys.stories, {"e": "not json"})
    await store.redis.xadd(store.keys.stories, {"e": json.dumps([1, 2])})
    (ref,) = await Assigner(store.stories, SETTINGS).assign([copy("r1", "wire")])
    assert ref.first
    assert [line[:6] for _id, line in await store.stories.read("0-0")] == [
        "not js",
        "[1, 2]",
        '["r1",',
    ]


def test_an_alerts_report_is_its_item_or_its_block_seen_when_published_if_plausible() -> None:
    now = 1_700_000_000.0
    detected = "2023-11-14T22:13:20.000Z"  # now
    item_alert = {
        "id": "i1",
        "type": "item.new",
        "source": "wire",
        "detected_at": detected,
        "item": {"title": "T", "text": "word " * 1000, "published": "2023-11-14T21:13:20Z"},
        "block": None,
    }
    report = report_of(item_alert, now, 48 * 3600)
    assert (report.title, report.seen, len(report.text.split())) == ("T", now - 3600, 300)
    block_alert = {
        "id": "b1",
        "type": "block.new",
        "source": "live",
        "detected_at": detected,
        "item": {"title": "Live: page", "url": "", "id": "p"},
        "block": {"headline": "H", "text": "Body.", "published": "2030-01-01T00:00:00Z"},
    }
    report = report_of(block_alert, now, 48 * 3600)
    assert (report.title, report.text, report.seen) == ("H", "Body.", now)  # future: detected
    block_alert["block"]["published"] = "2020-01-01T00:00:00"  # older than the window
    assert report_of(block_alert, now, 48 * 3600).seen == now


def test_the_story_field_gives_the_first_time_in_utc_with_z() -> None:
    field = story_field(StoryRef("s-1", True, 1, "wire", 1_700_000_000.25))
    assert field == {
        "id": "s-1",
        "first": True,
        "sources": 1,
        "first_source": "wire",
        "first_seen": "2023-11-14T22:13:20.250Z",
    }


async def test_the_turn_is_one_assigners_at_a_time_and_its_own_again(store: Store) -> None:
    """While one assigner holds the turn, no one else appends (a lone report's append cannot
    cut into its decisions); a turn left by its holder (an append whose reply was lost) is its
    own to take again; another waits for it, reading the log meanwhile."""
    line = Line(encode_entry(Entry("a1", "s-a1", "wire", 1.0, TROOPS)), True, "wire")
    assert (await store.stories.take_turn("mine", 5000, "0-0")).held
    assert await store.stories.append("0-0", "someone", 60_000, [line]) is None
    theirs = await store.stories.take_turn("theirs", 5000, "0-0")
    assert not theirs.held and 0 < theirs.wait_ms <= 5000
    assert (await store.stories.take_turn("mine", 5000, "0-0")).held
    (written,) = await store.stories.append("0-0", "mine", 60_000, [line]) or []
    after = await store.stories.take_turn("theirs", 5000, "0-0")  # the append ended the turn
    assert after.held and after.entries == [(written, line.text)]
