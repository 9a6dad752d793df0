"""One poll end to end, in-process: real Redis, real HTTP over loopback, real parsing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import jsonschema
import redis.asyncio as aioredis

from monitor.config import SourceConfig
from monitor.poll.fetch import Fetcher
from monitor.poll.pipeline import Poller
from monitor.query import KeywordSpec, Matcher
from monitor.store import Store
from tests.feeds import liveblog, rss
from tests.httpserver import LocalHTTPServer
from tests.test_alerts import SCHEMA

MATCHER_SPECS = (
    KeywordSpec("sanctions", "sanction*"),
    KeywordSpec("pullback", 'troop* NEAR/6 (withdraw OR "pull back")'),
)
MATCHER = Matcher(MATCHER_SPECS)
ITEM_A = ("a", "Talks in Geneva", "Diplomats met for a third day.")
ITEM_B = ("b", "EU readies sanctions", "Ministers agreed new sanctions on Tuesday.")
UPD_1 = ("u1", "2022-02-15T09:00:00Z", "Markets steady", "European stocks opened flat.")
UPD_2 = (
    "u2",
    "2022-02-15T10:00:00Z",
    "Russia says troops will pull back",
    "The ministry said some troop units would pull back to their bases.",
)


async def stream(store: Store) -> list[dict[str, Any]]:
    entries = await store.redis.xrange(store.keys.stream)
    return [json.loads(fields["alert"]) for _id, fields in entries]


async def poll(store: Store, source: SourceConfig) -> Any:
    async with Fetcher(timeout=5) as fetcher:
        return await Poller(store, fetcher, lambda: MATCHER).poll(source)


async def test_feed_baseline_then_new_item_then_not_modified(
    store: Store, http_server: LocalHTTPServer
) -> None:
    http_server.put("/feed.xml", rss([ITEM_A]))
    source = SourceConfig("world", http_server.url("/feed.xml"))
    first = await poll(store, source)
    assert (first.status, first.alerts) == ("baseline", 0)

    http_server.put("/feed.xml", rss([ITEM_B, ITEM_A]))
    second = await poll(store, source)
    assert (second.status, second.alerts, second.skipped) == ("changed", 1, 1)
    (alert,) = await stream(store)
    jsonschema.validate(alert, SCHEMA)
    assert alert["type"] == "item.new" and alert["tier"] == 2
    assert alert["item"]["title"] == "EU readies sanctions"
    assert [t["name"] for t in alert["terms"]] == ["sanctions"]

    third = await poll(store, source)
    assert (third.status, third.http_status, third.alerts) == ("not_modified", 304, 0)
    sent = http_server.requests_for("/feed.xml")[-1]
    assert sent.header("If-None-Match") is not None
    assert len(await stream(store)) == 1


async def test_same_guid_with_grown_content_is_an_edit(
    store: Store, http_server: LocalHTTPServer
) -> None:
    http_server.put("/feed.xml", rss([ITEM_A]))
    source = SourceConfig("world", http_server.url("/feed.xml"))
    await poll(store, source)
    grown = ("a", "Talks in Geneva", "Diplomats met for a third day. Sanctions were raised.")
    http_server.put("/feed.xml", rss([grown]))
    result = await poll(store, source)
    (alert,) = await stream(store)
    assert result.alerts == 1
    assert alert["type"] == "block.edited"
    assert alert["terms"][0]["appeared"] is True


async def test_liveblog_page_new_block_on_every_channel(
    store: Store, http_server: LocalHTTPServer, redis_url: str
) -> None:
    http_server.put("/live", liveblog([UPD_1]), "text/html; charset=utf-8")
    source = SourceConfig("live", http_server.url("/live"), kind="page")
    assert (await poll(store, source)).status == "baseline"

    listener = aioredis.Redis.from_url(redis_url, decode_responses=True)
    pubsub = listener.pubsub()
    k = store.keys
    await pubsub.subscribe(k.alerts, k.source_channel("live"), k.term_channel("pullback"))
    await pubsub.get_message(timeout=1)
    http_server.put("/live", liveblog([UPD_2, UPD_1]), "text/html; charset=utf-8")
    result = await poll(store, source)
    assert (result.status, result.alerts) == ("changed", 1)
    got = {}
    for _ in range(20):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if message:
            got[message["channel"]] = json.loads(message["data"])
        if len(got) == 3:
            break
    await pubsub.aclose()
    await listener.aclose()
    assert set(got) == {k.alerts, k.source_channel("live"), k.term_channel("pullback")}
    alert = got[k.alerts]
    assert alert["type"] == "block.new"
    assert alert["block"]["id"] == "u2"
    assert alert["block"]["headline"] == "Russia says troops will pull back"


async def test_failures_are_values_and_recorded(store: Store, http_server: LocalHTTPServer) -> None:
    http_server.put("/gone", "nothing here", "text/plain", status=404)
    http_server.put("/html", "<html><body><p>not a feed</p></body></html>", "text/html")
    gone = await poll(store, SourceConfig("gone", http_server.url("/gone")))
    assert gone.status == "failed" and "404" in (gone.error or "")
    html = await poll(store, SourceConfig("html", http_server.url("/html")))
    assert html.status == "failed" and "feed" in (html.error or "")
    state = await store.load_source("gone")
    assert state.last_status == "failed" and "404" in (state.last_error or "")


async def test_redis_outage_during_a_poll_loses_nothing_and_duplicates_nothing(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """The commit is all or nothing: after an outage the next poll finds the same changes."""
    http_server.put("/feed.xml", rss([ITEM_A]))
    source = SourceConfig("world", http_server.url("/feed.xml"))
    await poll(store, source)
    http_server.put("/feed.xml", rss([ITEM_B, ITEM_A]))
    dead = Store(aioredis.Redis(host="127.0.0.1", port=1, decode_responses=True), store.keys.prefix)
    failed = await poll(dead, source)
    assert failed.status == "failed"
    assert await stream(store) == []
    assert (await poll(store, source)).alerts == 1
    assert (await poll(store, source)).alerts == 0
    assert len(await stream(store)) == 1


async def test_follow_links_tracks_the_live_page_of_each_new_item(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """A live blog that moves to a new URL every day is followed through its feed."""
    base = http_server.url("/")
    day1 = ("live-day1", "Ukraine live: day 1", "Follow our live coverage.")
    http_server.put("/feed.xml", rss([day1], base=base))
    http_server.put("/live-day1", liveblog([UPD_1]), "text/html; charset=utf-8")
    source = SourceConfig("world", http_server.url("/feed.xml"), follow_links=True)
    assert (await poll(store, source)).status == "baseline"

    # The feed does not change (304) while the page grows: the page is still polled.
    http_server.put("/live-day1", liveblog([UPD_2, UPD_1]), "text/html; charset=utf-8")
    grown = await poll(store, source)
    assert (grown.http_status, grown.status, grown.alerts) == (304, "changed", 1)
    (alert,) = await stream(store)
    assert alert["type"] == "block.new" and alert["block"]["id"] == "u2"
    assert alert["item"]["id"] == "page:" + http_server.url("/live-day1")

    # Nothing changed anywhere: conditional GETs all round, nothing alerted.
    quiet = await poll(store, source)
    assert (quiet.status, quiet.alerts) == ("not_modified", 0)
    assert http_server.requests_for("/live-day1")[-1].status == 304

    # Day 2: a new item announces a new page; its existing blocks are its baseline.
    day2 = ("live-day2", "Ukraine live: day 2", "Follow our live coverage.")
    update = ("d2", "2022-02-16T08:00:00Z", "Talks resume", "Diplomats met again on Wednesday.")
    http_server.put("/live-day2", liveblog([update]), "text/html; charset=utf-8")
    http_server.put("/feed.xml", rss([day2, day1], base=base))
    await poll(store, source)
    assert [a["type"] for a in (await stream(store))[1:]] == ["item.new"]
    later = ("d3", "2022-02-16T09:00:00Z", "Sanctions widened", "The EU widened sanctions.")
    http_server.put("/live-day2", liveblog([later, update]), "text/html; charset=utf-8")
    assert (await poll(store, source)).alerts == 1
    newest = (await stream(store))[-1]
    assert newest["block"]["headline"] == "Sanctions widened"
    assert [t["name"] for t in newest["terms"]] == ["sanctions"]


async def test_many_polls_at_once_share_the_redis_pool(
    redis_url: str, prefix: str, tmp_path: Any
) -> None:
    """More polls in flight than pooled connections wait their turn instead of failing."""
    from monitor.store import connect

    sources = []
    for i in range(150):
        path = tmp_path / f"feed{i}.xml"
        path.write_text(rss([(f"g{i}", f"Item {i}", "Body text.")]), encoding="utf-8")
        sources.append(SourceConfig(f"feed{i}", str(path)))
    client = connect(redis_url, max_connections=8)
    store = Store(client, prefix)
    try:
        async with Fetcher(timeout=5) as fetcher:
            poller = Poller(store, fetcher, lambda: MATCHER)
            results = await asyncio.gather(*(poller.poll(s) for s in sources))
    finally:
        await client.aclose()
    assert [r.status for r in results] == ["baseline"] * 150


async def test_a_cheap_baseline_parses_old_items_only_when_they_are_edited(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """The first poll parses no item; later, a new item needs no old version, an edited one
    gets its old version from the kept body, and the body goes once its items have left."""
    http_server.put("/feed.xml", rss([ITEM_B, ITEM_A]))
    source = SourceConfig("world", http_server.url("/feed.xml"))
    first = await poll(store, source)
    assert (first.status, first.items, first.alerts) == ("baseline", 2, 0)
    assert (await store.activity(["world"]))[0][0] == 0  # documents remembered
    assert await store.load_pending("world") is not None

    item_c = ("c", "Talks resume", "Negotiators returned to the table.")
    http_server.put("/feed.xml", rss([item_c, ITEM_B, ITEM_A]))
    await poll(store, source)
    assert [a["type"] for a in await stream(store)] == ["item.new"]
    assert await store.load_pending("world") is not None  # A and B may still be edited

    edited_b = ("b", ITEM_B[1], ITEM_B[2] + " More sanctions followed in March.")
    http_server.put("/feed.xml", rss([item_c, edited_b, ITEM_A]))
    await poll(store, source)
    edit = (await stream(store))[-1]
    assert edit["type"] == "block.edited" and edit["item"]["title"] == ITEM_B[1]
    (term,) = edit["terms"]
    assert (term["name"], term["before"], term["after"]) == ("sanctions", 2, 3)

    http_server.put("/feed.xml", rss([("d", "Later", "Another day."), item_c]))
    await poll(store, source)
    assert await store.load_pending("world") is None
    assert len(await stream(store)) == 3


async def test_a_permanent_redirect_is_followed_from_then_on(
    store: Store, http_server: LocalHTTPServer
) -> None:
    http_server.put("/new.xml", rss([ITEM_A]))
    http_server.redirect("/old.xml", "/new.xml", status=301)
    http_server.redirect("/temp.xml", "/new.xml", status=302)
    moved = SourceConfig("moved", http_server.url("/old.xml"))
    await poll(store, moved)
    await poll(store, moved)
    assert len(http_server.requests_for("/old.xml")) == 1  # asked once, then the new place
    state = await store.load_source("moved")
    assert state.raw["moved_to"] == http_server.url("/new.xml")
    temporary = SourceConfig("temporary", http_server.url("/temp.xml"))
    await poll(store, temporary)
    await poll(store, temporary)
    assert len(http_server.requests_for("/temp.xml")) == 2  # a 302 is asked again every time
    assert "moved_to" not in (await store.load_source("temporary")).raw
    edited = SourceConfig("moved", http_server.url("/elsewhere.xml"))
    http_server.put("/elsewhere.xml", rss([ITEM_B]))
    await poll(store, edited)  # the definition changed: its own URL again
    assert len(http_server.requests_for("/elsewhere.xml")) == 1


async def test_invalid_utf8_and_control_characters_in_a_feed_reach_no_alert(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """lxml refused the feed for its one bad byte, feedparser then read it as windows-1252
    ("Café" became "CafÃ©"), and a NUL (raw or &#0;) stayed in the alert's text."""
    http_server.put("/feed.xml", rss([ITEM_A]))
    source = SourceConfig("world", http_server.url("/feed.xml"))
    assert (await poll(store, source)).status == "baseline"
    item = ("c", "Café \x00sanctions", "Ministers — agreed &#0;new\x01 sanctions.\x7f")
    body = rss([item, ITEM_A]).encode("utf-8").replace(b"Ministers", b"Minis\xffters")
    http_server.put("/feed.xml", body)
    assert (await poll(store, source)).alerts == 1
    (alert,) = await stream(store)
    assert alert["item"]["title"] == "Café sanctions"
    assert alert["item"]["text"].endswith("Minis\ufffdters - agreed \ufffdnew sanctions.")
    every = json.dumps(alert, ensure_ascii=False)  # &#0; is U+FFFD, as HTML reads it
    assert "Ã" not in every and not any(c in every for c in "\x00\x01\x7f")


async def test_a_keyword_past_its_work_limit_is_reported_by_the_poll(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """A query that reaches the matcher's work limit on a block is named in the poll's result
    (and so its log line), while the other keywords match as usual."""
    matcher = Matcher(
        [KeywordSpec("chain", "troop* NEAR/50 troop* NEAR/50 troop*"), MATCHER_SPECS[0]],
        work_limit=50,
    )
    http_server.put("/live", liveblog([UPD_1]), "text/html; charset=utf-8")
    source = SourceConfig("live", http_server.url("/live"), kind="page")
    async with Fetcher(timeout=5) as fetcher:
        poller = Poller(store, fetcher, lambda: matcher)
        assert (await poller.poll(source)).limited == ()
        flood = ("u9", "2022-02-15T11:00:00Z", "Troops and sanctions", "troops " * 300)
        http_server.put("/live", liveblog([flood, UPD_1]), "text/html; charset=utf-8")
        result = await poller.poll(source)
    assert (result.status, result.limited) == ("changed", ("chain",))
    (alert,) = await stream(store)
    assert [t["name"] for t in alert["terms"]] == ["sanctions"]


async def test_a_block_deleted_inside_the_window_is_reported_by_the_next_poll(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """The first poll that misses a block inside the window holds it back (it may come back);
    the next poll reports it removed, even when the page has not changed since (a 304 or the
    same body used to skip the diff, so a blog that then went quiet never reported it)."""
    upd_3 = ("u3", "2022-02-15T11:00:00Z", "Talks resume", "Delegations met in Geneva.")
    http_server.put("/live", liveblog([upd_3, UPD_2, UPD_1]), "text/html; charset=utf-8")
    source = SourceConfig("live", http_server.url("/live"), kind="page")
    assert (await poll(store, source)).status == "baseline"
    http_server.put("/live", liveblog([upd_3, UPD_1]), "text/html; charset=utf-8")
    assert (await poll(store, source)).alerts == 0  # missing once: not yet sure
    seen = len(http_server.requests_for("/live"))
    result = await poll(store, source)  # the same page again
    assert (result.status, result.alerts) == ("changed", 1)
    (alert,) = await stream(store)
    assert (alert["type"], alert["block"]["id"]) == ("block.removed", "u2")
    assert len(http_server.requests_for("/live")) == seen + 1
    quiet = await poll(store, source)  # nothing pending now: validators again, and no diff
    assert (quiet.status, quiet.alerts) == ("not_modified", 0)


async def test_every_alert_carries_its_sources_tier(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """The tier comes from the source's definition at the poll, on feeds and pages alike."""
    http_server.put("/wire.xml", rss([ITEM_A]))
    http_server.put("/live", liveblog([UPD_1]), "text/html")
    wire = SourceConfig("wire", http_server.url("/wire.xml"), tier=1)
    live = SourceConfig("live", http_server.url("/live"), kind="page", tier=3)
    for source in (wire, live):
        assert (await poll(store, source)).status == "baseline"
    http_server.put("/wire.xml", rss([ITEM_B, ITEM_A]))
    http_server.put("/live", liveblog([UPD_2, UPD_1]), "text/html")
    for source in (wire, live):
        assert (await poll(store, source)).alerts == 1
    alerts = await stream(store)
    for alert in alerts:
        jsonschema.validate(alert, SCHEMA)
    assert [(a["source"], a["type"], a["tier"]) for a in alerts] == [
        ("wire", "item.new", 1), ("live", "block.new", 3)]  # fmt: skip


async def test_a_block_that_scrolled_off_the_end_is_never_removed(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """A windowed page drops its oldest update as a new one arrives: over the polls after,
    changed or not, that update is never reported removed and nothing is held pending."""
    upd_3 = ("u3", "2022-02-15T11:00:00Z", "Talks resume", "Delegations met in Geneva.")
    http_server.put("/live", liveblog([UPD_2, UPD_1]), "text/html; charset=utf-8")
    source = SourceConfig("live", http_server.url("/live"), kind="page")
    assert (await poll(store, source)).status == "baseline"
    http_server.put("/live", liveblog([upd_3, UPD_2]), "text/html; charset=utf-8")
    assert (await poll(store, source)).alerts == 1  # u3 new; u1 has scrolled off the end
    polls = [await poll(store, source) for _ in range(3)]
    assert [(p.status, p.alerts) for p in polls] == [("not_modified", 0)] * 3
    assert [(a["type"], a["block"]["id"]) for a in await stream(store)] == [("block.new", "u3")]


async def test_a_block_that_flickers_away_for_one_poll_is_never_alerted(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """A block missing from one poll (a CDN serving a stale copy, an edit in progress) and back
    on the next gives no alert at all, and the page is then quiet again (nothing pending)."""
    upd_3 = ("u3", "2022-02-15T11:00:00Z", "Talks resume", "Delegations met in Geneva.")
    whole = liveblog([upd_3, UPD_2, UPD_1])
    http_server.put("/live", whole, "text/html; charset=utf-8")
    source = SourceConfig("live", http_server.url("/live"), kind="page")
    assert (await poll(store, source)).status == "baseline"
    http_server.put("/live", liveblog([upd_3, UPD_1]), "text/html; charset=utf-8")
    assert (await poll(store, source)).alerts == 0
    http_server.put("/live", whole, "text/html; charset=utf-8")
    back = await poll(store, source)
    assert back.alerts == 0
    later = [await poll(store, source) for _ in range(2)]
    assert [(p.status, p.alerts) for p in later] == [("not_modified", 0)] * 2
    assert await stream(store) == []
