"""Issue 21's attacks on a daemon's HTTP port, with the daemon's polling measured throughout.

A private redis-server, ``--sources`` feeds on loopback that each gain an item every second,
and one ``newsmon run --metrics-port`` polling them every second (about one alert per source
a second). After a calm ``--calm`` seconds it attacks for ``--seconds``:

- ``streams``: ``--clients`` open ``GET /api/events`` streams;
- ``halfopen``: ``--clients`` connections that send half a request header and then nothing,
  with the daemon under ``ulimit -n --nofile``.

It prints the alert rate calm and under attack, how /healthz and /api/status answered (probed
every second, 5 s timeout), the daemon's log lines, bytes and tracebacks during the attack,
what the attackers got (answers, connections the server closed), and at the end the alerts
expected, found, duplicated and lost::

    .venv/bin/python bench/attack_web.py streams [--clients 300]
    .venv/bin/python bench/attack_web.py halfopen [--clients 1100] [--nofile 1024]

``--src DIR`` runs the daemon from another checkout (``git archive`` of an older commit) to
measure the code before a fix. Everything started is stopped before it returns.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import redis  # noqa: E402

from tests.desk import Desk, alert_key  # noqa: E402  (needs the repo root on the path)
from tests.httpserver import LocalHTTPServer, free_port  # noqa: E402
from tests.redisserver import RedisServer  # noqa: E402
from tests.test_e2e import stop_all  # noqa: E402

PREFIX = "attack"


def config_text(desk: Desk, workdir: Path) -> str:
    return (
        f'[redis]\nprefix = "{PREFIX}"\n[monitor]\ninterval = "1s"\njitter = "0s"\n'
        f'timeout = "5s"\nworkers = 1\ndata_dir = "{workdir / "data"}"\n\n{desk.config()}'
    )


def start_daemon(args: argparse.Namespace, config: Path, url: str, port: int, log: Path) -> Any:
    env = {**os.environ, "NEWSMON_REDIS_URL": url, "NEWSMON_LOG_LEVEL": "info"}
    if args.src:
        env["PYTHONPATH"] = args.src
    cmd = [sys.executable, "-m", "monitor", "run", "--config", str(config),
           "--metrics-port", str(port)]  # fmt: skip
    if args.mode == "halfopen":
        cmd = ["bash", "-c", f"ulimit -n {args.nofile} && exec {shlex.join(cmd)}"]
    with log.open("wb") as out:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=out,
                                cwd=args.src or ROOT)  # fmt: skip


def xlen(client: redis.Redis) -> int:
    return int(client.xlen(f"{PREFIX}:stream"))


class Grower(threading.Thread):
    """Every second, one more item in every feed."""

    def __init__(self, desk: Desk) -> None:
        super().__init__(daemon=True)
        self.desk, self.stopped = desk, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            self.desk.grow()


async def probe(base: str, path: str, results: Counter[str], stop: asyncio.Event) -> None:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=5)
    while not stop.is_set():
        started = time.monotonic()
        try:
            async with aiohttp.ClientSession(timeout=timeout) as s, s.get(base + path) as r:
                await r.read()
                results[str(r.status)] += 1
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            results[type(exc).__name__] += 1
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


async def attacker(port: int, request: bytes, got: Counter[str], stop: asyncio.Event) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as exc:
        got[f"connect {type(exc).__name__}"] += 1
        return
    writer.write(request)
    try:
        got[await _first_line_or_close(reader, stop)] += 1
    finally:
        writer.transport.abort()


async def _first_line_or_close(reader: asyncio.StreamReader, stop: asyncio.Event) -> str:
    read = asyncio.ensure_future(reader.readline())
    stopped = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({read, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if read not in done:
        read.cancel()
        return "still open at the end"
    stopped.cancel()
    try:
        line = read.result()
    except OSError:
        return "reset by the server"
    if not line:
        return "closed by the server"
    status = line.decode(errors="replace").split()[1:2]
    if status == ["200"]:  # a stream: keep it open, as a browser would, until the end
        rest = asyncio.ensure_future(reader.read())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({rest, stopped}, return_when=asyncio.FIRST_COMPLETED)
        rest.cancel()
        stopped.cancel()
    return f"answered {status[0] if status else '?'}"


def log_window(log: Path, start: int) -> dict[str, Any]:
    data = log.read_bytes()[start:]
    lines = data.splitlines()
    common = Counter(x[:100].decode(errors="replace") for x in lines).most_common(3)
    return {"lines": len(lines), "bytes": len(data), "tracebacks": data.count(b"Traceback"),
            "most common": common}  # fmt: skip


async def attack(args: argparse.Namespace, port: int, log: Path, client: redis.Redis) -> None:
    base = f"http://127.0.0.1:{port}/"
    request = (
        b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        if args.mode == "streams"
        else b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    )
    calm_start = xlen(client)
    await asyncio.sleep(args.calm)
    calm = (xlen(client) - calm_start) / args.calm
    stop, got = asyncio.Event(), Counter[str]()
    health, status = Counter[str](), Counter[str]()
    log_start, before = log.stat().st_size, xlen(client)
    started = time.monotonic()
    tasks = [asyncio.ensure_future(attacker(port, request, got, stop)) for _ in range(args.clients)]
    probes = [asyncio.ensure_future(probe(base, "healthz", health, stop)),
              asyncio.ensure_future(probe(base, "api/status", status, stop))]  # fmt: skip
    await asyncio.sleep(args.seconds)
    during = (xlen(client) - before) / (time.monotonic() - started)
    window = log_window(log, log_start)
    stop.set()
    await asyncio.gather(*tasks, *probes)
    limit = f" (daemon under ulimit -n {args.nofile})" if args.mode == "halfopen" else ""
    print(f"mode {args.mode}: {args.clients} clients for {args.seconds:.0f} s{limit}")
    print(f"alerts/s: calm {calm:.1f}, under attack {during:.1f}")
    print(f"/healthz: {dict(health)}; /api/status: {dict(status)}")
    print(f"attackers: {dict(got)}")
    print(f"daemon log during the attack: {window}")


def tally(client: redis.Redis, desk: Desk) -> dict[str, int]:
    alerts = [json.loads(f["alert"]) for _i, f in client.xrange(f"{PREFIX}:stream")]
    got = Counter(alert_key(a) for a in alerts)
    expected = set(desk.expected)
    return {"expected": len(expected), "found": len(set(got) & expected),
            "duplicated": sum(n - 1 for n in got.values() if n > 1),
            "lost": len(expected - set(got))}  # fmt: skip


def run(args: argparse.Namespace, workdir: Path) -> None:
    (workdir / "redis").mkdir()
    www = LocalHTTPServer()
    www.start()
    names = [f"feed{n}" for n in range(args.sources)]
    desk = Desk(www, names, [])
    desk.publish()
    config = workdir / "monitor.toml"
    config.write_text(config_text(desk, workdir), encoding="utf-8")
    log, port = workdir / "daemon.log", free_port()
    with RedisServer(workdir / "redis") as server:
        client = redis.Redis.from_url(server.url, decode_responses=True)
        daemon = start_daemon(args, config, server.url, port, log)
        grower = Grower(desk)
        try:
            _wait_baselined(client, len(names), daemon, log)
            grower.start()
            asyncio.run(attack(args, port, log, client))
            grower.stopped.set()
            grower.join()
            _wait_caught_up(client, desk)
            print(f"alerts at the end: {tally(client, desk)}")
            print(f"daemon alive at the end: {daemon.poll() is None}")
        finally:
            grower.stopped.set()
            stop_all([daemon])
            client.close()
            www.stop()


def _wait_baselined(client: redis.Redis, count: int, daemon: Any, log: Path) -> None:
    deadline = time.monotonic() + 60
    while log.read_bytes().count(b'"status": "baseline"') < count:
        if daemon.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the daemon did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def _wait_caught_up(client: redis.Redis, desk: Desk, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while tally(client, desk)["lost"] and time.monotonic() < deadline:
        time.sleep(0.5)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newsmon-attack-") as tmp:
        run(args, Path(tmp))
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("streams", "halfopen"))
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--sources", type=int, default=6)
    parser.add_argument("--calm", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--nofile", type=int, default=1024)
    parser.add_argument("--src", default="", help="run the daemon from this checkout")
    args = parser.parse_args(argv)
    if args.clients is None:
        args.clients = 300 if args.mode == "streams" else 1100
    return args


if __name__ == "__main__":
    sys.exit(main())
