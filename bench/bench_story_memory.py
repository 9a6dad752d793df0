"""Redis memory of the story log per report, with 100,000 reports in the window (issue 16, item 7).

Fills a private redis-server's story log with N reports through newsmon's own append script
(``StoryLog.append``, 200 entries a call, as the assigner sends them), each entry what the
story index makes of a news-like report (bench_poll.py's vocabulary: a headline and a summary
of a few sentences), 1,000 sources, seen over the 48 hours of the window. Prints the log's
``MEMORY USAGE`` (the stream and the first counts) and the server's ``used_memory`` delta, per
report; target: at most 1 KiB. Then a daemon starting on that log: the time and CPU to read
it into a mirror and decide one more report against it; and the log after its window has
passed (the next append trims it by MINID), to show the index expires with it.

Entries are made by ``StoryIndex.decide`` on an empty index (so with the features the index of
this checkout computes, at no cost of search), a third of them moved into an earlier report's
story, as joins are. Loopback only; the server is stopped by PID and its temp dir removed::

    .venv/bin/python bench/bench_story_memory.py [--reports 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_poll import ACTORS, DETAILS, PLACES, TOPICS, VERBS, start_redis, stop_process
from monitor.poll.stories import Assigner
from monitor.store import Store, connect
from monitor.store.storylog import Line
from monitor.stories import Report, StoryIndex, StorySettings, encode_entry

PREFIX = "storymem"
SOURCES = 1000
BATCH = 200


def report(serial: int, now: float, window: float, count: int) -> Report:
    """A news-like report; the same serial always gives the same one."""
    rng = random.Random(serial)
    place, actor, topic = rng.choice(PLACES), rng.choice(ACTORS), rng.choice(TOPICS)
    title = f"{place}: {actor.capitalize()} {rng.choice(VERBS)} {topic}"
    details = [
        rng.choice(DETAILS).format(n=rng.randint(2, 90), day="Monday", place=rng.choice(PLACES))
        for _ in range(4)
    ]
    text = f"{actor.capitalize()} in {place} {rng.choice(VERBS)} the {topic}. " + " ".join(details)
    report_id = hashlib.sha256(str(serial).encode()).hexdigest()[:32]  # as long as an alert id
    seen = now - window + window * serial / count
    return Report(report_id, f"outlet-{serial % SOURCES:04d}", round(seen, 3), title, text)


def lines(count: int, window: float) -> list[Line]:
    empty = StoryIndex(StorySettings(window=window))
    now, stories, out = time.time(), [], []
    for serial in range(count):
        entry = empty.decide(report(serial, now, window, count)).entry
        starts = serial % 3 != 2 or not stories
        if not starts:
            entry = replace(entry, story=stories[-1 - serial % min(len(stories), 50)])
        else:
            stories.append(entry.story)
        out.append(Line(encode_entry(entry), starts, entry.source))
    return out


async def fill(store: Store, all_lines: list[Line], keep_ms: int) -> None:
    last = "0-0"
    for start in range(0, len(all_lines), BATCH):
        ids = await store.stories.append(last, "bench", keep_ms, all_lines[start : start + BATCH])
        assert ids, "refused: nothing else writes this log"
        last = ids[-1]


async def measure(url: str, count: int) -> None:
    window = 48 * 3600.0
    client = connect(url)
    store = Store(client, PREFIX)
    try:
        made = lines(count, window)
        average = sum(len(x.text.encode()) for x in made) / count
        before = int((await client.info("memory"))["used_memory"])
        await fill(store, made, int((window + 3600) * 1000))
        after = int((await client.info("memory"))["used_memory"])
        stream = int(await client.memory_usage(store.keys.stories, samples=0) or 0)
        firsts = int(await client.memory_usage(store.keys.story_firsts, samples=0) or 0)
        print(f"{count:,} reports in the window, entry line {average:.0f} bytes on average")
        print(f"  MEMORY USAGE  stream {stream / count:7.1f} B/report   first counts {firsts:,} B")
        print(f"  used_memory   delta  {(after - before) / count:7.1f} B/report   (target 1024)")
        await starting_daemon(store, window, count)
        await expired(store, client, window)
    finally:
        await client.aclose()


async def starting_daemon(store: Store, window: float, count: int) -> None:
    assigner = Assigner(store.stories, StorySettings(window=window))
    wall, cpu = time.perf_counter(), time.process_time()
    await assigner.assign([report(count + 1, time.time(), window, count)])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"  a daemon starting on it: read the log and decide one report: {wall:.2f} s wall,")
    print(f"  {cpu:.2f} s CPU ({cpu / count * 1e6:.1f} µs CPU per report in the window)")
    wall, cpu = time.perf_counter(), time.process_time()
    news = [report(count + 2 + i, time.time(), window, count) for i in range(100)]
    for item in news:
        await assigner.assign([item])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"  then 100 reports one poll at a time: {cpu / 100 * 1000:.2f} ms CPU per report")
    print(f"  ({wall / 100 * 1000:.2f} ms wall: the turn, the append), with this checkout's index")


async def expired(store: Store, client: object, window: float) -> None:
    """Once the window has passed, the next append trims every entry older than it."""
    last = (await store.stories.read("0-0", 10**9))[-1][0]
    entry = StoryIndex().decide(report(-1, time.time(), window, 1)).entry
    late = Line(encode_entry(entry), True, "x")
    await store.stories.append(last, "bench", 0, [late])
    left = await store.stories.length()
    stream = int(await store.redis.memory_usage(store.keys.stories, samples=0) or 0)
    print(f"  past the window: the next append leaves {left} entry, stream {stream:,} B")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    count = parser.parse_args().reports
    with tempfile.TemporaryDirectory(prefix="newsmon-storymem-") as tmp:
        proc, url = start_redis(Path(tmp))
        try:
            asyncio.run(measure(url, count))
        finally:
            stop_process(proc)


if __name__ == "__main__":
    main()
