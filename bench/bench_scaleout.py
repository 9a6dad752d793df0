"""Scale-out: three ``newsmon run`` daemons on one Redis share 300 sources; one is SIGKILLed.

What it measures, with everything real (three daemon processes, one redis-server, a feed server
in its own process that logs every request with its time):

- every source's polls over the measured window, counted at the HTTP server (at a 2 s interval
  for 60 s: 30 each, ±1);
- each daemon's share of the polls before the kill (from its own poll log lines: a third each,
  ±25%);
- after one daemon is SIGKILLed halfway, how long each source waited between its last poll
  before the kill and its first after (target: within two intervals);
- the stream: every feed gains one item every 6 s, so the expected alerts are known; every one
  must be there exactly once (alert ids are deterministic).

Loopback only; every process it starts is stopped by PID, its temp dir removed::

    .venv/bin/python bench/bench_scaleout.py [--sources 300] [--interval 2] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import IO, Any

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.bench_poll import feed_xml  # noqa: E402  (needs the repo root on the path)
from bench.bench_urlwatch import HOST, NEWSMON, redis_server, started, stop  # noqa: E402

DAEMONS = 3
GROW_EVERY = 6.0  # seconds between new items in every feed


class Daemon:
    """One ``newsmon run`` process and the sources of its poll log lines, with times."""

    def __init__(self, config: Path, env: dict[str, str]) -> None:
        cmd = [str(NEWSMON), "run", "--config", str(config)]
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self.polls: list[tuple[float, str]] = []
        assert self.proc.stderr is not None
        threading.Thread(target=self._read, args=(self.proc.stderr,), daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        for line in stream:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "poll":
                self.polls.append((time.time(), event["source"]))


def write_feeds(www: Path, versions: list[int]) -> None:
    for i, version in enumerate(versions):
        tmp = www / f".{i}.tmp"
        tmp.write_bytes(feed_xml(i, version))
        os.replace(tmp, www / f"f{i}.xml")


def requests_log(path: Path) -> list[tuple[float, str]]:
    out = []
    for line in path.read_text().splitlines():
        stamp, _, where = line.partition(" ")
        out.append((float(stamp), where.strip("/").removesuffix(".xml")))
    return out


def stream_alerts(url: str, prefix: str) -> list[dict[str, Any]]:
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        return [json.loads(f["alert"]) for _id, f in client.xrange(f"{prefix}:stream")]
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=300)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: stop what was started
    with tempfile.TemporaryDirectory(prefix="newsmon-scaleout-") as tmp:
        run(Path(tmp), args.sources, args.interval, args.seconds)


def run(tmp: Path, count: int, interval: float, seconds: float) -> None:
    www, log = tmp / "www", tmp / "requests.log"
    www.mkdir()
    versions = [0] * count
    write_feeds(www, versions)
    serve = [sys.executable, str(ROOT / "bench" / "bench_urlwatch.py"), "--serve", str(www),
             "etag", str(log)]  # fmt: skip
    with (
        started(serve, stdout=subprocess.PIPE, text=True) as server,
        redis_server(tmp) as (_redis, url),
    ):
        assert server.stdout is not None
        port = int(server.stdout.readline())
        config = tmp / "monitor.toml"
        sources = "".join(
            f'[[sources]]\nname = "f{i}"\nurl = "http://{HOST}:{port}/f{i}.xml"\n'
            for i in range(count)
        )
        config.write_text(
            f'[redis]\nprefix = "so"\n\n[monitor]\ninterval = "{interval}s"\njitter = 0\n'
            f"workers = 1\n\n{sources}"
        )
        env = {**os.environ, "NEWSMON_REDIS_URL": url}
        daemons = [Daemon(config, env) for _ in range(DAEMONS)]
        try:
            report(*exercise(daemons, www, log, url, versions, interval, seconds))
        finally:
            for daemon in daemons:
                stop(daemon.proc)


def exercise(
    daemons: list[Daemon],
    www: Path,
    log: Path,
    url: str,
    versions: list[int],
    interval: float,
    seconds: float,
) -> tuple[Any, ...]:
    count = len(versions)
    deadline = time.time() + 60
    while len({s for d in daemons for _t, s in d.polls}) < count:  # every baseline
        if time.time() > deadline:
            raise RuntimeError("not every source was polled within 60 s")
        time.sleep(0.1)
    start = time.time()
    killed_at, next_growth, grown = None, start + GROW_EVERY, 0
    while time.time() < start + seconds:
        if killed_at is None and time.time() >= start + seconds / 2:
            daemons[0].proc.send_signal(signal.SIGKILL)
            killed_at = time.time()
        if time.time() >= next_growth:
            versions[:] = [v + 1 for v in versions]
            write_feeds(www, versions)
            grown += 1
            next_growth += GROW_EVERY
        time.sleep(0.05)
    end = time.time()
    expected = count * grown
    wait_deadline = time.time() + 10 * interval
    while len(stream_alerts(url, "so")) < expected and time.time() < wait_deadline:
        time.sleep(0.2)
    for daemon in daemons[1:]:
        stop(daemon.proc)
    alerts = stream_alerts(url, "so")
    return daemons, requests_log(log), start, end, killed_at, interval, expected, alerts


def report(
    daemons: list[Daemon],
    requests: list[tuple[float, str]],
    start: float,
    end: float,
    killed_at: float,
    interval: float,
    expected: int,
    alerts: list[dict[str, Any]],
) -> None:
    names = sorted({s for _t, s in requests})
    window = Counter(s for t, s in requests if start <= t < end)
    target = (end - start) / interval
    counts = [window[n] for n in names]
    within = sum(1 for c in counts if abs(c - target) <= 1)
    print(f"{len(names)} sources, interval {interval:g} s, {end - start:.0f} s measured:")
    print(f"  polls per source (HTTP server): expected {target:.1f}; min {min(counts)}, "
          f"median {statistics.median(counts):g}, max {max(counts)}; within ±1: "
          f"{within}/{len(names)}")  # fmt: skip
    before = [sum(1 for t, _s in d.polls if start <= t < killed_at) for d in daemons]
    total = sum(before) or 1
    shares = ", ".join(f"{b / total:.1%}" for b in before)
    worst = max(abs(b / total - 1 / len(daemons)) * len(daemons) for b in before)
    print(f"  shares before the kill: {shares} (largest deviation from a third: {worst:.0%})")
    gaps = takeover_gaps(requests, killed_at)
    late = sum(1 for g in gaps if g > 2 * interval)
    print(f"  after SIGKILL of daemon 1: gap between each source's last poll before and first "
          f"after: median {statistics.median(gaps):.2f} s, max {max(gaps):.2f} s; over two "
          f"intervals: {late}/{len(gaps)}")  # fmt: skip
    ids = Counter(a["id"] for a in alerts)
    duplicated = sum(n - 1 for n in ids.values() if n > 1)
    print(f"  stream: expected {expected} alerts, found {len(ids)} distinct, duplicated "
          f"{duplicated}, lost {max(0, expected - len(ids))}")  # fmt: skip


def takeover_gaps(requests: list[tuple[float, str]], killed_at: float) -> list[float]:
    last_before: dict[str, float] = {}
    first_after: dict[str, float] = {}
    for stamp, name in requests:
        if stamp < killed_at:
            last_before[name] = stamp
        elif name not in first_after:
            first_after[name] = stamp
    return [first_after[n] - last_before[n] for n in last_before if n in first_after]


if __name__ == "__main__":
    main()
