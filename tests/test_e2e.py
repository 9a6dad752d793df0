"""End to end: ``newsmon run`` and ``subscribe`` as real processes, real Redis, real HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import redis

from tests.feeds import liveblog, rss
from tests.httpserver import LocalHTTPServer
from tests.test_alerts import SCHEMA
from tests.test_pipeline import ITEM_A, ITEM_B, UPD_1, UPD_2

pytestmark = pytest.mark.e2e

KEYWORDS = r"""
[[keywords]]
name = "sanctions"
query = "sanction*"

[[keywords]]
name = "troop-pullback"
query = '''(troop* OR forces OR units) NEAR/6
  ("pull back" OR pullback OR withdraw OR "return to bases")'''
"""


def write_config(tmp_path: Path, prefix: str, sources: str, *, redis_url: str = "") -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(
        f'[redis]\nurl = "{redis_url}"\nprefix = "{prefix}"\n\n'
        f'[monitor]\ninterval = "1s"\njitter = "0s"\ntimeout = "5s"\nworkers = 1\n'
        f'data_dir = "{tmp_path / "data"}"\n\n{sources}\n{KEYWORDS}',
        encoding="utf-8",
    )
    return path


def source(name: str, url: str, kind: str = "feed") -> str:
    return f'[[sources]]\nname = "{name}"\nurl = "{url}"\nkind = "{kind}"\n'


class Newsmon:
    """Runs newsmon commands as processes with one config."""

    def __init__(self, cmd: list[str], config: Path, env: dict[str, str] | None = None) -> None:
        self.cmd = cmd
        self.config = config
        self.env = {**os.environ, "NEWSMON_LOG_LEVEL": "info", **(env or {})}
        self.env.pop("NEWSMON_CONFIG", None)

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.cmd, *args, "--config", str(self.config)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*self.cmd, *args, "--config", str(self.config)],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def alerts_of(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def finish(proc: subprocess.Popen[str], timeout: float = 30) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"process did not finish:\n{out}\n{err}") from None


def stop_all(procs: list[subprocess.Popen[Any]], timeout: float = 30) -> None:
    """SIGTERM every process still running, then wait for each (SIGKILL past the timeout)."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)


@pytest.fixture
def newsmon(
    tmp_path: Path,
    prefix: str,
    redis_url: str,
    http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> Iterator[Newsmon]:
    sources = source("world", http_server.url("/feed.xml")) + source(
        "live", http_server.url("/live"), "page"
    )
    config = write_config(tmp_path, prefix, sources)
    yield Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": redis_url})


def test_run_once_baseline_then_alerts_on_the_expected_channels(
    newsmon: Newsmon, http_server: LocalHTTPServer
) -> None:
    http_server.put("/feed.xml", rss([ITEM_A]))
    http_server.put("/live", liveblog([UPD_1]), "text/html; charset=utf-8")
    first = newsmon.run("run", "--once")
    assert first.returncode == 0, first.stderr
    lines = [json.loads(x) for x in first.stderr.splitlines() if '"poll"' in x]
    assert sorted(x["status"] for x in lines) == ["baseline", "baseline"]

    # Subscribers to one term and to one source, started before the change.
    term_sub = newsmon.start("subscribe", "--json", "--term", "troop-pullback", "--count", "1")
    source_sub = newsmon.start("subscribe", "--json", "--source", "world", "--count", "1")
    time.sleep(1.5)
    http_server.put("/feed.xml", rss([ITEM_B, ITEM_A]))
    http_server.put("/live", liveblog([UPD_2, UPD_1]), "text/html; charset=utf-8")
    second = newsmon.run("run", "--once")
    assert second.returncode == 0, second.stderr

    (term_alert,) = alerts_of(finish(term_sub)[0])
    assert term_alert["type"] == "block.new"
    assert term_alert["block"]["headline"] == UPD_2[2]
    assert "troop-pullback" in [t["name"] for t in term_alert["terms"]]
    (source_alert,) = alerts_of(finish(source_sub)[0])
    assert source_alert["type"] == "item.new"
    assert source_alert["item"]["title"] == ITEM_B[1]
    for alert in (term_alert, source_alert):
        jsonschema.validate(alert, SCHEMA)

    # An unchanged poll alerts nothing; a restart (a new process) alerts nothing again.
    third = newsmon.run("run", "--once")
    assert third.returncode == 0, third.stderr
    replay = newsmon.run("subscribe", "--json", "--replay", "100", "--count", "2", timeout=20)
    assert sorted(a["type"] for a in alerts_of(replay.stdout)) == ["block.new", "item.new"]
    status = newsmon.run("status", "--json")
    rows = {r["source"]: r for r in alerts_of(status.stdout)}
    assert rows["world"]["alerts"] == 1 and rows["live"]["alerts"] == 1
    assert rows["world"]["polls"] == 3


def test_seed_liveblog_new_block_with_sanctions(
    newsmon: Newsmon, http_server: LocalHTTPServer, seed_text: str
) -> None:
    """The seed page, without and then with the block "Russia announces troops…"."""
    headline = "Russia announces troops will return to bases"
    before = seed_text[: seed_text.index(headline)]
    http_server.put("/feed.xml", rss([ITEM_A]))
    http_server.put("/live", before, "text/plain; charset=utf-8")
    assert newsmon.run("run", "--once").returncode == 0
    http_server.put("/live", seed_text, "text/plain; charset=utf-8")
    result = newsmon.run("run", "--once")
    assert result.returncode == 0, result.stderr
    replay = newsmon.run("subscribe", "--json", "--replay", "10", "--count", "1", timeout=20)
    (alert,) = alerts_of(replay.stdout)
    assert alert["type"] == "block.new"
    assert alert["block"]["headline"] == headline
    assert "sanctions" in [t["name"] for t in alert["terms"]]
    assert "troop-pullback" in [t["name"] for t in alert["terms"]]


def test_check_diffs_two_snapshots_offline(
    newsmon: Newsmon, tmp_path: Path, seed_text: str
) -> None:
    headline = "Russia announces troops will return to bases"
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text(seed_text[: seed_text.index(headline)], encoding="utf-8")
    new.write_text(seed_text, encoding="utf-8")
    env_without_redis = {**newsmon.env, "NEWSMON_REDIS_URL": "redis://127.0.0.1:1/0"}
    result = subprocess.run(
        [*newsmon.cmd, "check", str(old), str(new), "--json", "--config", str(newsmon.config)],
        env=env_without_redis,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    (alert,) = alerts_of(result.stdout)
    assert alert["block"]["headline"] == headline
    assert "sanctions" in [t["name"] for t in alert["terms"]]


def test_keyword_added_while_the_daemon_runs(
    newsmon: Newsmon, http_server: LocalHTTPServer, redis_url: str, prefix: str
) -> None:
    """Waits only for durable facts: the daemon's poll and keyword log lines, stream entries."""
    http_server.put("/feed.xml", rss([ITEM_A]))
    http_server.put("/live", liveblog([UPD_1]), "text/html; charset=utf-8")
    daemon = newsmon.start("run")
    lines = LogLines(daemon)
    try:
        lines.wait(lambda e: e.get("event") == "poll" and e.get("source") == "live", "a poll")
        added = newsmon.run("keywords", "add", "markets", "stock* OR markets")
        assert added.returncode == 0, added.stderr
        lines.wait(lambda e: e.get("event") == "keywords loaded" and e.get("count") == 3, "reload")
        update = ("u3", "2022-02-15T11:00:00Z", "Stocks rally", "Markets rose on hopes of talks.")
        http_server.put("/live", liveblog([update, UPD_1]), "text/html; charset=utf-8")
        wait_for(lambda: bool(stream_alerts(redis_url, prefix)), "the alert on the stream")
        (alert,) = stream_alerts(redis_url, prefix)
        assert alert["block"]["headline"] == "Stocks rally"
        assert [t["name"] for t in alert["terms"]] == ["markets"]
        listed = newsmon.run("keywords", "list")
        assert "markets" in listed.stdout and "sanctions" in listed.stdout
        # The file's keyword goes when it leaves the file; the one the CLI added stays.
        text = newsmon.config.read_text(encoding="utf-8")
        newsmon.config.write_text(text.replace('name = "sanctions"', 'name = "sanctions-eu"'))
        daemon.send_signal(signal.SIGHUP)
        lines.wait(lambda e: e.get("event") == "keywords removed", "the file's keyword removed")
        listed = newsmon.run("keywords", "list").stdout
        assert "markets" in listed and "sanctions-eu" in listed
        assert "sanctions " not in listed and "troop-pullback" in listed
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
    assert daemon.returncode == 0, lines.text()
    lines.wait(lambda e: e.get("event") == "daemon stopped", "the clean stop")
    # Once at start, once per change: a reload that finds the same keywords says nothing.
    loads = [e["count"] for e in lines.events if e.get("event") == "keywords loaded"]
    assert loads == [2, 3, 3], lines.text()


def test_a_disabled_source_is_not_polled_until_enabled(
    newsmon: Newsmon, http_server: LocalHTTPServer
) -> None:
    http_server.put("/feed.xml", rss([ITEM_A]))
    http_server.put("/live", liveblog([UPD_1]), "text/html; charset=utf-8")
    assert newsmon.run("run", "--once").returncode == 0
    off = newsmon.run("sources", "disable", "live")
    assert off.returncode == 0 and "live: disabled" in off.stdout, off.stderr
    assert "DISABLED" in next(
        x for x in newsmon.run("sources", "list").stdout.splitlines() if x.startswith("live")
    )
    assert newsmon.run("run", "--once").returncode == 0
    assert (len(http_server.requests_for("/live")), len(http_server.requests_for("/feed.xml"))) == (
        1,
        2,
    )
    status = [json.loads(x) for x in newsmon.run("status", "--json").stdout.splitlines()]
    assert {r["source"]: r["disabled"] for r in status} == {"live": True, "world": False}
    assert newsmon.run("sources", "enable", "live").returncode == 0
    assert newsmon.run("run", "--once").returncode == 0
    assert len(http_server.requests_for("/live")) == 2
    unknown = newsmon.run("sources", "disable", "nope")
    assert unknown.returncode == 1 and "no source named 'nope'" in unknown.stderr


class LogLines:
    """Collects a process's JSON log lines (stderr) in a thread, to wait for one of them."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.events: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self.raw.append(line)
            with contextlib.suppress(ValueError):
                self.events.append(json.loads(line))

    def wait(self, match: Callable[[dict[str, Any]], bool], what: str, timeout: float = 60) -> None:
        wait_for(lambda: any(match(e) for e in list(self.events)), what, timeout, self.text)

    def baselines(self, names: Iterable[str]) -> None:
        """Wait for each named source's baseline poll line."""
        for name in names:
            self.wait(lambda e, n=name: (e.get("status"), e.get("source")) == ("baseline", n), name)

    def text(self) -> str:
        return "".join(self.raw)


def on_terminal(cmd: list[str], env: dict[str, str], stderr: int | None = None) -> tuple[int, str]:
    """Run ``cmd`` with a pseudo-terminal as its stdin and stdout (and stderr, unless one is
    given); its exit code and all it wrote there."""
    import pty

    leader, follower = pty.openpty()
    err = follower if stderr is None else stderr
    proc = subprocess.Popen(cmd, stdin=follower, stdout=follower, stderr=err, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    code = proc.wait(timeout=60)
    os.close(leader)
    return code, b"".join(chunks).decode()


def stream_alerts(redis_url: str, prefix: str) -> list[dict[str, Any]]:
    """Every alert on the test's stream, oldest first."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        return [json.loads(f["alert"]) for _id, f in client.xrange(f"{prefix}:stream")]
    finally:
        client.close()


def wait_for(
    condition: Callable[[], bool],
    what: str,
    timeout: float = 60,
    detail: Callable[[], str] = str,
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{detail()}"
        time.sleep(0.1)


def test_bad_config_exits_2_naming_file_and_key(tmp_path: Path, newsmon_cmd: list[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[sources]]\nname = "x"\nurl = "https://a.test/"\ninterval = "often"\n')
    result = subprocess.run(
        [*newsmon_cmd, "run", "--once", "--config", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "sources[0].interval" in result.stderr and str(bad) in result.stderr


def test_invalid_keyword_is_refused_and_nothing_stored(newsmon: Newsmon) -> None:
    result = newsmon.run("keywords", "add", "broken", "(troops AND")
    assert result.returncode == 2
    assert "column" in result.stderr
    assert "broken" not in newsmon.run("keywords", "list").stdout


def test_embedded_redis_survives_a_restart(
    tmp_path: Path, prefix: str, http_server: LocalHTTPServer, newsmon_cmd: list[str]
) -> None:
    """No Redis URL: newsmon runs its own server in the data dir; state outlives the process."""
    config = write_config(tmp_path, prefix, source("world", http_server.url("/feed.xml")))
    nm = Newsmon(newsmon_cmd, config)
    nm.env.pop("NEWSMON_REDIS_URL", None)
    http_server.put("/feed.xml", rss([ITEM_A]))
    assert nm.run("run", "--once").returncode == 0
    http_server.put("/feed.xml", rss([ITEM_B, ITEM_A]))
    assert nm.run("run", "--once").returncode == 0
    http_server.put("/feed.xml", rss([ITEM_B, ITEM_A]) + " ")  # new body, same items
    assert nm.run("run", "--once").returncode == 0
    replay = nm.run("subscribe", "--json", "--replay", "10", "--count", "1", timeout=30)
    (alert,) = alerts_of(replay.stdout)
    assert alert["item"]["title"] == ITEM_B[1]
    assert (tmp_path / "data" / "newsmon.aof").exists() or (tmp_path / "data").glob("*.aof")
    assert not (tmp_path / "data" / "redis.sock").exists(), "the last client shuts it down"


def test_sighup_reloads_sources_and_retry_after_is_honoured(
    newsmon: Newsmon, http_server: LocalHTTPServer, tmp_path: Path, prefix: str
) -> None:
    """A 429 with Retry-After postpones that source's polls; SIGHUP adds a new source."""
    http_server.put(
        "/feed.xml", "slow down", "text/plain", status=429, headers={"Retry-After": "3600"}
    )
    http_server.put("/live", liveblog([UPD_1]), "text/html; charset=utf-8")
    daemon = newsmon.start("run")
    try:
        wait_for(lambda: bool(http_server.requests_for("/feed.xml")), "the first poll")
        seen = len(http_server.requests_for("/live"))
        # The interval is 1s: while the other source is polled again and again, the one that
        # answered 429 with Retry-After: 3600 is left alone.
        wait_for(lambda: len(http_server.requests_for("/live")) >= seen + 3, "more polls")
        assert len(http_server.requests_for("/feed.xml")) == 1
        http_server.put("/extra.xml", rss([ITEM_A]))
        text = newsmon.config.read_text(encoding="utf-8")
        extra = source("extra", http_server.url("/extra.xml"))
        newsmon.config.write_text(text.replace("[[keywords]]", extra + "\n[[keywords]]", 1))
        daemon.send_signal(signal.SIGHUP)
        wait_for(lambda: bool(http_server.requests_for("/extra.xml")), "the new source's poll")
    finally:
        daemon.terminate()
        _out, err = daemon.communicate(timeout=30)
    assert "config reloaded" in err
    # The failed poll's own line says when the source is polled next, and why.
    (line,) = [json.loads(x) for x in err.splitlines() if '"retry-after"' in x]
    assert (line["event"], line["source"], line["status"]) == ("poll", "world", "failed")
    assert line["next_poll"] > line["timestamp"] and "poll postponed" not in err
