"""``newsmon run --once`` over 1,000 feeds with stories on and off (issue 16, item 7).

Each run is a whole ``newsmon run --once`` process, as a user runs it, against a private
redis-server and bench_poll.py's feed server (RSS, 20 news-like items, about 17 KB each, over
loopback). A run starts on an empty Redis: a first, untimed pass records every feed's baseline;
then every feed gains one new item (``--changed`` of them do) and the timed pass polls them
all, so it makes one ``item.new`` per changed feed, and with stories on assigns each a story
(1,000 reports into a log that starts empty). The two modes alternate (on, off, then off, on,
…) for ``--repeats`` pairs, and each pair gives the ratio on/off of the timed pass's wall time
and CPU time (the process's, from ``wait4``); the ratios are printed with their min–max.
Target: within 10%.

Loopback only; the servers it starts are stopped by PID, its temp dir removed::

    .venv/bin/python bench/bench_story_once.py [--feeds 1000] [--repeats 5] [--changed 1.0]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_poll import start_redis, start_server, stop_process, write_feed

ROOT = Path(__file__).resolve().parents[1]


def once(config: Path, url: str) -> tuple[float, float]:
    """One ``newsmon run --once``: its wall time and CPU time (user + system), seconds."""
    exe = ROOT / ".venv" / "bin" / "newsmon"
    env = {**os.environ, "NEWSMON_REDIS_URL": url, "NEWSMON_LOG_LEVEL": "warning"}
    started = time.perf_counter()
    proc = subprocess.Popen([str(exe), "run", "--once", "--config", str(config)], env=env)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"newsmon run --once exited {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def config_file(tmp: Path, port: int, feeds: int, stories: bool) -> Path:
    path = tmp / f"stories-{'on' if stories else 'off'}.toml"
    sources = "".join(
        f'[[sources]]\nname = "f{i}"\nurl = "http://127.0.0.1:{port}/feeds/feed{i}.xml"\n'
        for i in range(feeds)
    )
    path.write_text(
        f'[redis]\nprefix = "once"\n\n[stories]\nenabled = {"true" if stories else "false"}\n\n'
        f"{sources}",
        encoding="utf-8",
    )
    return path


def timed_pass(www: Path, config: Path, url: str, feeds: int, changed: int) -> tuple[float, float]:
    """Baseline every feed, give ``changed`` feeds a new item, time the pass that finds them."""
    client = redis.Redis.from_url(url)
    client.flushdb()  # the private server this script started, nothing else's
    for i in range(feeds):
        write_feed(www, i, 0)
    once(config, url)
    for i in range(changed):
        write_feed(www, i, 1)
    figures = once(config, url)
    alerts = int(client.xlen("once:stream"))
    client.close()
    if alerts != changed:
        raise SystemExit(f"expected {changed} alerts, the stream has {alerts}")
    return figures


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} (min {min(values):.3f} – max {max(values):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--changed", type=float, default=1.0, help="share of feeds changed")
    args = parser.parse_args()
    changed = round(args.feeds * args.changed)
    with tempfile.TemporaryDirectory(prefix="newsmon-storyonce-") as tmp:
        www = Path(tmp) / "www"
        www.mkdir()
        server, port = start_server(www)
        redis_proc, url = start_redis(Path(tmp))
        try:
            configs = {m: config_file(Path(tmp), port, args.feeds, m) for m in (True, False)}
            runs: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
            for rep in range(args.repeats):
                for mode in (True, False) if rep % 2 == 0 else (False, True):
                    runs[mode].append(timed_pass(www, configs[mode], url, args.feeds, changed))
            report(runs, args.feeds, changed)
        finally:
            stop_process(server)
            stop_process(redis_proc)


def report(runs: dict[bool, list[tuple[float, float]]], feeds: int, changed: int) -> None:
    print(f"run --once over {feeds} feeds, {changed} with a new item (so {changed} reports)")
    for mode in (True, False):
        label = "stories on " if mode else "stories off"
        print(f"  {label}  wall s {spread([w for w, _ in runs[mode]])}")
        print(f"  {'':11}  CPU s  {spread([c for _, c in runs[mode]])}")
    pairs = list(zip(runs[True], runs[False], strict=True))
    print(f"  ratio on/off, wall {spread([on[0] / off[0] for on, off in pairs])}")
    print(f"  ratio on/off, CPU  {spread([on[1] / off[1] for on, off in pairs])}  (target ≤ 1.10)")


if __name__ == "__main__":
    main()
