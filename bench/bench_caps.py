"""The attack of issue 21 item 5: one poll of a huge feed, and a feed whose items share a guid.

Each case runs in a fresh process (so its peak RSS is its own) against a private
redis-server: a first poll of a one-item feed (the baseline), then polls of the big feed until
one finds nothing new. Reported per poll: wall time, alerts committed, and after all polls the
stream's length, its distinct alert ids, the process's peak RSS and the longest single command
(a commit script) in Redis's SLOWLOG::

    .venv/bin/python bench/bench_caps.py [--items 100000] [--same-guid 1000] [--uncapped]

``--uncapped`` polls with no caps (every item alerted on in one poll), which shows the
commit's pieces alone bounding the longest script.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_poll import start_redis, stop_process

MAX_POLLS = 400


def feed(items: int, *, same_guid: bool = False) -> bytes:
    """An RSS feed of ``items`` short items (about 45 bytes each), newest first."""
    parts = [
        f"<item><guid>{'g' if same_guid else f'g{n}'}</guid><title>t{n}</title></item>"
        for n in range(items, 0, -1)
    ]
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>'
    return (head + "".join(parts) + "</channel></rss>").encode()


async def run_case(url: str, path: Path, body: bytes, uncapped: bool) -> dict[str, Any]:
    from monitor.config import SourceConfig
    from monitor.poll.fetch import Fetcher
    from monitor.poll.pipeline import Poller
    from monitor.query import Matcher
    from monitor.store import Store

    client = aioredis.Redis.from_url(url, decode_responses=True)
    await client.config_set("slowlog-log-slower-than", 0)
    await client.config_set("slowlog-max-len", 100_000)
    store = Store(client, "caps")
    source = SourceConfig("big", str(path))
    polls = []
    async with Fetcher(timeout=60, max_bytes=50_000_000) as fetcher:
        poller = Poller(store, fetcher, lambda: Matcher([]))
        if uncapped:
            from monitor.poll.feeditems import NO_CAPS

            poller.caps = NO_CAPS
        path.write_bytes(feed(1))
        await poller.poll(source)
        await client.slowlog_reset()
        path.write_bytes(body)
        for _ in range(MAX_POLLS):
            started = time.perf_counter()
            result = await poller.poll(source)
            polls.append((round(time.perf_counter() - started, 2), result.alerts, result.status))
            if result.alerts == 0:
                break
    slow = await client.slowlog_get(100_000)
    entries = await client.xrange(store.keys.stream)
    ids = [json.loads(fields["alert"])["id"] for _id, fields in entries]
    await client.aclose()
    return {
        "polls": len(polls),
        "first_poll": polls[0],
        "total_s": round(sum(p[0] for p in polls), 2),
        "stream": len(ids),
        "distinct_ids": len(set(ids)),
        "longest_command_ms": round(max((s["duration"] for s in slow), default=0) / 1000, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def child(items: int, same_guid: bool, uncapped: bool) -> None:
    import structlog

    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    body = feed(items, same_guid=same_guid)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_redis(Path(tmp))
        try:
            found = asyncio.run(run_case(url, Path(tmp) / "feed.xml", body, uncapped))
        finally:
            stop_process(proc)
    facts = {"items": items, "same_guid": same_guid, "uncapped": uncapped, "bytes": len(body)}
    print(json.dumps(facts | found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--same-guid", type=int, default=1000)
    parser.add_argument("--uncapped", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("ITEMS", "SAME_GUID", "UNCAPPED"))
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), args.child[1] == "1", args.child[2] == "1")
        return
    for items, same in ((args.items, "0"), (args.same_guid, "1")):
        flags = [str(items), same, "1" if args.uncapped else "0"]
        subprocess.run([sys.executable, __file__, "--child", *flags], check=True)


if __name__ == "__main__":
    main()
