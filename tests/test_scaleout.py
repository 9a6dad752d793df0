"""Several ``newsmon run`` daemons on one Redis share the sources: real processes, real Redis,
real HTTP. Each test waits for durable facts (requests served, stream entries, log lines) and
checks the stream at the end: every expected alert, each exactly once."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.feeds import rss
from tests.httpserver import LocalHTTPServer
from tests.redisserver import RedisServer
from tests.test_e2e import (
    LogLines,
    Newsmon,
    source,
    stop_all,
    stream_alerts,
    wait_for,
    write_config,
)

pytestmark = pytest.mark.e2e

Feeds = dict[str, list[tuple[str, str, str]]]


def serve(http_server: LocalHTTPServer, feeds: Feeds) -> None:
    for name, items in feeds.items():
        http_server.put(f"/{name}.xml", rss(items[::-1]))


def grow(http_server: LocalHTTPServer, feeds: Feeds, round_: int) -> None:
    """Every feed gains one item (its item ``round_``)."""
    for name, items in feeds.items():
        items.append((f"{name}-{round_}", f"{name} update {round_}", "Officials said more."))
    serve(http_server, feeds)


def make_feeds(count: int) -> Feeds:
    return {
        f"f{i:02d}": [(f"f{i:02d}-0", f"f{i:02d} first", "The opening item.")] for i in range(count)
    }


class Fleet:
    """Daemon processes on one config, each with its log lines collected."""

    def __init__(self, newsmon: Newsmon, count: int) -> None:
        self.procs = [newsmon.start("run") for _ in range(count)]
        self.logs = [LogLines(p) for p in self.procs]

    def polls(self, i: int) -> list[dict[str, Any]]:
        return [e for e in list(self.logs[i].events) if e.get("event") == "poll"]

    def stop(self) -> None:
        stop_all(self.procs)

    def text(self) -> str:
        return "\n".join(f"--- daemon {i}\n{log.text()[-3000:]}" for i, log in enumerate(self.logs))


@pytest.fixture
def fleet_config(tmp_path: Path, prefix: str, http_server: LocalHTTPServer) -> Iterator[Feeds]:
    feeds = make_feeds(24)
    serve(http_server, feeds)
    yield feeds


def config_for(tmp_path: Path, prefix: str, http_server: LocalHTTPServer, names: list[str]) -> Path:
    sources = "".join(source(n, http_server.url(f"/{n}.xml")) for n in names)
    return write_config(tmp_path, prefix, sources)


def baselined(redis_url: str, prefix: str, names: list[str]) -> bool:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        return all(client.hget(f"{prefix}:src:{n}", "baselined") == "1" for n in names)
    finally:
        client.close()


def check_stream(alerts: list[dict[str, Any]], feeds: Feeds, rounds: int) -> None:
    ids = Counter(a["id"] for a in alerts)
    assert [i for i, n in ids.items() if n > 1] == [], "an alert was published twice"
    got = sorted(a["item"]["id"] for a in alerts)
    want = sorted(f"{name}-{r}" for name in feeds for r in range(1, rounds + 1))
    assert got == want


def test_three_daemons_share_the_sources_and_take_over_a_killed_one(
    tmp_path: Path,
    prefix: str,
    redis_url: str,
    http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
    fleet_config: Feeds,
) -> None:
    feeds, names = fleet_config, sorted(fleet_config)
    config = config_for(tmp_path, prefix, http_server, names)
    newsmon = Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": redis_url})
    started = time.monotonic()
    fleet = Fleet(newsmon, 3)
    try:
        wait_for(lambda: baselined(redis_url, prefix, names), "every baseline", 60, fleet.text)
        wait_for(lambda: all(fleet.polls(i) for i in range(3)), "polls by each daemon", 60)
        grow(http_server, feeds, 1)
        wait_for(lambda: len(stream_alerts(redis_url, prefix)) >= 24, "round 1", 60, fleet.text)
        shares = [len(fleet.polls(i)) for i in range(3)]
        fleet.procs[0].send_signal(signal.SIGKILL)
        fleet.procs[0].wait(timeout=30)
        killed_at = time.monotonic()
        for round_ in (2, 3):
            grow(http_server, feeds, round_)
            expected = 24 * round_
            wait_for(
                lambda n=expected: len(stream_alerts(redis_url, prefix)) >= n,
                f"round {round_} after the kill",
                60,
                fleet.text,
            )
        # Every source is polled again after the kill, by the two that are left.
        for name in names:
            after = [r for r in http_server.requests_for(f"/{name}.xml") if r.at > killed_at]
            assert after, f"{name} was never polled after the kill"
    finally:
        fleet.stop()
    elapsed = time.monotonic() - started
    assert all(share >= 0.1 * sum(shares) for share in shares), shares
    for name in names:
        count = len(http_server.requests_for(f"/{name}.xml"))
        # Interval 1 s: three daemons that each polled every source would make this 3x.
        assert count <= elapsed / 1.0 + 3, (name, count, elapsed)
    check_stream(stream_alerts(redis_url, prefix), feeds, 3)


def test_sources_added_and_removed_while_daemons_run(
    tmp_path: Path,
    prefix: str,
    redis_url: str,
    http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> None:
    feeds = make_feeds(2)
    serve(http_server, feeds)
    config = config_for(tmp_path, prefix, http_server, sorted(feeds))
    newsmon = Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": redis_url})
    http_server.put("/extra.xml", rss([("x-0", "Extra first", "Body.")]))
    fleet = Fleet(newsmon, 2)
    try:
        wait_for(lambda: baselined(redis_url, prefix, sorted(feeds)), "baselines", 60)
        extra = http_server.url("/extra.xml")
        bad = newsmon.run("sources", "add", "extra", extra, "--interval", "often")
        assert bad.returncode == 2 and "interval" in bad.stderr, bad.stderr
        added = newsmon.run("sources", "add", "extra", extra)
        assert added.returncode == 0, added.stderr
        wait_for(lambda: baselined(redis_url, prefix, ["extra"]), "the added source's baseline")
        listed = [
            json.loads(x) for x in newsmon.run("sources", "list", "--json").stdout.splitlines()
        ]
        assert {row["name"]: row["origin"] for row in listed} == {
            "f00": "config", "f01": "config", "extra": "cli",
        }  # fmt: skip
        removed = newsmon.run("sources", "remove", "extra")
        assert removed.returncode == 0, removed.stderr
        at_removal = len(http_server.requests_for("/extra.xml"))
        seen = len(http_server.requests_for("/f00.xml"))
        wait_for(lambda: len(http_server.requests_for("/f00.xml")) >= seen + 3, "more polls")
        # One poll may have been under way when the source was removed; none after it.
        assert len(http_server.requests_for("/extra.xml")) <= at_removal + 1
        assert newsmon.run("sources", "remove", "extra").returncode == 1
    finally:
        fleet.stop()


def test_a_redis_restart_under_three_daemons_loses_and_duplicates_nothing(
    tmp_path: Path,
    prefix: str,
    redis_of_its_own: RedisServer,
    http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> None:
    server = redis_of_its_own
    feeds = make_feeds(12)
    serve(http_server, feeds)
    names = sorted(feeds)
    config = config_for(tmp_path, prefix, http_server, names)
    newsmon = Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": server.url})
    fleet = Fleet(newsmon, 3)
    try:
        wait_for(lambda: baselined(server.url, prefix, names), "baselines", 60, fleet.text)
        for round_ in (1, 2, 3):
            grow(http_server, feeds, round_)
            if round_ > 1:
                server.restart()  # while the daemons poll the grown feeds
            wait_for(
                lambda n=12 * round_: len(stream_alerts(server.url, prefix)) >= n,
                f"round {round_}",
                90,
                fleet.text,
            )
    finally:
        fleet.stop()
    check_stream(stream_alerts(server.url, prefix), feeds, 3)


def test_a_redis_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    tmp_path: Path,
    prefix: str,
    redis_of_its_own: RedisServer,
    http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> None:
    server = redis_of_its_own
    feeds = make_feeds(2)
    serve(http_server, feeds)
    config = config_for(tmp_path, prefix, http_server, sorted(feeds))
    fleet = Fleet(Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": server.url}), 1)
    (log,) = fleet.logs
    try:
        wait_for(lambda: baselined(server.url, prefix, sorted(feeds)), "baselines", 60)
        server.stop()
        log.wait(lambda e: e.get("event") == "redis unavailable", "the outage noticed")
        polled = len(http_server.requests_for("/f00.xml"))
        time.sleep(0.5)  # a few claim ticks fail meanwhile (what is counted is the log lines)
        server.start()
        log.wait(lambda e: e.get("event") == "redis available again", "the recovery noticed")
        wait_for(lambda: len(http_server.requests_for("/f00.xml")) > polled + 2, "polls again")
    finally:
        fleet.stop()
    events = [e.get("event") for e in log.events]
    outage = [e for e in events if e and e.startswith("redis")]
    assert outage == ["redis unavailable", "redis available again"], log.text()[-3000:]
