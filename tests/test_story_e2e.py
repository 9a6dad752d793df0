"""Stories across real daemons (issue 16): real ``newsmon run`` processes, real Redis, real HTTP.

Two daemons share eight feeds; every feed carries a copy of one wire story at the same moment:
the feed server holds each answer that carries it until all eight feeds were asked, then gives
them all at once, so both daemons decide their copies together. The stream must hold every
alert once, all of one story, its sources counted 1 to 8 in the order the log took them.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import redis
from aiohttp import web

from tests.httpserver import LocalHTTPServer, Resource, _not_modified
from tests.test_alerts import SCHEMA
from tests.test_e2e import Newsmon, stream_alerts, wait_for
from tests.test_scaleout import Feeds, Fleet, baselined, config_for, make_feeds, serve

pytestmark = pytest.mark.e2e

WIRE = "Russia says some troops returning to bases after drills near Ukraine"


class Gate(LocalHTTPServer):
    """A feed server that holds the answers carrying ``word`` until ``count`` feeds have been
    asked for theirs, then sends them all at once."""

    def __init__(self) -> None:
        super().__init__()
        self.word = b""
        self.count = 0
        self.asked: set[str] = set()
        self.opened = asyncio.Event()

    def hold(self, word: str, count: int) -> None:
        self.word, self.count, self.asked = word.encode(), count, set()
        self.opened = asyncio.Event()

    async def _respond(self, request: web.Request, resource: Resource | None) -> Any:
        if self._held(request, resource):
            self.asked.add(request.path)
            if len(self.asked) >= self.count:
                self.opened.set()
            await asyncio.wait_for(self.opened.wait(), 20)
        return await super()._respond(request, resource)

    def _held(self, request: web.Request, resource: Resource | None) -> bool:
        if resource is None or not self.word or self.word not in resource.body:
            return False
        return not _not_modified(request, resource)


@pytest.fixture
def gate() -> Iterator[Gate]:
    server = Gate()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def story_keys(redis_url: str, prefix: str) -> int:
    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.exists(f"{prefix}:stories", f"{prefix}:storyfirsts"))
    finally:
        client.close()


def carry(http_server: LocalHTTPServer, feeds: Feeds, title: str, tag: str) -> None:
    """Every feed gains its own copy of one story (a word or two apart), all at once."""
    for i, (name, items) in enumerate(feeds.items()):
        lede = "The defence ministry said units would go back." + " Officials" * (i % 3)
        items.append((f"{name}-{tag}", title if i % 2 else f"{title}, ministry says", lede))
    serve(http_server, feeds)


def test_two_daemons_given_copies_at_once_make_one_story_and_each_alert_once(
    tmp_path: Path, prefix: str, redis_url: str, gate: Gate, newsmon_cmd: list[str]
) -> None:
    http_server = gate
    feeds = make_feeds(8)
    serve(http_server, feeds)
    names = sorted(feeds)
    config = config_for(tmp_path, prefix, http_server, names)
    fleet = Fleet(Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": redis_url}), 2)
    try:
        wait_for(lambda: baselined(redis_url, prefix, names), "every baseline", 60, fleet.text)
        wait_for(lambda: all(fleet.polls(i) for i in range(2)), "polls by each daemon", 60)
        gate.hold("-wire<", 8)
        carry(http_server, feeds, WIRE, "wire")
        wait_for(lambda: len(stream_alerts(redis_url, prefix)) >= 8, "8 copies", 60, fleet.text)
        gate.hold("-floods<", 8)
        carry(http_server, feeds, "Floods close every school in Valencia", "floods")
        wait_for(lambda: len(stream_alerts(redis_url, prefix)) >= 16, "16 alerts", 60, fleet.text)
        by_daemon = [sum(p.get("alerts", 0) for p in fleet.polls(i)) for i in range(2)]
    finally:
        fleet.stop()
    alerts = stream_alerts(redis_url, prefix)
    assert len(alerts) == 16 and len({a["id"] for a in alerts}) == 16, "lost or repeated"
    assert all(by_daemon), f"one daemon committed every copy: {by_daemon}"
    for tag in ("wire", "floods"):
        copies = [a for a in alerts if a["item"]["id"].endswith(f"-{tag}")]
        for alert in copies:
            jsonschema.validate(alert, SCHEMA)
        assert len({a["story"]["id"] for a in copies}) == 1, _stories(copies)
        assert sorted(a["story"]["sources"] for a in copies) == list(range(1, 9))
        assert [a["story"]["first"] for a in copies].count(True) == 1
    wire = [a for a in alerts if a["item"]["id"].endswith("-wire")]
    assert wire[0]["story"]["id"] != alerts[-1]["story"]["id"]
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        firsts = Counter({k: int(v) for k, v in client.hgetall(f"{prefix}:storyfirsts").items()})
        logged = [json.loads(f["e"])[0] for _id, f in client.xrange(f"{prefix}:stories")]
    finally:
        client.close()
    assert sum(firsts.values()) == 2
    assert sorted(logged) == sorted(a["id"] for a in alerts)  # each report logged once


def _stories(alerts: list[dict[str, Any]]) -> str:
    return "\n".join(f"{a['source']}: {a['story']}" for a in alerts)


def test_run_once_gives_stories_and_none_when_they_are_off(
    tmp_path: Path, prefix: str, redis_url: str, http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> None:  # fmt: skip
    feeds = make_feeds(2)
    serve(http_server, feeds)
    config = config_for(tmp_path, prefix, http_server, sorted(feeds))
    on = Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": redis_url})
    assert on.run("run", "--once").returncode == 0
    carry(http_server, feeds, WIRE, "wire")
    assert on.run("run", "--once").returncode == 0
    storied = stream_alerts(redis_url, prefix)
    assert [a["story"]["sources"] for a in storied] == [1, 2]
    off_config = tmp_path / "off.toml"
    off_config.write_text(config.read_text() + "\n[stories]\nenabled = false\n")
    redis.Redis.from_url(redis_url).delete(f"{prefix}:stories", f"{prefix}:storyfirsts")
    carry(http_server, feeds, "Floods close every school in Valencia", "floods")
    off = Newsmon(newsmon_cmd, off_config, {"NEWSMON_REDIS_URL": redis_url})
    done = off.run("run", "--once")
    assert done.returncode == 0, done.stderr
    plain = stream_alerts(redis_url, prefix)[2:]
    assert len(plain) == 2 and all("story" not in a for a in plain)
    assert story_keys(redis_url, prefix) == 0
