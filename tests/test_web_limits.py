"""What a client can take of the web server, and what it is told when Redis cannot answer:
many event streams and half-open connections beside a real polling daemon, nested bodies,
Redis stopped or full, and wrong tokens. Real servers over loopback, real redis-servers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
import redis

from monitor.store import Store, connect
from monitor.web import build, serving
from monitor.web.events import MAX_STREAMS
from tests.desk import Desk
from tests.httpserver import LocalHTTPServer, free_port
from tests.redisserver import RedisServer
from tests.test_e2e import LogLines, Newsmon, stop_all
from tests.webserver import call, config

WAIT = 60.0  # seconds a durable fact may take on a loaded machine before the test fails


async def until(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    """Wait (without blocking the loop) until ``condition`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def stream_length(redis_url: str, prefix: str) -> int:
    with redis.Redis.from_url(redis_url) as client:
        return int(client.xlen(f"{prefix}:stream"))


def daemon_config(tmp_path: Path, prefix: str, desk: Desk) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(
        f'[redis]\nprefix = "{prefix}"\n[monitor]\ninterval = "1s"\njitter = "0s"\n'
        f"workers = 1\n{desk.config()}"
    )
    return path


async def open_raw(port: int, request: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    return reader, writer


async def read_until(reader: asyncio.StreamReader, marker: bytes) -> bytes:
    seen = b""
    while marker not in seen:
        chunk = await asyncio.wait_for(reader.read(65536), WAIT)
        assert chunk, f"closed before {marker!r}: {seen[-300:]!r}"
        seen += chunk
    return seen


@pytest.mark.e2e
async def test_a_full_house_of_event_streams_leaves_the_daemon_polling(
    tmp_path: Path, prefix: str, redis_url: str, http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> None:  # fmt: skip
    """MAX_STREAMS open streams (the issue's 64 took the daemon's whole Redis pool): alerts
    keep reaching the stream and the streams, /healthz and /api/status answer, and one
    stream more is answered 503 with Retry-After."""
    desk = Desk(http_server, ["wire", "agency"], [])
    desk.publish()
    port = free_port()
    newsmon = Newsmon(newsmon_cmd, daemon_config(tmp_path, prefix, desk),
                      {"NEWSMON_REDIS_URL": redis_url})  # fmt: skip
    daemon = newsmon.start("run", "--metrics-port", str(port))
    log = LogLines(daemon)
    streams: list[asyncio.StreamWriter] = []
    try:
        log.wait(lambda e: e.get("event") == "serving metrics", "the endpoint")
        log.baselines(desk.names())
        request = b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        opened = [await open_raw(port, request) for _ in range(MAX_STREAMS)]
        streams = [writer for _reader, writer in opened]
        for reader, _writer in opened:  # every one of them is a stream
            await read_until(reader, b"retry: ")
        reader, writer = await open_raw(port, request)
        streams.append(writer)
        refused = (await read_until(reader, b"\r\n\r\n")).decode()
        assert refused.startswith("HTTP/1.1 503") and "Retry-After: " in refused, refused
        for _round in range(3):
            before = stream_length(redis_url, prefix)
            desk.grow()
            await until(lambda b=before: stream_length(redis_url, prefix) >= b + 2, "alerts")
        for reader, _writer in opened[:: MAX_STREAMS // 10]:
            assert b"event: alert" in await read_until(reader, b"event: alert")
        assert (await call("GET", f"http://127.0.0.1:{port}/healthz"))[0] == 200
        status, summary = await call("GET", f"http://127.0.0.1:{port}/api/status")
        assert status == 200 and summary["alerts"] == 6
    finally:
        for writer in streams:
            writer.transport.abort()
        stop_all([daemon])


@pytest.mark.e2e
async def test_half_open_connections_are_closed_and_the_log_stays_quiet(
    tmp_path: Path, prefix: str, redis_url: str, http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> None:  # fmt: skip
    """400 connections that send half a header, to a daemon under ``ulimit -n 256`` (the
    issue's 1,100 under 1,024 filled the log with tracebacks): the server closes each of
    them, polling goes on, and the log says so in a few lines, not one per connection."""
    desk = Desk(http_server, ["wire"], [])
    desk.publish()
    port = free_port()
    newsmon = Newsmon(newsmon_cmd, daemon_config(tmp_path, prefix, desk),
                      {"NEWSMON_REDIS_URL": redis_url})  # fmt: skip
    newsmon.cmd = ["bash", "-c", 'ulimit -n 256 && exec "$@"', "newsmon", *newsmon.cmd]
    daemon = newsmon.start("run", "--metrics-port", str(port))
    log = LogLines(daemon)
    sockets: list[asyncio.StreamWriter] = []
    try:
        log.wait(lambda e: e.get("event") == "serving metrics", "the endpoint")
        log.baselines(desk.names())
        lines_before = len(log.raw)
        half = b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        opened = [await open_raw(port, half) for _ in range(400)]
        sockets = [writer for _reader, writer in opened]
        for reader, _writer in opened:  # closed by the server: EOF or a reset
            with contextlib.suppress(ConnectionResetError):
                assert await asyncio.wait_for(reader.read(), WAIT) == b""
        desk.grow()
        await until(lambda: stream_length(redis_url, prefix) >= 1, "the alert")
        assert (await call("GET", f"http://127.0.0.1:{port}/healthz"))[0] == 200
        during = "".join(log.raw[lines_before:])
        assert "Traceback" not in during and "Too many open files" not in during
        about = [line for line in log.raw[lines_before:] if '"connections ' in line]
        assert 1 <= len(about) <= 6, about
        events = {json.loads(line)["event"] for line in about}
        assert events <= {"connections refused", "connections closed", "connections not accepted"}
    finally:
        for writer in sockets:
            writer.transport.abort()
        stop_all([daemon])


async def test_a_deeply_nested_body_is_a_json_400(site: str) -> None:
    body = "[" * 100_000 + "]" * 100_000  # well under the 1 MB a body may have
    for path in ("api/keywords", "api/sources"):
        status, answer = await call(
            "POST", site + path, data=body, headers={"Content-Type": "application/json"}
        )
        assert status == 400 and answer["field"] == "body" and "nested" in answer["error"]


def test_with_redis_stopped_the_api_answers_json_503_and_logs_once(
    tmp_path: Path, prefix: str, newsmon_cmd: list[str]
) -> None:
    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis")
    server.start()
    port = free_port()
    (tmp_path / "monitor.toml").write_text(f'[redis]\nprefix = "{prefix}"\n')
    newsmon = Newsmon(newsmon_cmd, tmp_path / "monitor.toml", {"NEWSMON_REDIS_URL": server.url})
    web = newsmon.start("web", "--port", str(port))
    log = LogLines(web)
    try:
        log.wait(lambda e: e.get("event") == "serving the web pages", "the web server")
        server.stop()
        answers = asyncio.run(_five_api_calls(f"http://127.0.0.1:{port}/"))
        for status, body, headers in answers:
            assert status == 503 and headers.get("Retry-After"), (status, body)
            assert json.loads(body)["error"] == "redis is not answering; try again later"
        status, page, _headers = asyncio.run(_get(f"http://127.0.0.1:{port}/"))
        assert status == 503 and "Redis is not answering." in page
    finally:
        stop_all([web])
        server.stop()
    assert "Traceback" not in log.text()
    failed = [e for e in log.events if e.get("event") == "web requests failed"]
    assert len(failed) == 1 and failed[0]["reason"] == "redis is not answering", log.text()


async def _five_api_calls(base: str) -> list[tuple[int, str, dict[str, str]]]:
    answers = [await _get(base + path) for path in ("api/status", "api/alerts", "api/keywords")]
    async with aiohttp.ClientSession() as session:
        for body in ({"name": "k", "query": "a"}, {"name": "s", "url": "http://x.test/"}):
            path = "api/keywords" if "query" in body else "api/sources"
            async with session.post(base + path, json=body) as r:
                answers.append((r.status, await r.text(), dict(r.headers)))
    return answers


async def _get(url: str) -> tuple[int, str, dict[str, str]]:
    async with aiohttp.ClientSession() as session, session.get(url) as r:
        return r.status, await r.text(), dict(r.headers)


@pytest.mark.e2e
def test_readyz_says_redis_is_out_of_memory(
    tmp_path: Path, prefix: str, http_server: LocalHTTPServer, newsmon_cmd: list[str]
) -> None:
    """Past maxmemory Redis still answers (PING) and refuses every write: the daemon's
    /readyz and ``newsmon web``'s say so, rather than "not answering"."""
    (tmp_path / "redis").mkdir()
    desk = Desk(http_server, ["wire"], [])
    desk.publish()
    port, web_port = free_port(), free_port()
    with RedisServer(tmp_path / "redis") as server:
        newsmon = Newsmon(newsmon_cmd, daemon_config(tmp_path, prefix, desk),
                          {"NEWSMON_REDIS_URL": server.url})  # fmt: skip
        daemon = newsmon.start("run", "--metrics-port", str(port))
        web = newsmon.start("web", "--port", str(web_port))
        log, web_log = LogLines(daemon), LogLines(web)
        try:
            log.wait(lambda e: e.get("event") == "serving metrics", "the endpoint")
            web_log.wait(lambda e: e.get("event") == "serving the web pages", "the web server")
            readyz = [f"http://127.0.0.1:{p}/readyz" for p in (port, web_port)]
            _until_sync(lambda: all(_status(u)[0] == 200 for u in readyz), "ready")
            with redis.Redis.from_url(server.url) as client:
                client.config_set("maxmemory", "1")
            _until_sync(lambda: all(_status(u)[0] == 503 for u in readyz), "not ready")
            for url in readyz:
                assert "out of memory" in _status(url)[1], url
        finally:
            stop_all([daemon, web])


def _until_sync(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _status(url: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


async def test_wrong_tokens_are_limited_per_address(tmp_path: Path, redis_url: str) -> None:
    """Ten wrong tokens, then 429 with Retry-After, even for the right token, until the
    address has waited (the issue: about 2,900 guesses a second on loopback)."""
    client = connect(redis_url)
    store = Store(client, "tokens-test")
    try:
        app = build(store, config(tmp_path), "s3cret")
        async with serving(app, "127.0.0.1", free_port()) as url:
            wrong = {"Authorization": "Bearer guess"}
            statuses = [(await call("GET", url + "api/status", headers=wrong))[0]
                        for _ in range(10)]  # fmt: skip
            assert statuses == [401] * 10
            async with aiohttp.ClientSession() as s, s.get(url + "api/status",
                                                           headers=wrong) as r:  # fmt: skip
                assert r.status == 429 and int(r.headers["Retry-After"]) >= 1
                assert "too many wrong tokens" in (await r.json())["error"]
            right = {"Authorization": "Bearer s3cret"}
            assert (await call("GET", url + "api/status", headers=right))[0] == 429
            assert (await call("GET", url + "healthz"))[0] == 200  # probes carry no token
    finally:
        await client.aclose()


_OUT_OF_FILES = """
import asyncio, resource, sys
from aiohttp import web
from monitor import logs
from monitor.web import serving

async def main(port):
    logs.configure("info", json_lines=True)
    async with serving(web.Application(), "127.0.0.1", port):
        # the cap was set from a high limit; now the descriptors run out before it
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (48, hard))
        print("listening", flush=True)
        await asyncio.sleep(float(sys.argv[2]))

asyncio.run(main(int(sys.argv[1])))
"""


async def test_accept_out_of_descriptors_is_logged_once_in_a_while(tmp_path: Path) -> None:
    """asyncio logs a traceback each time accept() meets EMFILE (the issue's 485,257 in
    30 s, "socket.accept() out of system resource"); the server counts them instead."""
    import sys

    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _OUT_OF_FILES, str(port), "8",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    assert await asyncio.wait_for(proc.stdout.readline(), WAIT) == b"listening\n"
    # past the descriptors, within the listen backlog: accept() meets EMFILE again and again
    opened = await asyncio.gather(
        *(open_raw(port, b"GET / HTTP/1.1\r\n") for _ in range(100)), return_exceptions=True
    )
    try:
        err = (await asyncio.wait_for(proc.stderr.read(), WAIT)).decode()
    finally:
        for pair in opened:
            if isinstance(pair, tuple):
                pair[1].transport.abort()
    await proc.wait()
    assert "Traceback" not in err and "out of system resource" not in err, err[-2000:]
    lines = [json.loads(x) for x in err.splitlines() if x.strip()]
    failed = [x for x in lines if x["event"] == "connections not accepted"]
    assert 1 <= len(failed) <= 2 and "Too many open files" in failed[0]["error"], err[-2000:]
