"""Redis memory per source and per tracked item, for the capacity model in docs/scaling.md.

Runs ``newsmon run --once`` as a whole process over N generated feeds (bench_poll.py's feeds:
RSS, 20 summary items, about 17 KB each) against a private redis-server, and reads Redis's
``used_memory`` and ``MEMORY USAGE`` of each kind of key after each step:

1. the first run: a cheap baseline (item hashes and the compressed body kept; no document);
2. every feed gains one new item: the new item's document is stored; the kept body stays;
3. every feed gains 20 new items: all the kept body's items have left the feed, so the body is
   dropped, and each feed holds 21 documents.

Loopback only; the servers it starts are stopped by PID, its temp dir removed::

    .venv/bin/python bench/bench_memory.py [--feeds 1000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_poll import (
    ITEMS,
    start_redis,
    start_server,
    stop_process,
    write_feed,
)

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "mem"


def newsmon_once(config: Path, redis_url: str) -> None:
    exe = ROOT / ".venv" / "bin" / "newsmon"
    env = {**os.environ, "NEWSMON_REDIS_URL": redis_url, "NEWSMON_LOG_LEVEL": "warning"}
    done = subprocess.run([str(exe), "run", "--once", "--config", str(config)], env=env)
    if done.returncode != 0:
        raise SystemExit(f"newsmon run --once exited {done.returncode}")


def key_kind(key: str) -> str:
    parts = key.split(":")
    return parts[1] if len(parts) > 2 else parts[-1]


def memory(client: redis.Redis, feeds: int) -> dict[str, float]:
    """Bytes per source by kind of key, and the server's used_memory per source."""
    by_kind: dict[str, int] = defaultdict(int)
    for key in client.scan_iter(match=f"{PREFIX}:*", count=1000):
        by_kind[key_kind(key)] += int(client.memory_usage(key, samples=0) or 0)
    out = {kind: size / feeds for kind, size in sorted(by_kind.items())}
    out["used_memory"] = float(client.info("memory")["used_memory"]) / feeds
    return out


def docs_count(client: redis.Redis) -> int:
    return sum(int(client.hlen(k)) for k in client.scan_iter(match=f"{PREFIX}:docs:*"))


def show(step: str, figures: dict[str, float], docs: int, feeds: int) -> None:
    kinds = "  ".join(f"{k} {v / 1024:.1f}" for k, v in figures.items() if k != "used_memory")
    print(f"{step:<34} used_memory/source {figures['used_memory'] / 1024:6.1f} KiB | {kinds}")
    print(f"{'':<34} documents tracked {docs} ({docs / feeds:.1f} per source)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    feeds = parser.parse_args().feeds
    with tempfile.TemporaryDirectory(prefix="newsmon-mem-") as tmp:
        www = Path(tmp) / "www"
        www.mkdir()
        for i in range(feeds):
            write_feed(www, i, 0)
        server, port = start_server(www)
        redis_proc, url = start_redis(Path(tmp))
        try:
            run_steps(Path(tmp), www, port, url, feeds)
        finally:
            stop_process(server)
            stop_process(redis_proc)


def run_steps(tmp: Path, www: Path, port: int, url: str, feeds: int) -> None:
    config = tmp / "m.toml"
    sources = "".join(
        f'[[sources]]\nname = "f{i}"\nurl = "http://127.0.0.1:{port}/feeds/feed{i}.xml"\n'
        for i in range(feeds)
    )
    config.write_text(f'[redis]\nprefix = "{PREFIX}"\n\n{sources}', encoding="utf-8")
    client = redis.Redis.from_url(url, decode_responses=True)
    empty = float(client.info("memory")["used_memory"])
    print(f"{feeds} feeds of {ITEMS} items; empty server {empty / 2**20:.1f} MiB; KiB per source:")
    newsmon_once(config, url)
    show("1. first run (cheap baseline)", memory(client, feeds), docs_count(client), feeds)
    for i in range(feeds):
        write_feed(www, i, 1)
    newsmon_once(config, url)
    show("2. one new item each", memory(client, feeds), docs_count(client), feeds)
    for i in range(feeds):
        write_feed(www, i, ITEMS + 1)  # all items new: the kept body's items have left
    newsmon_once(config, url)
    show(f"3. {ITEMS} new items each, body gone", memory(client, feeds), docs_count(client), feeds)
    client.close()


if __name__ == "__main__":
    main()
