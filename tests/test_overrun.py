"""A daemon under heavy polls, for real: a page with one ~10 MB update block beside healthy
feeds, and a SIGTERM that lands while a tick waits on Redis. Waits only for durable facts
(poll log lines, requests served, the daemon's own metrics)."""

from __future__ import annotations

import re
import signal
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis

from tests.feeds import rss
from tests.httpserver import LocalHTTPServer, free_port
from tests.redisserver import RedisServer
from tests.test_e2e import LogLines, Newsmon, source, wait_for, write_config

pytestmark = pytest.mark.e2e

HEALTHY = ("f1", "f2", "f3")
WORDS = "sanctions troops withdraw from the border as talks resume in the capital today "


def huge_block_page(megabytes: float, version: int) -> str:
    """A live page whose one update block holds ``megabytes`` of text, in 1 KB paragraphs."""
    paragraph = f"<p>{WORDS * 12}</p>"
    text = paragraph * int(megabytes * 1_000_000 / len(paragraph))
    return (
        "<html><head><title>Live</title></head><body><article><h1>Live</h1>"
        f'<div class="update" id="u1"><h2>Update v{version}</h2>{text}<p>v{version}</p></div>'
        "</article></body></html>"
    )


def healthz(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return exc.code


class Editor:
    """Edits the hostile page's block every time it is fetched, so each poll has a change to
    extract, diff and match (a page that answered the same every time would be skipped)."""

    def __init__(self, server: LocalHTTPServer) -> None:
        self.server = server
        self.stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Editor:
        self.server.put("/huge", huge_block_page(10, 0), "text/html; charset=utf-8")
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopped.set()
        self._thread.join(30)

    def _run(self) -> None:
        seen = 0
        while not self.stopped.wait(0.1):
            served = len(self.server.requests_for("/huge"))
            if served > seen:
                seen = served
                self.server.put("/huge", huge_block_page(10, served), "text/html; charset=utf-8")


@pytest.mark.timeout(400)  # a loaded machine takes long over 10 MB, even in the worker pool
def test_a_page_with_a_10mb_block_is_backed_off_as_overrun_and_healthy_feeds_keep_their_rate(
    tmp_path: Path,
    prefix: str,
    redis_url: str,
    http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> None:
    """The hostile page's polls end as ``overrun`` failures and back off; no healthy poll loses
    its lease or times out, every healthy feed reaches its polls, /healthz answers 200."""
    for name in HEALTHY:
        http_server.put(f"/{name}.xml", rss([(f"{name}-a", "First", "Sanctions news.")]))
    sources = "".join(source(n, http_server.url(f"/{n}.xml")) for n in HEALTHY)
    sources += source("huge", http_server.url("/huge"), "page")
    config = write_config(tmp_path, prefix, sources)
    config.write_text(
        config.read_text()
        .replace("workers = 1", 'workers = 2\nmax_bytes = "16MB"\npoll_deadline = "3s"')
        .replace('timeout = "5s"', 'timeout = "2s"')
    )
    port = free_port()
    newsmon = Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": redis_url})
    with Editor(http_server):
        daemon = newsmon.start("run", "--metrics-port", str(port))
        log = LogLines(daemon)
        try:
            overruns = lambda: [  # noqa: E731
                e for e in list(log.events)
                if e.get("event") == "poll" and e.get("failure_class") == "overrun"
            ]  # fmt: skip
            log.wait(lambda e: len(overruns()) >= 2, "two overrun polls of the huge page", 180)
            start = {n: len(http_server.requests_for(f"/{n}.xml")) for n in HEALTHY}
            codes = []
            for name in HEALTHY:  # interval 1 s: 15 more polls each, while the page backs off
                wait_for(
                    lambda n=name: len(http_server.requests_for(f"/{n}.xml")) >= start[n] + 15,
                    f"15 more polls of {name}",
                    120,
                    log.text,
                )
                codes.append(healthz(port))
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=60)
    polls = [e for e in log.events if e.get("event") == "poll"]
    healthy = [e for e in polls if e.get("source") in HEALTHY]
    assert [e for e in healthy if e["status"] in ("lease_lost", "failed")] == []
    huge = [e for e in polls if e.get("source") == "huge"]
    assert [e["status"] for e in huge if e["status"] == "lease_lost"] == []
    assert all(e["failure_class"] == "overrun" for e in huge if e["status"] == "failed"), huge
    assert any(e.get("source") == "huge" and e.get("next_reason") == "backoff" for e in log.events)
    assert codes == [200] * len(HEALTHY)
    assert "Traceback" not in log.text()


def _last_tick(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    found = re.search(r"^newsmon_last_tick_timestamp_seconds (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_sigterm_while_a_tick_waits_on_redis_stops_cleanly(
    tmp_path: Path,
    prefix: str,
    redis_of_its_own: RedisServer,
    http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> None:
    """Redis holds every write (CLIENT PAUSE WRITE), so the tick that starts next waits in its
    claim; a SIGTERM then must not cancel it under APScheduler ("Job raised an exception")."""
    http_server.put("/f1.xml", rss([("a", "First", "Body.")]))
    config = write_config(tmp_path, prefix, source("f1", http_server.url("/f1.xml")))
    port = free_port()
    newsmon = Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": redis_of_its_own.url})
    daemon = newsmon.start("run", "--metrics-port", str(port))
    log = LogLines(daemon)
    client = redis.Redis.from_url(redis_of_its_own.url)
    try:
        log.wait(lambda e: e.get("event") == "poll", "a first poll")
        client.execute_command("CLIENT", "PAUSE", "4000", "WRITE")
        paused_at = time.time()
        wait_for(lambda: _last_tick(port) > paused_at, "a tick that started during the pause")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
    finally:
        client.execute_command("CLIENT", "UNPAUSE")
        client.close()
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(timeout=30)
    log.wait(lambda e: e.get("event") == "daemon stopped", "the stop line")
    text = log.text()
    assert "raised an exception" not in text and "CancelledError" not in text, text[-3000:]
