"""``newsmon forward`` end to end: real daemons and forwarders as processes, a real Redis, a
webhook receiver that fails, Apprise's own json:// scheme, SIGKILLs and a shared group."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor.forward import DeliveryError, Forwarder, Route, Webhook, message
from monitor.store import Store
from tests.desk import Desk
from tests.httpserver import LocalHTTPServer
from tests.receiver import Receiver
from tests.test_e2e import LogLines, Newsmon, stop_all, stream_alerts, wait_for

pytestmark = pytest.mark.e2e


def setup(
    tmp_path: Path, prefix: str, redis_url: str, http_server: LocalHTTPServer, cmd: list[str]
) -> tuple[Desk, Newsmon]:
    desk = Desk(http_server, ["f1", "f2", "f3"], ["p1"])
    desk.publish()
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'[redis]\nprefix = "{prefix}"\n[monitor]\ninterval = "1s"\njitter = "0s"\nworkers = 1\n'
        f"{desk.config()}"
    )
    return desk, Newsmon(cmd, config, {"NEWSMON_REDIS_URL": redis_url})


def forwarded_ids(receiver: Receiver) -> Counter[str]:
    return Counter(d.body["id"] for d in receiver.ok())


def joined(log: LogLines) -> None:
    log.wait(lambda e: e.get("event") == "forwarding", "the forwarder to join its group")


def grow_and_wait(desk: Desk, redis_url: str, prefix: str) -> None:
    desk.grow()
    want = len(desk.expected)
    wait_for(lambda: len(stream_alerts(redis_url, prefix)) >= want, "the round's alerts", 90)


def test_a_failing_webhook_gets_every_alert_once_across_a_sigkill(
    tmp_path: Path,
    prefix: str,
    redis_url: str,
    http_server: LocalHTTPServer,
    receiver: Receiver,
    newsmon_cmd: list[str],
) -> None:
    desk, newsmon = setup(tmp_path, prefix, redis_url, http_server, newsmon_cmd)
    daemon = newsmon.start("run")
    args = (
        "forward",
        "--webhook",
        receiver.url(),
        "--header",
        "X-Secret: s3",
        "--claim-idle",
        "1s",
    )
    receiver.fail_next(2)
    forwarder = newsmon.start(*args)
    logs = [LogLines(daemon), LogLines(forwarder)]
    try:
        joined(logs[1])
        logs[0].baselines(desk.names())
        grow_and_wait(desk, redis_url, prefix)
        wait_for(lambda: len(receiver.ok()) == 4, "round 1 delivered", 60)
        assert receiver.failed() == 2  # retried, not dropped
        receiver.fail_next(1000)  # the receiver goes down…
        grow_and_wait(desk, redis_url, prefix)
        wait_for(lambda: receiver.failed() >= 3, "a failing delivery of round 2")
        forwarder.send_signal(signal.SIGKILL)  # …and the forwarder dies while retrying
        forwarder.wait(timeout=30)
        receiver.fail_next(0)
        forwarder = newsmon.start(*args)
        logs.append(LogLines(forwarder))
        joined(logs[2])
        grow_and_wait(desk, redis_url, prefix)
        wait_for(lambda: len(receiver.ok()) >= 12, "rounds 2 and 3 delivered", 60)
    finally:
        stop_all([daemon, forwarder])
    ids = forwarded_ids(receiver)
    assert sorted(ids) == sorted(a["id"] for a in stream_alerts(redis_url, prefix))
    assert set(ids.values()) == {1}, "an alert was delivered twice"
    assert all(d.headers.get("X-Secret") == "s3" for d in receiver.ok())
    assert all(d.headers.get("Idempotency-Key") == d.body["id"] for d in receiver.ok())


def test_two_forwarders_in_one_group_share_the_alerts_with_none_twice(
    tmp_path: Path,
    prefix: str,
    redis_url: str,
    http_server: LocalHTTPServer,
    receiver: Receiver,
    newsmon_cmd: list[str],
) -> None:
    desk, newsmon = setup(tmp_path, prefix, redis_url, http_server, newsmon_cmd)
    daemon = newsmon.start("run")
    forwarders = [newsmon.start("forward", "--webhook", receiver.url()) for _ in range(2)]
    logs = [LogLines(p) for p in [daemon, *forwarders]]
    try:
        joined(logs[1])
        joined(logs[2])
        logs[0].baselines(desk.names())
        for _ in range(4):
            grow_and_wait(desk, redis_url, prefix)
        wait_for(lambda: len(receiver.ok()) >= 16, "every alert delivered", 60)
    finally:
        stop_all([daemon, *forwarders])
    ids = forwarded_ids(receiver)
    assert len(ids) == 16 and set(ids.values()) == {1}
    shares = [sum(1 for e in log.events if e.get("event") == "alert forwarded") for log in logs[1:]]
    assert sum(shares) == 16 and min(shares) >= 1, shares


def test_apprise_json_target_and_filters_from_a_config_section(
    tmp_path: Path,
    prefix: str,
    redis_url: str,
    http_server: LocalHTTPServer,
    receiver: Receiver,
    newsmon_cmd: list[str],
) -> None:
    desk, newsmon = setup(tmp_path, prefix, redis_url, http_server, newsmon_cmd)
    daemon = newsmon.start("run")
    apprise_url = f"json://127.0.0.1:{receiver.port}/apprise"
    section = f'[[forward]]\nname = "desk"\nnotify = ["{apprise_url}"]\nsources = ["p1"]\n'
    newsmon.config.write_text(newsmon.config.read_text() + section)  # the config's route
    forwarder = newsmon.start("forward", "--count", "2")
    logs = [LogLines(daemon), LogLines(forwarder)]
    try:
        joined(logs[1])
        logs[0].baselines(desk.names())
        grow_and_wait(desk, redis_url, prefix)
        grow_and_wait(desk, redis_url, prefix)
        assert forwarder.wait(timeout=60) == 0  # --count 2: the two alerts of p1
    finally:
        stop_all([daemon, forwarder])
    posts = [d.body for d in receiver.ok() if d.path == "/apprise"]
    assert len(posts) == 2
    assert [p["title"] for p in posts] == ["[p1] p1 update 1", "[p1] p1 update 2"]
    assert all("New update" in p["message"] and "https://" in p["message"] for p in posts)


def test_a_readable_message_marks_the_matched_words() -> None:
    alert: dict[str, Any] = {
        "type": "block.new",
        "source": "live",
        "item": {"id": "x", "url": "https://x.example/live", "title": "Live"},
        "block": {"headline": "Troops pull back", "url": "https://x.example/live#b1", "text": ""},
        "terms": [{"name": "pullback", "snippets": ["some **troops** began to **pull back**"]}],
    }
    title, body = message(alert)
    assert title == "[live] Troops pull back"
    assert body.splitlines() == [
        "New update",
        "pullback: some **troops** began to **pull back**",
        "https://x.example/live#b1",
    ]


def test_forward_refuses_bad_input_naming_the_option(
    tmp_path: Path, prefix: str, redis_url: str, newsmon_cmd: list[str]
) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'[redis]\nprefix = "{prefix}"\n[[forward]]\nname = "desk"\nwebhook = "ftp://x"\n'
    )
    bad = Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": redis_url}).run("forward")
    assert bad.returncode == 2, bad.stderr
    assert "forward[0].webhook: must be an http:// or https:// URL" in bad.stderr
    plain = tmp_path / "plain.toml"
    plain.write_text(f'[redis]\nprefix = "{prefix}"\n')
    newsmon = Newsmon(newsmon_cmd, plain, {"NEWSMON_REDIS_URL": redis_url})
    cases = [
        ((), "nothing to forward to"),
        (("--notify", "nosuch://x"), "notify: not a notification URL Apprise knows"),
        (("--webhook", "http://x", "--type", "page.changed"), "types: unknown 'page.changed'"),
        (("--webhook", "http://x", "--header", "nocolon"), "--header 'nocolon'"),
        (("--webhook", "http://x", "--group", "a b"), "name: must be letters"),
    ]
    for extra, expected in cases:
        done = newsmon.run("forward", *extra, timeout=60)
        assert done.returncode == 2 and expected in done.stderr, (extra, done.stderr)


ALERT: dict[str, Any] = {"id": "a1", "type": "item.new", "source": "s", "terms": []}


async def until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def forward_one(store: Store, url: str, done: Callable[[], bool]) -> Forwarder:
    """One alert in the stream, a forwarder on a webhook at ``url`` until ``done()``."""
    await store.redis.xadd(store.keys.stream, {"alert": json.dumps(ALERT)})
    async with aiohttp.ClientSession() as session:
        route = Route("desk", [Webhook(url, session, {"X-Secret": "s3"})], lambda _: True)
        forwarder = Forwarder(store, route, name="test")
        await forwarder.consumer.join("0")
        task = asyncio.create_task(forwarder.run(count=1))
        await until(lambda: done() or task.done(), "the deliveries")
        forwarder.stop()
        await task
    return forwarder


@pytest.mark.parametrize("status", [301, 302, 303])
async def test_a_webhook_answering_301_302_303_leaves_the_alert_pending(
    store: Store, receiver: Receiver, status: int
) -> None:
    """aiohttp would follow these as a bodiless GET, whose 2xx acknowledged a lost alert."""
    receiver.redirect("/hook", status, "/moved")
    forwarder = await forward_one(store, receiver.url(), lambda: len(receiver.to("/hook")) >= 2)
    assert forwarder.route.delivered == 0
    assert receiver.to("/moved") == []
    pending = await store.redis.xpending(store.keys.stream, "desk")
    assert pending["pending"] == 1  # not acknowledged: retried until the URL is fixed


@pytest.mark.parametrize("status", [307, 308])
async def test_a_webhook_answering_307_308_gets_the_same_post_at_the_location(
    store: Store, receiver: Receiver, status: int
) -> None:
    receiver.redirect("/hook", status, receiver.url("/final"))
    forwarder = await forward_one(store, receiver.url(), lambda: bool(receiver.ok()))
    assert forwarder.route.delivered == 1
    [post] = receiver.to("/final")
    assert (post.method, post.body) == ("POST", ALERT)
    assert (post.headers["X-Secret"], post.headers["Idempotency-Key"]) == ("s3", "a1")
    assert len(receiver.to("/hook")) == 1
    assert (await store.redis.xpending(store.keys.stream, "desk"))["pending"] == 0


async def test_a_refused_redirect_names_the_status_and_the_location(receiver: Receiver) -> None:
    receiver.redirect("/hook", 302, "/moved")
    receiver.redirect("/loop", 307, "/loop")
    receiver.redirect("/nowhere", 308, "ftp://x.example/")
    async with aiohttp.ClientSession() as session:
        cases = [
            ("/hook", "HTTP 302 Found, Location: /moved (not followed: only 307 and 308"),
            ("/loop", "more than 5 redirects"),
            ("/nowhere", "Location: ftp://x.example/ (not followed: not an http(s) URL)"),
        ]
        for path, expected in cases:
            with pytest.raises(DeliveryError) as refused:
                await Webhook(receiver.url(path), session).deliver(ALERT)
            assert expected in str(refused.value)
    assert len(receiver.to("/loop")) == 6  # the first POST and five hops


async def test_a_stream_entry_nested_past_the_stack_is_skipped_not_a_crash(store: Store) -> None:
    consumer = store.consumer("desk", "test")
    await consumer.join("0")
    await store.redis.xadd(store.keys.stream, {"alert": "[" * 100_000 + "]" * 100_000})
    [entry] = await consumer.read(1000, count=1)
    assert (entry.alert, entry.problem) == (None, "JSON nested too deeply")
