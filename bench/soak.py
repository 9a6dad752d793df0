"""A soak: many sources, many rounds, Redis restarts and SIGKILLed daemons; prints the counts.

Serves N healthy sources (nine feeds in ten, one live page in ten) on loopback; every round
each of them gains one item or block, so each round must put exactly N alerts on the stream.
Two or more ``newsmon run`` daemons share them on a private, durable redis-server. Every
``--kill-every`` rounds one daemon is SIGKILLed (while its polls are in flight) and started
again; every ``--restart-every`` rounds Redis is restarted. At the end it prints the alerts
expected, found, duplicated and lost, and exits 1 unless the last two are 0::

    .venv/bin/python bench/soak.py [--sources 200] [--rounds 30] [--daemons 2]
        [--kill-every 3] [--restart-every 4] [--interval 2]

Everything runs on 127.0.0.1; everything started is stopped before it returns.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import redis  # noqa: E402

from tests.desk import Desk, alert_key  # noqa: E402  (needs the repo root on the path)
from tests.httpserver import LocalHTTPServer  # noqa: E402
from tests.redisserver import RedisServer  # noqa: E402
from tests.test_e2e import stop_all  # noqa: E402

PREFIX = "soak"


@dataclass
class Counts:
    """What the soak did and found."""

    rounds: int = 0
    kills: int = 0
    restarts: int = 0
    late_rounds: int = 0  # rounds whose alerts took longer than the round's deadline
    expected: int = 0
    found: int = 0
    duplicated: int = 0
    lost: int = 0
    unexpected: int = 0
    crashes: int = 0  # "poll crashed" lines in the daemons' logs


class Fleet:
    """The daemons, each logging to a file of its own."""

    def __init__(self, config: Path, redis_url: str, workdir: Path, count: int) -> None:
        exe = shutil.which("newsmon", path=str(Path(sys.executable).parent))
        self.cmd = [exe] if exe else [sys.executable, "-m", "monitor"]
        self.config, self.workdir = config, workdir
        self.env = {**os.environ, "NEWSMON_REDIS_URL": redis_url, "NEWSMON_LOG_LEVEL": "info"}
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []
        for _ in range(count):
            self.procs.append(self._start())

    def _start(self) -> subprocess.Popen[bytes]:
        log = self.workdir / f"daemon-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            cmd = [*self.cmd, "run", "--config", str(self.config)]
            return subprocess.Popen(cmd, env=self.env, stdout=subprocess.DEVNULL, stderr=out)

    def kill_one(self, rng: random.Random) -> None:
        index = rng.randrange(len(self.procs))
        self.procs[index].send_signal(signal.SIGKILL)
        self.procs[index].wait(timeout=30)
        self.procs[index] = self._start()

    def stop(self) -> None:
        stop_all(self.procs)

    def crashes(self) -> int:
        return sum(log.read_text(errors="replace").count("poll crashed") for log in self.logs)


def stream(redis_url: str) -> list[dict[str, Any]]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        return [json.loads(f["alert"]) for _id, f in client.xrange(f"{PREFIX}:stream")]
    finally:
        client.close()


def wait_for_alerts(redis_url: str, want: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if len(stream(redis_url)) >= want:
                return True
        except redis.ConnectionError:
            pass  # Redis is restarting
        time.sleep(0.2)
    return False


def wait_baselined(redis_url: str, names: list[str], timeout: float) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            pipe = client.pipeline(transaction=False)
            for name in names:
                pipe.hget(f"{PREFIX}:src:{name}", "baselined")
            if all(flag == "1" for flag in pipe.execute()):
                return
            time.sleep(0.2)
    finally:
        client.close()
    raise SystemExit("soak: the sources were not all baselined in time")


def config_text(desk: Desk, interval: int, workdir: Path) -> str:
    return (
        f'[redis]\nprefix = "{PREFIX}"\n\n[monitor]\ninterval = "{interval}s"\njitter = "0s"\n'
        f'timeout = "5s"\nworkers = 1\ndata_dir = "{workdir / "data"}"\n\n{desk.config()}'
    )


def tally(counts: Counts, alerts: list[dict[str, Any]], desk: Desk) -> None:
    got = Counter(alert_key(a) for a in alerts)
    want = set(desk.expected)
    counts.expected, counts.found = len(want), sum(1 for k in want if got[k])
    counts.duplicated = sum(n - 1 for k, n in got.items() if n > 1)
    counts.lost = len(want) - counts.found
    counts.unexpected = sum(n for k, n in got.items() if k not in want)


def soak(args: argparse.Namespace, workdir: Path) -> Counts:
    rng, counts = random.Random(args.seed), Counts()
    server, www = RedisServer(workdir, durable=True), LocalHTTPServer()
    www.start()
    server.start()
    pages = max(1, args.sources // 10)
    names = [f"s{i:04d}" for i in range(args.sources)]
    desk = Desk(www, names[pages:], names[:pages])
    desk.publish()
    config = workdir / "monitor.toml"
    config.write_text(config_text(desk, args.interval, workdir), encoding="utf-8")
    fleet = Fleet(config, server.url, workdir, args.daemons)
    try:
        wait_baselined(server.url, desk.names(), args.round_timeout)
        for round_ in range(1, args.rounds + 1):
            one_round(args, rng, counts, desk, fleet, server, round_)
    finally:
        fleet.stop()
        counts.crashes = fleet.crashes()
        tally(counts, stream(server.url), desk)
        server.stop()
        www.stop()
    return counts


def one_round(
    args: argparse.Namespace,
    rng: random.Random,
    counts: Counts,
    desk: Desk,
    fleet: Fleet,
    server: RedisServer,
    round_: int,
) -> None:
    desk.grow()
    started = time.monotonic()
    if round_ % args.kill_every == 0:
        time.sleep(rng.uniform(0, args.interval))  # somewhere in the middle of polls
        fleet.kill_one(rng)
        counts.kills += 1
    if round_ % args.restart_every == 0:
        server.restart()
        counts.restarts += 1
    ok = wait_for_alerts(server.url, len(desk.expected), args.round_timeout)
    counts.rounds += 1
    counts.late_rounds += not ok
    took = time.monotonic() - started
    print(f"round {round_:3d}: {len(desk.expected):6d} alerts expected so far, {took:5.1f} s"
          f"{'' if ok else '  (late)'}", flush=True)  # fmt: skip


def report(counts: Counts, args: argparse.Namespace, seconds: float) -> None:
    print(f"\nsoak: {args.sources} sources, {args.daemons} daemons, {counts.rounds} rounds "
          f"in {seconds:.0f} s")  # fmt: skip
    for name in ("kills", "restarts", "late_rounds", "expected", "found", "duplicated", "lost",
                 "unexpected", "crashes"):  # fmt: skip
        print(f"  {name:12s} {getattr(counts, name)}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="newsmon-soak-") as tmp:
        counts = soak(args, Path(tmp))
    report(counts, args, time.monotonic() - started)
    bad = counts.duplicated or counts.lost or counts.unexpected or counts.crashes
    return 1 if bad else 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--daemons", type=int, default=2)
    parser.add_argument("--interval", type=int, default=2, help="seconds between polls")
    parser.add_argument("--kill-every", type=int, default=3, help="rounds between SIGKILLs")
    parser.add_argument("--restart-every", type=int, default=4, help="rounds between restarts")
    parser.add_argument("--round-timeout", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
