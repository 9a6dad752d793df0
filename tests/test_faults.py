"""Fault injection, for real: hostile sources, Redis stopped and restarted, daemons SIGKILLed.

One local HTTP server plays every hostile source beside healthy ones that keep changing; a
real ``newsmon run`` (two parse workers) polls them all. Each test waits for durable facts
(log lines, stream entries, requests served) and ends by checking the stream: every expected
alert, each exactly once, and nothing else. ``pytest -m faults`` runs this suite alone.
"""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.desk import Desk, check_stream
from tests.httpserver import LocalHTTPServer
from tests.redisserver import RedisServer
from tests.test_e2e import LogLines, Newsmon, stop_all, stream_alerts, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

SECRET = "s3cr3t-never-to-be-read"
SMALL_ITEM = "<item><guid>small</guid><title>Small</title></item>"
MB = 1_000_000


def config_file(tmp_path: Path, prefix: str, sources: str, **monitor: str) -> Path:
    settings = {"interval": '"1s"', "jitter": '"0s"', "timeout": '"2s"', "workers": "2"} | monitor
    lines = "".join(f"{k} = {v}\n" for k, v in settings.items())
    path = tmp_path / "monitor.toml"
    path.write_text(
        f'[redis]\nprefix = "{prefix}"\n\n[monitor]\n{lines}data_dir = "{tmp_path / "data"}"\n\n'
        f"{sources}",
        encoding="utf-8",
    )
    return path


def polls_of(log: LogLines, name: str) -> list[dict[str, Any]]:
    return [e for e in list(log.events) if e.get("event") == "poll" and e.get("source") == name]


def stop(proc: subprocess.Popen[str]) -> None:
    stop_all([proc])


# The hostile sources --------------------------------------------------------------------------


def _feed(items: str, head: str = "", declaration: str = '<?xml version="1.0"?>') -> str:
    return f"{declaration}{head}<rss version='2.0'><channel><title>T</title>{items}</channel></rss>"


def _laughs() -> str:
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )
    return _feed("<item><title>&l9;</title></item>", f"<!DOCTYPE rss [{entities}]>")


def _nested(depth: int) -> str:
    return f"<html><body>{'<div>' * depth}deep{'</div>' * depth}</body></html>"


def _jsonld_page(ld: str) -> str:
    return (
        f'<html><head><script type="application/ld+json">{ld}</script></head>'
        "<body><article><h1>Live</h1><p>Nothing yet.</p></article></body></html>"
    )


def _big_jsonld() -> str:
    updates = ",".join(
        f'{{"@type":"BlogPosting","@id":"u{i}","headline":"Update {i}","articleBody":"{body}"}}'
        for i, body in enumerate(["x" * 480] * 10_000)
    )
    return f'{{"@context":"https://schema.org","@type":"LiveBlogPosting","liveBlogUpdate":[{updates}]}}'


@dataclass(frozen=True)
class Hostile:
    """One misbehaving source: how it is served, and whether its poll must fail."""

    name: str
    serve: Callable[[LocalHTTPServer, str], None]
    kind: str = "feed"
    fails: bool | None = None  # None: either is fine, as long as it is a clear per-source outcome


def _put(
    body: str | bytes, content_type: str = "application/rss+xml", **kw: Any
) -> Callable[..., None]:
    return lambda server, path: server.put(path, body, content_type, **kw)


def hostile_sources(secret: Path) -> list[Hostile]:
    def xxe_http(server: LocalHTTPServer, path: str) -> None:
        head = f'<!DOCTYPE rss [<!ENTITY x SYSTEM "{server.url("/xxe-target")}">]>'
        server.put(path, _feed("<item><title>&x;</title><guid>a</guid></item>", head))

    def loop(server: LocalHTTPServer, path: str) -> None:
        server.redirect(path, path)

    def missing(server: LocalHTTPServer, path: str) -> None:
        server.remove(path)

    items = "".join(
        f"<item><title>n{i}</title><description>d{i}</description></item>" for i in range(3)
    )
    dates = ("Tue, 15 Feb 99999 10:00:00 GMT", "0001-01-01T00:00:00Z", "yesterday", "-5")
    absurd = "".join(
        f"<item><guid>d{i}</guid><title>d{i}</title><pubDate>{d}</pubDate></item>"
        for i, d in enumerate(dates)
    )
    dup = "".join(f"<item><guid>same</guid><title>{t}</title></item>" for t in ("one", "two"))
    latin = _feed("<item><guid>c</guid><title>Caf\xe9 cr\xe8me</title></item>").encode("latin-1")
    bomb = gzip.compress(b"<rss><channel>" + b" " * (30 * MB), compresslevel=9)
    xxe_file = f'<!DOCTYPE rss [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
    return [
        Hostile("xxe-file", _put(_feed("<item><title>&x;</title><guid>a</guid></item>", xxe_file))),
        Hostile("xxe-http", xxe_http),
        Hostile("laughs", _put(_laughs())),
        Hostile("gzip-bomb", _put(bomb, headers={"Content-Encoding": "gzip"}), fails=True),
        Hostile("trickle", _put(_feed(items), trickle=1.0), fails=True),
        Hostile("hanging", _put(_feed(items), delay=3600), fails=True),
        Hostile("loop", loop, fails=True),
        Hostile(
            "html", _put("<html><body><p>Not a feed</p></body></html>", "text/html"), fails=True
        ),
        Hostile("empty", _put(b""), fails=True),
        Hostile("truncated", _put(_feed(items)[:90])),
        Hostile("nested", _put(_nested(200_000), "text/html"), kind="page"),
        Hostile("missing", missing, fails=True),
        Hostile("error500", _put("oops", "text/plain", status=500), fails=True),
        Hostile(
            "busy503",
            _put("busy", "text/plain", status=503, headers={"Retry-After": "1"}),
            fails=True,
        ),
        Hostile("charset", _put(latin, "application/rss+xml; charset=utf-8")),
        Hostile("dup-guids", _put(_feed(dup)), fails=False),
        Hostile("no-ids", _put(_feed(items)), fails=False),
        Hostile("dates", _put(_feed(absurd)), fails=False),
        Hostile(
            "huge-item",
            _put(_feed(SMALL_ITEM)),
        ),
        Hostile("big-jsonld", _put(_jsonld_page(_big_jsonld()), "text/html"), kind="page"),
        Hostile(
            "bad-jsonld",
            _put(
                _jsonld_page(
                    '{"@type": "LiveBlogPosting", "headline": "Live, '  # an unescaped quote
                    '"liveBlogUpdate": [{"headline": "x",}'  # a trailing comma, unclosed
                ),
                "text/html",
            ),
            kind="page",
        ),
    ]


def test_hostile_sources_fail_alone_while_the_healthy_ones_keep_alerting(
    tmp_path: Path,
    prefix: str,
    redis_url: str,
    http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    hostile = hostile_sources(secret)
    for h in hostile:
        h.serve(http_server, f"/{h.name}")
    desk = Desk(http_server, ["good-feed"], ["good-live"])
    desk.publish()
    sources = desk.config() + "".join(
        f'[[sources]]\nname = "{h.name}"\nurl = "{http_server.url(f"/{h.name}")}"\n'
        f'kind = "{h.kind}"\n'
        for h in hostile
    )
    config = config_file(tmp_path, prefix, sources, max_bytes='"12MB"')
    daemon = Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": redis_url}).start("run")
    log = LogLines(daemon)
    try:
        for name in [*desk.names(), *(h.name for h in hostile)]:
            log.wait(lambda e, n=name: e.get("event") == "poll" and e.get("source") == n, name, 120)
        for round_ in range(3):
            desk.grow()
            if round_ == 1:  # a 10 MB item turns up: feedparser must read it, and it alerts
                huge = (
                    f"<item><guid>huge</guid><description>{'word ' * (2 * MB)}</description></item>"
                )
                http_server.put("/huge-item", _feed(huge + SMALL_ITEM))
                desk.expected.append(("huge-item", "huge"))
            want = len(desk.expected)
            wait_for(
                lambda w=want: len(stream_alerts(redis_url, prefix)) >= w, "alerts", 90, log.text
            )
    finally:
        stop(daemon)
    text = log.text()
    assert "poll crashed" not in text and "internal error" not in text and "Traceback" not in text
    assert [e for e in log.events if e.get("level") in ("error", "critical")] == []
    for h in hostile:
        first = polls_of(log, h.name)[0]
        failed = first["status"] == "failed"
        assert h.fails is None or failed == h.fails, first
        assert not failed or first.get("error"), first
    check_stream(stream_alerts(redis_url, prefix), desk)
    assert http_server.requests_for("/xxe-target") == []
    assert not _redis_mentions(redis_url, prefix, SECRET)


def _redis_mentions(redis_url: str, prefix: str, text: str) -> bool:
    """Whether any string or hash value under the prefix contains ``text``."""
    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            kind = client.type(key)
            values = (
                client.hvals(key)
                if kind == b"hash"
                else [client.get(key)]
                if kind == b"string"
                else []
            )
            if any(v is not None and text.encode() in v for v in values):
                return True
        return any(text.encode() in v[b"alert"] for _, v in client.xrange(f"{prefix}:stream"))
    finally:
        client.close()


def test_redis_restarts_and_sigkills_mid_poll_lose_and_duplicate_nothing(
    tmp_path: Path,
    prefix: str,
    redis_of_its_own: RedisServer,
    http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> None:
    server = redis_of_its_own
    desk = Desk(http_server, ["f1", "f2", "f3", "slow"], ["p1", "p2"], delays={"slow": 1.5})
    desk.publish()
    newsmon = Newsmon(
        newsmon_cmd, config_file(tmp_path, prefix, desk.config()), {"NEWSMON_REDIS_URL": server.url}
    )
    daemon = newsmon.start("run")
    logs = [LogLines(daemon)]
    text = lambda: "".join(f"--- daemon {i}\n{x.text()[-3000:]}\n" for i, x in enumerate(logs))  # noqa: E731
    kills = restarts = 0
    try:
        logs[0].baselines(desk.names())
        for round_ in range(1, 7):
            desk.grow()
            if round_ % 2:  # SIGKILL the daemon while it waits for the slow source
                wait_for(lambda: http_server.in_flight > 0, "a poll in flight")
                daemon.send_signal(signal.SIGKILL)
                daemon.wait(timeout=30)
                kills += 1
                daemon = newsmon.start("run")
                logs.append(LogLines(daemon))
            if round_ % 3 != 1:  # Redis goes away mid-round
                server.restart()
                restarts += 1
            want = len(desk.expected)
            wait_for(
                lambda w=want: len(stream_alerts(server.url, prefix)) >= w,
                f"round {round_}",
                120,
                text,
            )
    finally:
        stop(daemon)
    assert kills == 3 and restarts == 4
    assert "poll crashed" not in text() and "internal error" not in text()
    check_stream(stream_alerts(server.url, prefix), desk)


def test_a_subscriber_resumes_after_redis_restarts_and_misses_nothing(
    tmp_path: Path,
    prefix: str,
    redis_of_its_own: RedisServer,
    http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> None:
    server = redis_of_its_own
    desk = Desk(http_server, ["f1", "f2"], ["p1"])
    desk.publish()
    config = config_file(tmp_path, prefix, desk.config(), workers="1")
    newsmon = Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": server.url})
    daemon = newsmon.start("run")
    log = LogLines(daemon)
    rounds = 3
    # --replay: whatever the daemon writes before the subscriber is ready is printed too
    count = str(rounds * len(desk.names()))
    subscriber = newsmon.start("subscribe", "--json", "--replay", "100", "--count", count)
    sub_log = LogLines(subscriber)
    try:
        log.baselines(desk.names())
        for round_ in range(1, rounds + 1):
            if round_ == 2:  # an outage long enough for the subscriber to notice it
                server.stop()
                wait_for(lambda: "reconnecting" in sub_log.text(), "the subscriber to notice")
                server.start()
            if round_ == 3:
                server.restart()
            desk.grow()
            want = len(desk.expected)
            wait_for(lambda w=want: len(stream_alerts(server.url, prefix)) >= w, "alerts", 90)
        assert subscriber.wait(timeout=60) == 0, sub_log.text()
    finally:
        stop(daemon)
        stop(subscriber)
    assert subscriber.stdout is not None
    printed = [json.loads(line) for line in subscriber.stdout.read().splitlines() if line.strip()]
    check_stream(printed, desk)
