"""The failure policy held in the shared schedule, with real processes: backoff, 410 Gone, and
``run --once`` honouring both (``--force`` overrides). Waits only for durable facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from monitor.daemon.reach import Reach
from monitor.poll.outcome import PollResult
from tests.feeds import rss
from tests.httpserver import LocalHTTPServer, free_port
from tests.test_e2e import LogLines, Newsmon, source, wait_for, write_config

pytestmark = pytest.mark.e2e


@pytest.fixture
def newsmon(
    tmp_path: Path,
    prefix: str,
    redis_url: str,
    http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> Newsmon:
    sources = "".join(source(n, http_server.url(f"/{n}.xml")) for n in ("good", "bad", "gone"))
    config = write_config(tmp_path, prefix, sources)
    return Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": redis_url})


def polls(http_server: LocalHTTPServer, name: str) -> int:
    return len(http_server.requests_for(f"/{name}.xml"))


def status(newsmon: Newsmon) -> dict[str, dict[str, object]]:
    rows = [json.loads(line) for line in newsmon.run("status", "--json").stdout.splitlines()]
    return {str(row["source"]): row for row in rows}


def test_a_failing_source_backs_off_and_a_gone_one_is_parked(
    newsmon: Newsmon, http_server: LocalHTTPServer
) -> None:
    http_server.put("/good.xml", rss([("a", "First", "Body.")]))
    http_server.put("/bad.xml", "oops", "text/plain", status=500)
    http_server.put("/gone.xml", "gone", "text/plain", status=410)
    daemon = newsmon.start("run")
    lines = LogLines(daemon)
    try:
        wait_for(lambda: polls(http_server, "good") >= 16, "16 polls of the good source", 90)
        # Interval 1 s: the good source was polled 16 times; backoff doubles the failing
        # one's wait (1, 2, 4, 8 s…), and the gone one is never asked again.
        assert polls(http_server, "bad") <= 6, polls(http_server, "bad")
        assert polls(http_server, "gone") == 1
        rows = status(newsmon)
        assert rows["bad"]["failure_class"] == "server" and int(rows["bad"]["failures"]) >= 3
        assert rows["bad"]["next_reason"] == "backoff"
        assert rows["gone"]["gone"] is True and rows["gone"]["next_reason"] == "gone"
        http_server.put("/gone.xml", rss([("g", "Back", "Body.")]))
        assert newsmon.run("sources", "add", "gone", http_server.url("/gone.xml")).returncode == 0
        wait_for(lambda: polls(http_server, "gone") == 2, "the re-added source's poll")
        wait_for(lambda: not status(newsmon)["gone"]["gone"], "the source recovered")
        assert status(newsmon)["gone"]["failures"] == 0
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
    assert any(e.get("next_reason") == "backoff" for e in lines.events), lines.text()


def test_run_once_skips_a_source_held_back_unless_forced(
    newsmon: Newsmon, http_server: LocalHTTPServer
) -> None:
    http_server.put("/good.xml", rss([("a", "First", "Body.")]))
    http_server.put(
        "/bad.xml", "slow down", "text/plain", status=429, headers={"Retry-After": "3600"}
    )
    http_server.put("/gone.xml", "gone", "text/plain", status=410)
    first = newsmon.run("run", "--once")
    assert first.returncode == 1  # two sources failed
    second = newsmon.run("run", "--once")
    assert second.returncode == 0, second.stderr
    assert (polls(http_server, "bad"), polls(http_server, "gone"), polls(http_server, "good")) == (
        1, 1, 2,
    )  # fmt: skip
    skipped = {json.loads(x)["source"]: json.loads(x) for x in second.stderr.splitlines()
               if '"poll skipped"' in x}  # fmt: skip
    assert skipped["bad"]["reason"] == "retry-after" and skipped["gone"]["reason"] == "gone"
    forced = newsmon.run("run", "--once", "--force")
    assert forced.returncode == 1
    assert (polls(http_server, "bad"), polls(http_server, "gone")) == (2, 2)


def test_every_source_unreachable_alike_is_said_once(
    tmp_path: Path, prefix: str, redis_url: str, newsmon_cmd: list[str]
) -> None:
    """Like the network down: each source's poll fails with one error, and one line says so."""
    sources = "".join(source(f"s{n}", f"http://127.0.0.1:{free_port()}/f.xml") for n in range(3))
    config = write_config(tmp_path, prefix, sources)
    ran = Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": redis_url}).run("run", "--once")
    assert ran.returncode == 1
    said = [json.loads(x) for x in ran.stderr.splitlines() if '"no source reachable"' in x]
    assert len(said) == 1 and said[0]["sources"] == 3, ran.stderr
    assert said[0]["error"] == "connection refused" and "network" in said[0]["hint"]


def test_reach_speaks_only_when_every_source_fails_alike() -> None:
    def failed(name: str, error: str = "cannot resolve host") -> PollResult:
        return PollResult(name, "failed", error=error, failure_class="network")

    with capture_logs() as logs:
        reach = Reach()
        reach.note(failed("a"))  # one source alone says nothing more than its own line
        reach.note(PollResult("b", "ok", 200))
        reach.note(failed("b"))  # now both fail alike
        reach.note(failed("a"))  # still down: not said again
        reach.note(PollResult("c", "lease_lost"))  # says nothing of reachability
        reach.note(PollResult("a", "ok", 200))
        reach.note(failed("a", "connection refused"))  # two errors: not one cause
    assert [e["event"] for e in logs] == ["no source reachable", "sources reachable again"]
    assert logs[0]["sources"] == 2 and logs[0]["error"] == "cannot resolve host"
