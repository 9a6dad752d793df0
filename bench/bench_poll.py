"""End-to-end polling cost: newsmon's own Poller on N local feeds over HTTP, with a real Redis.

What it measures, per cycle of polling every feed once (``asyncio.gather`` of ``Poller.poll``,
as ``newsmon run --once`` does): wall time, this process's CPU time (``time.process_time``), the
CPU time of the parse worker processes, of the feed server and of redis-server. The last three
are read from ``/proc/<pid>/stat`` (Linux): ``getrusage(RUSAGE_CHILDREN)`` only counts children
that have exited, and the forkserver pool's workers are not even our children.

- cycle A: the first poll of every feed (baseline: full fetch and parse of every item);
- cycle B: nothing changed (every feed answers 304);
- cycle C: the first 10% of the feeds get one new item on top (200, one item parsed each),
  the rest answer 304. It must give exactly one alert per changed feed; the script checks it.

B and C are repeated ``--cycles`` times (median and min-max are printed). The feeds (RSS, 20
news-like summary items, about 17 KB each) are written to a temp directory and served by an
aiohttp server in a separate process on 127.0.0.1 (strong ETag and Last-Modified from the
file's mtime and size, 304 on a matching If-None-Match, like nginx); it stats the file on every
request, so rewriting a file between cycles is all a change takes. A private redis-server runs
on a free port with no persistence. Everything is stopped by PID and removed at the end.

Run from the repo root (``--compare`` also runs workers=1 for a side-by-side table,
``--profile N`` adds one cProfiled C cycle after the timed ones and prints its top N entries)::

    .venv/bin/python bench/bench_poll.py [--feeds 1000] [--cycles 3] [--workers 2]

By default the client is newsmon's own ``monitor.store.connect()`` (a waiting pool of 64
connections); ``--blocking-pool N`` measures the same pipeline on a waiting pool of N.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import email.utils
import io
import logging
import os
import pstats
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import structlog

HOST = "127.0.0.1"
ITEMS = 20
CHANGED_SHARE = 0.10
BASE_TIME = 1_795_000_000  # a fixed epoch second: stable pubDates
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Vocabulary for news-like titles and summaries ---------------------------------------------

PLACES = [
    *("Kyiv", "Moscow", "Brussels", "Washington", "Beijing", "Ankara", "Tehran", "Warsaw"),
    *("Berlin", "Paris", "Tokyo", "Seoul", "Nairobi", "Cairo", "Brasilia", "Ottawa"),
    *("Canberra", "Delhi", "Jakarta", "Manila", "Riyadh", "Doha", "Geneva", "Vienna"),
]
ACTORS = [
    *("the prime minister", "the foreign ministry", "the central bank", "opposition leaders"),
    *("the defence ministry", "union officials", "regional governors", "the finance minister"),
    *("EU diplomats", "UN observers", "energy regulators", "the coast guard", "health officials"),
]
VERBS = [
    *("announces", "rejects", "backs", "delays", "unveils", "questions", "approves", "warns of"),
    *("signs", "suspends", "expands", "reviews", "criticises", "defends", "proposes", "extends"),
]
TOPICS = [
    *("grain export deal", "fuel subsidy plan", "border crossing rules", "pension reform"),
    *("rail strike talks", "power grid upgrade", "flood relief fund", "trade agreement"),
    *("ceasefire proposal", "election timetable", "budget shortfall", "port expansion"),
    *("drone attack inquiry", "gas storage targets", "minimum wage rise", "refugee quota"),
]
DETAILS = [
    "Officials said the measure would take effect within {n} days.",
    "The decision follows {n} hours of talks that ended late on {day}.",
    "Critics said the plan did little for households facing higher bills.",
    "Markets in {place} were little changed after the announcement.",
    "A spokesperson declined to give further details, citing ongoing negotiations.",
    "Analysts expect a vote in parliament before the end of the month.",
    "The figure is up from {n} percent a year earlier, according to official data.",
    "Talks are due to resume in {place} next week, two people familiar with them said.",
    "Local media reported that {n} people had been evacuated from the area.",
    "The ministry said it had received more than {n} complaints since January.",
]
KEYWORD_SENTENCES = [
    "Ministers agreed a new round of sanctions on banks and shipping firms.",
    "The bloc said sanctions would stay until the troops withdraw from the region.",
    "Satellite images suggested the troops had begun to pull back from the border.",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _item_xml(feed: int, serial: int) -> str:
    """One RSS item; the same (feed, serial) always gives the same item."""
    rng = random.Random(feed * 1_000_003 + serial)
    place, actor, topic = rng.choice(PLACES), rng.choice(ACTORS), rng.choice(TOPICS)
    title = f"{place}: {actor.capitalize()} {rng.choice(VERBS)} {topic}"
    lead = f"{actor.capitalize()} in {place} {rng.choice(VERBS)} the {topic}"
    sentences = [f"{lead} on {DAYS[serial % 7]}."]
    for _ in range(rng.randint(5, 7)):
        template = rng.choice(DETAILS)
        sentences.append(
            template.format(n=rng.randint(2, 90), day=rng.choice(DAYS), place=rng.choice(PLACES))
        )
    if rng.random() < 0.15:
        sentences.insert(2, rng.choice(KEYWORD_SENTENCES))
    slug = topic.replace(" ", "-")
    link = f"https://news{feed}.example.test/world/{serial}-{slug}"
    published = email.utils.formatdate(BASE_TIME + serial * 1800, usegmt=True)
    summary = escape("<p>" + " ".join(sentences) + "</p>")
    return (
        f"<item><title>{escape(title)}</title><link>{link}</link>"
        f'<guid isPermaLink="false">feed{feed}-item{serial}</guid>'
        f"<pubDate>{published}</pubDate><category>World</category>"
        f"<description>{summary}</description></item>\n"
    )


def feed_xml(feed: int, version: int) -> bytes:
    """Feed ``feed`` after ``version`` new items were put on top (oldest ones fall off)."""
    newest = version + ITEMS - 1
    items = "".join(_item_xml(feed, serial) for serial in range(newest, version - 1, -1))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n'
        f"<title>Example News {feed}: World</title><link>https://news{feed}.example.test/</link>"
        f"<description>World news from outlet {feed}</description><language>en</language>\n"
        f"{items}</channel></rss>\n"
    ).encode()


def write_feed(directory: Path, feed: int, version: int) -> int:
    """Write a feed atomically (the server never sees half a file); returns its size."""
    data = feed_xml(feed, version)
    tmp = directory / f".feed{feed}.xml.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, directory / f"feed{feed}.xml")
    return len(data)


# The feed server (runs as `bench_poll.py --serve DIR` in its own process) ------------------


def serve(directory: Path) -> None:
    """Serve DIR's files like nginx would (ETag, Last-Modified, 304); print the port."""
    from aiohttp import web

    counts: Counter[int] = Counter()

    async def feed(request: web.Request) -> web.StreamResponse:
        path = directory / request.match_info["name"]
        try:
            st = path.stat()
        except OSError:
            counts[404] += 1
            raise web.HTTPNotFound() from None
        etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
        headers = {
            "ETag": etag,
            "Last-Modified": email.utils.formatdate(st.st_mtime, usegmt=True),
        }
        if _not_modified(request, etag, headers["Last-Modified"]):
            counts[304] += 1
            return web.Response(status=304, headers=headers)
        counts[200] += 1
        body = path.read_bytes()
        return web.Response(body=body, headers=headers | {"Content-Type": "application/rss+xml"})

    async def stats(_request: web.Request) -> web.Response:
        out = {str(k): v for k, v in counts.items()}
        counts.clear()
        return web.json_response(out)

    async def orphan_watch(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(_exit_when_orphaned(os.getppid()))
        yield
        task.cancel()

    app = web.Application()
    app.cleanup_ctx.append(orphan_watch)
    app.router.add_get("/_stats", stats)
    app.router.add_get("/feeds/{name}", feed)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    print(sock.getsockname()[1], flush=True)
    web.run_app(app, sock=sock, access_log=None, print=None, backlog=1024)


async def _exit_when_orphaned(parent: int) -> None:
    """Stop the server if the benchmark died without stopping it (e.g. SIGKILL)."""
    while os.getppid() == parent:
        await asyncio.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def _not_modified(request: Any, etag: str, last_modified: str) -> bool:
    inm = request.headers.get("If-None-Match")
    if inm is not None:
        tags = [t.strip() for t in inm.split(",")]
        return "*" in tags or etag in tags
    return bool(request.headers.get("If-Modified-Since") == last_modified)


# Child processes: the feed server and redis-server -----------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(directory: Path) -> tuple[subprocess.Popen[str], int]:
    cmd = [sys.executable, os.path.abspath(__file__), "--serve", str(directory)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.isdigit():
        stop_process(proc)
        raise RuntimeError(f"feed server did not start (said {line!r})")
    return proc, int(line)


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    from monitor.store.embedded import redis_server_binary

    port = free_port()
    cmd = [redis_server_binary(), "--port", str(port), "--bind", HOST, "--save", "",
           "--appendonly", "no", "--dir", str(workdir), "--daemonize", "no",
           "--logfile", str(workdir / "redis.log")]  # fmt: skip
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), 0.2) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return proc, f"redis://{HOST}:{port}/0"
        time.sleep(0.05)
    stop_process(proc)
    raise RuntimeError("redis-server did not answer within 10 s")


def stop_process(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_seconds(pid: int) -> float:
    """utime + stime of a live process, from /proc (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


# One cycle --------------------------------------------------------------------------------


@dataclass
class Cycle:
    name: str
    wall: float
    cpu: float  # this process
    workers_cpu: float
    server_cpu: float
    redis_cpu: float
    statuses: Counter[str]
    alerts: int
    http: dict[str, int]
    errors: list[str] = field(default_factory=list)


@dataclass
class Env:
    """What a run needs besides the poller: feed URLs, the feed dir and the helper pids."""

    urls: list[str]
    directory: Path
    base: str
    server_pid: int
    redis_pid: int
    versions: list[int]


def worker_pids(executor: Executor | None) -> list[int]:
    pool = getattr(executor, "_pool", executor)  # newsmon's LazyPool wraps a process pool
    processes = getattr(pool, "_processes", None) or {}
    return [p.pid for p in processes.values() if p.pid is not None]


def cpu_snapshot(env: Env, executor: Executor | None) -> dict[str, dict[int, float]]:
    return {
        "workers": {pid: cpu_seconds(pid) for pid in worker_pids(executor)},
        "server": {env.server_pid: cpu_seconds(env.server_pid)},
        "redis": {env.redis_pid: cpu_seconds(env.redis_pid)},
    }


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


async def server_stats(base: str) -> dict[str, int]:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(f"{base}/_stats") as resp:
        return dict(await resp.json())


async def run_cycle(name: str, poller: Any, env: Env, executor: Executor | None) -> Cycle:
    from monitor.config import SourceConfig

    sources = [SourceConfig(f"feed{i}", url) for i, url in enumerate(env.urls)]
    await server_stats(env.base)  # resets the server's counters
    before = cpu_snapshot(env, executor)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    results = await asyncio.gather(*(poller.poll(s) for s in sources))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    after = cpu_snapshot(env, executor)
    errors = sorted({r.error or "" for r in results if r.status == "failed"})
    cycle = Cycle(
        name=name,
        wall=wall,
        cpu=cpu,
        workers_cpu=cpu_delta(before["workers"], after["workers"]),
        server_cpu=cpu_delta(before["server"], after["server"]),
        redis_cpu=cpu_delta(before["redis"], after["redis"]),
        statuses=Counter(r.status for r in results),
        alerts=sum(r.alerts for r in results),
        http=await server_stats(env.base),
        errors=errors,
    )
    print_row(cycle)
    return cycle


def change_feeds(env: Env) -> int:
    """Put one new item on top of the first 10% of the feeds; returns how many."""
    count = max(1, round(len(env.urls) * CHANGED_SHARE))
    for feed in range(count):
        env.versions[feed] += 1
        write_feed(env.directory, feed, env.versions[feed])
    return count


def check(cycle: Cycle, *, feeds: int, changed: int, baseline: bool = False) -> None:
    """Correctness: the statuses and the alert count each cycle must give."""
    if baseline:
        want = Counter({"baseline": feeds})
    else:
        want = Counter({"changed": changed, "not_modified": feeds - changed})
    problems = []
    if cycle.alerts != changed:
        problems.append(f"{cycle.alerts} alerts, expected {changed}")
    if +cycle.statuses != +want:
        problems.append(f"statuses {dict(cycle.statuses)}, expected {dict(want)}")
    if problems:
        detail = f"; errors: {cycle.errors[:5]}" if cycle.errors else ""
        raise SystemExit(f"FAILED: cycle {cycle.name}: " + "; ".join(problems) + detail)


# A whole run: A, then (B, C) x cycles --------------------------------------------------------


async def warm_pool(executor: Executor | None, workers: int, sample: bytes) -> float:
    """Start the parse workers before timing (pool start-up is not a polling cost)."""
    from monitor.poll.documents import read_source

    if executor is None:
        return 0.0
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    jobs = [
        loop.run_in_executor(executor, read_source, "feed", sample, "http://x/", None, frozenset())
        for _ in range(workers * 4)
    ]
    await asyncio.gather(*jobs)
    return time.perf_counter() - started


def reset_feeds(env: Env) -> None:
    for feed in range(len(env.urls)):
        if env.versions[feed]:
            env.versions[feed] = 0
            write_feed(env.directory, feed, 0)


async def redis_facts(store: Any) -> dict[str, int]:
    info = await store.redis.info("clients")
    return {
        "xlen": int(await store.redis.xlen(store.keys.stream)),
        "connected_clients": int(info["connected_clients"]),
    }


def redis_client(url: str, pool: int) -> Any:
    """newsmon's own client (pool=0), or one on a blocking pool of ``pool`` connections."""
    import redis.asyncio as aioredis

    from monitor.store import connect

    if not pool:
        return connect(url)
    blocking = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=pool, timeout=20, decode_responses=True, health_check_interval=30
    )
    return aioredis.Redis.from_pool(blocking)


async def run_all(
    env: Env, redis_url: str, workers: int, cycles: int, opts: argparse.Namespace
) -> tuple[list[Cycle], dict[str, Any]]:
    from monitor.daemon.workers import make_executor
    from monitor.poll.fetch import Fetcher
    from monitor.poll.pipeline import Poller
    from monitor.query import KeywordSpec, Matcher
    from monitor.store import Store

    reset_feeds(env)
    client = redis_client(redis_url, opts.blocking_pool)
    await client.flushdb()
    store = Store(client, prefix="bench", stream_maxlen=100_000)
    matcher = Matcher(
        [
            KeywordSpec("sanctions", "sanction*"),
            KeywordSpec("troops", 'troop* NEAR/6 (withdraw OR "pull back")'),
        ]
    )
    executor = make_executor(workers)
    facts: dict[str, Any] = {"workers": workers}
    out: list[Cycle] = []
    try:
        facts["pool_start_s"] = await warm_pool(executor, workers, feed_xml(0, 0))
        print_header()
        async with Fetcher(timeout=20, concurrency=50) as fetcher:
            poller = Poller(store, fetcher, lambda: matcher, executor=executor)
            feeds = len(env.urls)
            out.append(await run_cycle("A", poller, env, executor))
            check(out[-1], feeds=feeds, changed=0, baseline=True)
            facts["after_A"] = await redis_facts(store)
            for n in range(1, cycles + 1):
                out.append(await run_cycle(f"B{n}", poller, env, executor))
                check(out[-1], feeds=feeds, changed=0)
                changed = change_feeds(env)
                out.append(await run_cycle(f"C{n}", poller, env, executor))
                check(out[-1], feeds=feeds, changed=changed)
            facts["after_all"] = await redis_facts(store)
            if facts["after_all"]["xlen"] != changed * cycles:
                raise SystemExit(f"stream has {facts['after_all']['xlen']} alerts")
            if opts.profile:
                facts["profile"] = await profile_cycle(poller, env, executor, opts.profile)
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        await client.aclose()
    return out, facts


async def profile_cycle(poller: Any, env: Env, executor: Executor | None, top: int) -> str:
    """One more C cycle under cProfile (this process only); the top entries by cumulative."""
    changed = change_feeds(env)
    profiler = cProfile.Profile()
    profiler.enable()
    cycle = await run_cycle("C-profiled", poller, env, executor)
    profiler.disable()
    check(cycle, feeds=len(env.urls), changed=changed)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("cumulative")
    stats.print_stats(top)
    return f"profiled C cycle: wall {cycle.wall:.3f} s (with profiler)\n{text.getvalue()}"


# Printing ----------------------------------------------------------------------------------


def fmt_statuses(statuses: Counter[str]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(statuses.items()))


def print_header() -> None:
    head = f"{'cycle':<6}{'wall s':>8}{'cpu s':>8}{'work s':>8}{'srv s':>7}{'redis s':>8}"
    print(head + f"{'alerts':>7}  {'HTTP':<18} statuses", flush=True)


def print_row(c: Cycle) -> None:
    http = " ".join(f"{k}x{v}" for k, v in sorted(c.http.items()))
    print(
        f"{c.name:<6}{c.wall:8.3f}{c.cpu:8.3f}{c.workers_cpu:8.2f}{c.server_cpu:7.2f}"
        f"{c.redis_cpu:8.2f}{c.alerts:7d}  {http:<18} {fmt_statuses(c.statuses)}",
        flush=True,
    )


def spread(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.3f} [{min(values):.3f}-{max(values):.3f}]"


def summary(cycles: Sequence[Cycle]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    a = next(c for c in cycles if c.name == "A")
    out["A"] = {"wall": f"{a.wall:.3f}", "cpu": f"{a.cpu:.3f}", "work": f"{a.workers_cpu:.2f}"}
    for kind in ("B", "C"):
        group = [c for c in cycles if c.name[0] == kind]
        out[kind] = {
            "wall": spread([c.wall for c in group]),
            "cpu": spread([c.cpu for c in group]),
            "work": spread([c.workers_cpu for c in group]),
        }
    return out


def print_summary(cycles: Sequence[Cycle], facts: dict[str, Any]) -> None:
    labels = {"A": "A first poll (baseline)", "B": "B all 304", "C": "C 10% changed"}
    print("\nmedian [min-max] seconds:")
    for kind, row in summary(cycles).items():
        print(
            f"  {labels[kind]:<24} wall {row['wall']:<22} client CPU {row['cpu']:<22} "
            f"worker CPU {row['work']}"
        )
    print(f"  pool start-up (not in A): {facts['pool_start_s']:.3f} s")
    print(
        "  redis: clients connected after A "
        f"{facts['after_A']['connected_clients']}, stream length at the end "
        f"{facts['after_all']['xlen']}"
    )


def print_compare(runs: dict[int, list[Cycle]]) -> None:
    print("\nworkers compared (median wall s / client CPU s / worker CPU s):")
    for workers, cycles in runs.items():
        for kind, row in summary(cycles).items():
            print(f"  workers={workers} {kind}: {row['wall']} / {row['cpu']} / {row['work']}")


# Main --------------------------------------------------------------------------------------


@contextlib.contextmanager
def bench_env(feeds: int) -> Iterator[tuple[Env, str]]:
    """Temp dir with the feeds, the feed server and redis-server; all removed on exit."""
    workdir = Path(tempfile.mkdtemp(prefix="bench_poll."))
    procs: list[subprocess.Popen[Any]] = []
    try:
        directory = workdir / "feeds"
        directory.mkdir()
        sizes = [write_feed(directory, i, 0) for i in range(feeds)]
        print(
            f"{feeds} feeds x {ITEMS} items: {statistics.mean(sizes) / 1000:.1f} KB mean, "
            f"{sum(sizes) / 1e6:.1f} MB in all"
        )
        server, port = start_server(directory)
        procs.append(server)
        redis_proc, redis_url = start_redis(workdir)
        procs.append(redis_proc)
        base = f"http://{HOST}:{port}"
        urls = [f"{base}/feeds/feed{i}.xml" for i in range(feeds)]
        yield Env(urls, directory, base, server.pid, redis_proc.pid, [0] * feeds), redis_url
    finally:
        for proc in reversed(procs):
            stop_process(proc)
        shutil.rmtree(workdir, ignore_errors=True)


def load() -> str:
    """Load average: other work on this small machine shows up here before it skews figures."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min)"


def silence_logs() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="1 = parse in a thread")
    parser.add_argument("--compare", action="store_true", help="also run with workers=1")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="cProfile one more C cycle and print the top N entries")  # fmt: skip
    pool_help = (
        "use a redis BlockingConnectionPool of N connections instead of monitor.store.connect()"
    )
    parser.add_argument("--blocking-pool", type=int, default=0, metavar="N", help=pool_help)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.serve:
        serve(args.serve)
        return
    silence_logs()
    # SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so the finally blocks still clean up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, pid {os.getpid()}, {load()}")
    worker_counts = [1, args.workers] if args.compare and args.workers != 1 else [args.workers]
    runs: dict[int, list[Cycle]] = {}
    with bench_env(args.feeds) as (env, redis_url):
        for workers in worker_counts:
            print(f"\n== workers={workers}, cycles={args.cycles} ==")
            cycles, facts = asyncio.run(run_all(env, redis_url, workers, args.cycles, args))
            print_summary(cycles, facts)
            if "profile" in facts:
                print("\n" + facts["profile"])
            runs[workers] = cycles
    if len(runs) > 1:
        print_compare(runs)
    print(f"\nat the end: {load()}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"\nreaped children (feed server, redis-server) total CPU: "
        f"{children.ru_utime + children.ru_stime:.2f} s"
    )


if __name__ == "__main__":
    main()
