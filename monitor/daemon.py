"""The long-running daemon: one APScheduler interval job per source, live keywords, signals.

Keywords live in Redis; the daemon loads them at start (after storing the config file's) and
reloads them whenever an announcement arrives on ``<prefix>:control`` (``newsmon keywords add``
sends one), so every running daemon applies a change within a second, with no restart. A
reconnecting control listener reloads on every reconnect, so no announcement is missed for
long. SIGINT/SIGTERM stop it cleanly (in-flight polls finish); SIGHUP re-reads the config file.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import random
import signal
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor import embedded
from monitor.config import Config, SourceConfig, load_config
from monitor.errors import NewsmonError, QueryError, StoreError
from monitor.fetch import Fetcher
from monitor.pipeline import Poller, PollResult
from monitor.query import KeywordSpec, Matcher, compile_keyword
from monitor.store import Store, connect, redact

log = structlog.get_logger("newsmon.daemon")

STOP_GRACE = 15.0  # seconds in-flight polls get to finish on shutdown


@asynccontextmanager
async def open_store(config: Config) -> AsyncIterator[Store]:
    """A Store on the configured Redis, or on the embedded server when none is configured."""
    if config.redis.url:
        async with _store_at(config, config.redis.url) as store:
            yield store
        return
    async with (
        embedded.embedded_redis(config.monitor.data_dir) as url,
        _store_at(config, url) as store,
    ):
        yield store


@asynccontextmanager
async def _store_at(config: Config, url: str) -> AsyncIterator[Store]:
    client = connect(url)
    try:
        store = Store(client, config.redis.prefix, config.redis.stream_maxlen)
        await store.ping()
        yield store
    finally:
        with suppress(Exception):
            await client.aclose()


def make_executor(workers: int) -> Executor | None:
    """Worker processes for parsing (None: the event loop's default thread pool)."""
    if workers == 1:
        return None
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["monitor.documents"])
    return ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1, mp_context=ctx)


def compile_keywords(specs: Sequence[KeywordSpec]) -> Matcher:
    """A matcher of every valid keyword; an invalid one (written to Redis by hand) is skipped."""
    try:
        return Matcher(specs)
    except QueryError:
        pass  # rare: find the bad ones, one by one, and build without them
    good = []
    for spec in specs:
        try:
            compile_keyword(spec)
        except QueryError as exc:
            log.error("keyword skipped", keyword=spec.name, error=str(exc))
            continue
        good.append(spec)
    return Matcher(good)


class Keywords:
    """The current matcher, rebuilt whenever the keywords in Redis change."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.matcher = Matcher([])

    def current(self) -> Matcher:
        return self.matcher

    async def reload(self) -> None:
        specs = await self.store.keywords()
        self.matcher = await asyncio.to_thread(compile_keywords, specs)
        log.info("keywords loaded", count=len(self.matcher.names))

    async def watch(self, stopping: asyncio.Event) -> None:
        """Follow the control channel until ``stopping`` is set, reconnecting as needed."""
        while not stopping.is_set():
            try:
                await self._listen(stopping)
            except (StoreError, OSError, ConnectionError) as exc:
                log.warning("control channel lost", error=str(exc))
            except Exception as exc:
                # redis-py raises its own ConnectionError family here, not ours.
                log.warning("control channel lost", error=repr(exc))
            with suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=1.0)

    async def _listen(self, stopping: asyncio.Event) -> None:
        pubsub = self.store.redis.pubsub()
        try:
            await pubsub.subscribe(self.store.keys.control)
            await self.reload()  # whatever was announced while we were not listening
            while not stopping.is_set():
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
                if message and _is_keyword_event(message.get("data")):
                    await self.reload()
        finally:
            with suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]


def _is_keyword_event(data: Any) -> bool:
    try:
        return bool(json.loads(data).get("event") == "keywords")
    except (TypeError, ValueError, AttributeError):
        return False


class Daemon:
    """Schedules every source's polls and keeps the keywords current."""

    def __init__(self, config: Config, store: Store, fetcher: Fetcher, executor: Executor | None):
        self.config = config
        self.store = store
        self.keywords = Keywords(store)
        self.poller = Poller(store, fetcher, self.keywords.current, executor=executor)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.stopping = asyncio.Event()
        self.running: set[asyncio.Task[Any]] = set()

    async def start_keywords(self) -> None:
        """Store the config file's keywords, then load them all."""
        await self.store.put_keywords(self.config.keywords, announce="config")
        await self.keywords.reload()

    async def poll_all(self) -> list[PollResult]:
        """Poll every source once, concurrently (the fetcher bounds the concurrency)."""
        return list(await asyncio.gather(*(self.poller.poll(s) for s in self.config.sources)))

    async def run(self) -> None:
        """Run until SIGINT/SIGTERM."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop)
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(self.reload()))
        watcher = loop.create_task(self.keywords.watch(self.stopping))
        self._schedule(self.config.sources)
        self.scheduler.start()
        log.info("daemon started", sources=len(self.config.sources), pid=os.getpid())
        await self.stopping.wait()
        self.scheduler.shutdown(wait=False)
        await self._drain()
        watcher.cancel()
        with suppress(asyncio.CancelledError):
            await watcher
        log.info("daemon stopped")

    def stop(self) -> None:
        """Ask the daemon to stop (safe to call from a signal handler)."""
        self.stopping.set()

    async def reload(self) -> None:
        """Re-read the config file: sources and config keywords; a bad file changes nothing."""
        try:
            config = load_config(self.config.path)
        except NewsmonError as exc:
            log.error("reload refused", error=str(exc))
            return
        self.config = config
        for job in self.scheduler.get_jobs():
            job.remove()
        self._schedule(config.sources)
        await self.start_keywords()
        await self.store.announce("sources", "reload", [s.name for s in config.sources])
        log.info("config reloaded", sources=len(config.sources))

    def _schedule(self, sources: Sequence[SourceConfig]) -> None:
        now = datetime.now(UTC)
        jitter = self.config.monitor.jitter
        for source in sources:
            interval = self.config.interval_of(source)
            # Spread the first polls so a thousand sources do not all start in one instant.
            first = now + timedelta(seconds=random.uniform(0, min(jitter, interval, 5.0)))
            self.scheduler.add_job(
                self._job,
                IntervalTrigger(seconds=interval, jitter=min(jitter, interval / 2) or None),
                args=[source],
                id=source.name,
                name=source.name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(int(interval), 1),
                next_run_time=first,
                replace_existing=True,
            )

    async def _job(self, source: SourceConfig) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.running.add(task)
        try:
            result = await self.poller.poll(source)
            if result.retry_after:
                self._postpone(source, result.retry_after)
        finally:
            if task is not None:
                self.running.discard(task)

    def _postpone(self, source: SourceConfig, seconds: float) -> None:
        """Honour a server's Retry-After when it asks for more than the normal interval."""
        job = self.scheduler.get_job(source.name)
        later = datetime.now(UTC) + timedelta(seconds=min(seconds, 86400))
        if job is not None and job.next_run_time and later > job.next_run_time:
            job.modify(next_run_time=later)
            log.info("poll postponed", source=source.name, retry_after=seconds)

    async def _drain(self) -> None:
        pending = {t for t in self.running if not t.done()}
        if pending:
            _done, late = await asyncio.wait(pending, timeout=STOP_GRACE)
            for task in late:
                task.cancel()


async def run(config: Config, *, once: bool = False) -> int:
    """``newsmon run``: 0 on a clean stop (with --once: 1 if any source failed)."""
    target = (
        redact(config.redis.url) if config.redis.url else f"embedded ({config.monitor.data_dir})"
    )
    log.info("connecting", redis=target, prefix=config.redis.prefix)
    executor = make_executor(config.monitor.workers)
    try:
        async with open_store(config) as store, _fetcher(config) as fetcher:
            daemon = Daemon(config, store, fetcher, executor)
            await daemon.start_keywords()
            if once:
                results = await daemon.poll_all()
                return 1 if any(r.status == "failed" for r in results) else 0
            await daemon.run()
            return 0
    finally:
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


def _fetcher(config: Config) -> Fetcher:
    m = config.monitor
    return Fetcher(
        timeout=m.timeout,
        max_bytes=m.max_bytes,
        user_agent=m.user_agent,
        concurrency=m.concurrency,
    )
