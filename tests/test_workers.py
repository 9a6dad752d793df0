"""Parse workers: only our own picklable errors come back from them, and nothing of a daemon
outlives it, SIGKILL included."""

from __future__ import annotations

import os
import pickle
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from monitor.errors import ParseError
from monitor.poll.documents import read_source
from tests.feeds import liveblog
from tests.httpserver import LocalHTTPServer
from tests.test_e2e import LogLines, Newsmon, source, write_config

HOSTILE = [
    b"",
    b"\x00\x01\x02\xff" * 100,
    b"<?xml version='1.0'?>",
    b"<rss><channel><item><title>unclosed",
    b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>" * 2000,
    b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]><rss>&a;&a;</rss>",
    "<html>\u00e9\ud800</html>".encode("utf-8", "surrogatepass"),
]


@pytest.mark.parametrize("kind", ["feed", "page", "auto"])
def test_hostile_bodies_give_our_own_picklable_errors_from_a_worker(kind: str) -> None:
    with ProcessPoolExecutor(max_workers=1) as pool:
        for body in HOSTILE:
            try:
                pool.submit(read_source, kind, body, "https://x.test/feed").result(timeout=60)
            except ParseError as exc:  # anything else fails the test, as would a pickling error
                assert str(exc)
                assert str(pickle.loads(pickle.dumps(exc))) == str(exc)


def descendants(root: int) -> set[int]:
    found, frontier = set(), [root]
    while frontier:
        parent = frontier.pop()
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(stat[1]) == parent and int(entry) not in found:
                    found.add(int(entry))
                    frontier.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie is dead, only not yet reaped by its new parent


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc (Linux)")
def test_nothing_outlives_a_sigkilled_daemon(
    tmp_path: Path,
    prefix: str,
    redis_url: str,
    http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> None:
    """A page over the inline limit starts the worker pool; SIGKILL leaves no process of it."""
    updates = [(f"u{i}", "2022-02-15T09:00:00Z", f"Update {i}", "Text. " * 100) for i in range(60)]
    http_server.put("/live", liveblog(updates), "text/html; charset=utf-8")
    config = write_config(tmp_path, prefix, source("live", http_server.url("/live"), "page"))
    config.write_text(config.read_text().replace("workers = 1", "workers = 2"))
    daemon = Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": redis_url}).start("run")
    lines = LogLines(daemon)
    try:
        lines.wait(lambda e: e.get("event") == "poll" and e.get("status") == "baseline", "a poll")
        family = descendants(daemon.pid)
        assert len(family) >= 2, "the forkserver and a worker were started"
    finally:
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in family):
        assert time.monotonic() < deadline, [p for p in family if alive(p)]
        time.sleep(0.1)
