"""The long-running daemon, and ``run --once``: one shared schedule, APScheduler as the clock.

Every daemon on one Redis runs the same loop: a tick every ``claims.TICK`` seconds claims its
share of the due sources and polls them; a housekeeping job puts back any defined source the
schedule lost (a Redis that restarted without its data). Sources and keywords are read from
Redis, where the config file seeds them at start and on SIGHUP. SIGINT/SIGTERM stop it
cleanly: no new claims, running polls finish and commit, and the daemon leaves the count of
live ones so the others take its share at once.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Executor
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from datetime import UTC
from typing import TYPE_CHECKING, Any

import structlog

from monitor.config import Config, SourceConfig, load_config
from monitor.daemon.claims import TICK, Claimer, OnceReport
from monitor.daemon.keywords import Keywords
from monitor.daemon.observer import DaemonObserver
from monitor.daemon.workers import make_executor
from monitor.errors import ConfigError, NewsmonError, StoreError
from monitor.poll import policy
from monitor.poll.feeditems import Caps
from monitor.poll.fetch import Fetcher
from monitor.poll.outcome import PollResult
from monitor.poll.pipeline import Poller
from monitor.poll.policy import Next, Outcome, Timing
from monitor.sources import registry as sources
from monitor.store import Lease, Store
from monitor.store.backend import POLL_CONNECTIONS, WEB_CONNECTIONS, open_stores

if TYPE_CHECKING:
    from monitor.daemon.metrics import Metrics
    from monitor.poll.stories import Assigner

log = structlog.get_logger("newsmon.daemon")

STOP_GRACE = 15.0  # seconds in-flight polls get to finish on shutdown
HOUSEKEEPING = 5.0  # seconds between schedule repairs
_JOB: dict[str, Any] = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
CAPACITY_PER_FETCH = 4  # claims a daemon holds at once, per request it may have in flight


class Daemon:
    """Claims and polls its share of the shared schedule; keeps the keywords current."""

    def __init__(
        self,
        config: Config,
        store: Store,
        fetcher: Fetcher,
        executor: Executor | None,
        metrics: DaemonObserver | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.metrics = metrics or DaemonObserver()
        self.keywords = Keywords(store, self.metrics.loaded)
        self.poller = Poller(
            store,
            fetcher,
            self.keywords.current,
            executor=executor,
            plan=self._plan,
            observer=self.metrics,
            caps=Caps(config.monitor.max_items, config.monitor.max_alerts),
            deadline=config.monitor.poll_deadline,
            stories=_assigner(config, store, self.metrics),
        )
        capacity = config.monitor.concurrency * CAPACITY_PER_FETCH
        self.claimer = Claimer(store, self.poller, capacity)
        self.stopping = asyncio.Event()
        self._outage: str | None = None
        self._jobs: set[asyncio.Task[Any]] = set()  # clock jobs under way

    async def start(self) -> None:
        """Store the config file's keywords and sources, then load the keywords."""
        gone = await self.store.seed_keywords(self.config.keywords)
        if gone:
            log.info("keywords removed", names=gone, why="no longer in the config file")
        changed, removed = await sources.seed(self.store, self.config.sources)
        if changed or removed:
            log.info("sources stored", changed=len(changed), removed=len(removed))
        self.metrics.reach.expect(len(await self.store.schedule.enabled_names()))
        await self.keywords.reload()

    async def poll_once(self, force: bool = False) -> OnceReport:
        """Poll every stored source once, now (``run --once``); without ``force``, a source
        that is backing off, rate-limited or gone keeps its next poll and is reported."""
        names = await self.store.schedule.enabled_names()
        held = [] if force else await self._held_back(names)
        for name, reason, until in held:
            log.warning("poll skipped", source=name, reason=reason, until=sources.iso_ms(until))
        skipped = {name for name, _reason, _until in held}
        patience = self.config.monitor.timeout + STOP_GRACE
        wanted = [n for n in names if n not in skipped]
        self.metrics.planned(len(wanted))
        self.metrics.held(len(skipped))
        return await self.claimer.poll_named(wanted, patience)

    async def _held_back(self, names: list[str]) -> list[tuple[str, str, float]]:
        """The sources whose failure policy puts their next poll in the future."""
        held = await self.store.held_reasons(names)
        slots = await self.store.schedule.slots(list(held))
        now = sources.now_ms()
        return [
            (name, reason, due)
            for name, reason in held.items()
            if (due := slots[name].due) is not None and due > now
        ]

    async def run(self) -> None:
        """Run until SIGINT/SIGTERM."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop)
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(self.reload()))
        watcher = loop.create_task(self.keywords.watch(self.stopping))
        async with self.claimer.renewing():
            await self._clocked()
            await self.claimer.drain(STOP_GRACE)
        with suppress(StoreError):
            await self.claimer.leave()
        watcher.cancel()
        with suppress(asyncio.CancelledError):
            await watcher
        log.info("daemon stopped")

    async def _clocked(self) -> None:
        """Run the clock until asked to stop, then let the jobs under way end by themselves.

        APScheduler's shutdown cancels a coroutine job still running (it cannot wait for one)
        and logs the CancelledError as a job that raised: the clock is paused first, and the
        jobs it started are awaited (each is one claim or one repair), then it is shut down."""
        scheduler = self._clock()
        scheduler.start()
        log.info("daemon started", daemon=self.claimer.name, pid=os.getpid())
        await self.stopping.wait()
        scheduler.pause()
        if self._jobs:
            await asyncio.wait(set(self._jobs), timeout=STOP_GRACE)
        scheduler.shutdown(wait=False)

    def stop(self) -> None:
        """Ask the daemon to stop (safe to call from a signal handler)."""
        self.stopping.set()

    async def reload(self) -> None:
        """Re-read the config file: its sources and keywords; a bad file changes nothing."""
        try:
            config = load_config(self.config.path)
        except NewsmonError as exc:
            log.error("reload refused", error=str(exc))
            return
        if config.stories != self.config.stories:
            # The mirror was read with the old settings; every daemon on the Redis must decide
            # alike, so the new ones take effect when the daemons restart.
            log.warning("[stories] changed: it takes effect when the daemon restarts")
        self.config = replace(config, stories=self.config.stories)
        self.poller.caps = Caps(config.monitor.max_items, config.monitor.max_alerts)
        self.poller.deadline = config.monitor.poll_deadline
        try:
            await self.start()
        except StoreError as exc:
            log.error("reload failed", error=str(exc))
            return
        log.info("config reloaded", sources=len(config.sources))

    def _clock(self) -> Any:
        # Imported here: only the daemon needs APScheduler, not ``run --once`` or the CLI.
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(self._tick, "interval", seconds=TICK, **_JOB)
        scheduler.add_job(self._housekeeping, "interval", seconds=HOUSEKEEPING, **_JOB)
        return scheduler

    async def _tick(self) -> None:
        self.metrics.ticked()

        async def claim() -> None:
            claims = await self.claimer.tick()
            now = sources.now_ms()
            self.metrics.claimed([(now - c.lease.due) / 1000 for c in claims])

        await self._guarded("claim", claim)

    async def _housekeeping(self) -> None:
        async def repair() -> None:
            restored = await self.store.schedule.repair(sources.now_ms())
            if restored:
                log.warning("schedule repaired", sources=len(restored))

        await self._guarded("housekeeping", repair)

    async def _guarded(self, what: str, job: Callable[[], Awaitable[object]]) -> None:
        """Run a clock job (none once stopping: no new claims); a Redis outage is logged once
        when it starts and once when it ends."""
        if self.stopping.is_set():
            return
        task = asyncio.current_task()
        assert task is not None  # a job is always a task of APScheduler's
        self._jobs.add(task)
        try:
            await job()
        except StoreError as exc:
            self.metrics.redis_down(exc)
            if self._outage is None:
                log.warning("redis unavailable", during=what, error=str(exc))
            self._outage = str(exc)
            return
        finally:
            self._jobs.discard(task)
        if self._outage is not None:
            log.info("redis available again")
            self._outage = None

    def _plan(self, source: SourceConfig, lease: Lease, result: PollResult) -> Next:
        timing = Timing(self.config.interval_of(source), self.config.monitor.jitter)
        outcome = Outcome(result.failures, result.failure_class, result.retry_after)
        return policy.plan(lease.due, sources.now_ms(), timing, outcome)


async def run(
    config: Config,
    *,
    once: bool = False,
    force: bool = False,
    metrics_at: tuple[str, int] | None = None,
    metrics: Metrics | None = None,
    web_token: str | None = None,
) -> int:
    """``newsmon run``: 0 on a clean stop (with --once: 1 if any source failed); with
    ``metrics_at`` (host, port), the daemon serves /metrics, /healthz and /readyz there, and
    the web pages (beyond loopback only with ``web_token``)."""
    log.info("connecting", redis=config.redis_label(), prefix=config.redis.prefix)
    executor = make_executor(config.monitor.workers)
    try:
        at = None if once else metrics_at
        pools = [POLL_CONNECTIONS] if at is None else [POLL_CONNECTIONS, WEB_CONNECTIONS]
        async with open_stores(config, pools) as stores, _fetcher(config) as fetcher:
            store = stores[0]
            if metrics is None and not once:
                from monitor.daemon.metrics import Metrics  # prometheus-client: a daemon's

                metrics = Metrics()
            daemon = Daemon(config, store, fetcher, executor, metrics)
            async with _endpoints(metrics, at, stores[-1], config, web_token):
                await daemon.start()
                if once:
                    return _once_status(await daemon.poll_once(force))
                await daemon.run()
                return 0
    finally:
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


@asynccontextmanager
async def _endpoints(
    metrics: Metrics | None,
    at: tuple[str, int] | None,
    store: Store,
    config: Config,
    token: str | None,
) -> AsyncIterator[None]:
    """The HTTP server; ``store`` is the web's own, not the pool the polls wait on."""
    if at is None or metrics is None:
        yield
        return
    # aiohttp's server and the pages, only when asked for
    from monitor.daemon.endpoints import app
    from monitor.web import build, check_binding, serving

    try:
        check_binding(at[0], token)
        pages = build(store, config, token, probes=False)
    except ConfigError as exc:
        log.warning("web pages not served", reason=str(exc))
        pages = None
    async with serving(app(metrics, pages), *at, option="--metrics-port") as url:
        log.info("serving metrics", url=f"{url}metrics", pages=pages is not None)
        yield


def _assigner(config: Config, store: Store, observer: DaemonObserver) -> Assigner | None:
    """The process's story assigner, unless ``[stories] enabled = false``. Imported here: the
    index and its similarity libraries load only where stories are on."""
    if not config.stories.enabled:
        return None
    from monitor.poll.stories import Assigner
    from monitor.stories import StorySettings

    c = config.stories
    settings = StorySettings(c.window, c.threshold, c.duplicate)
    return Assigner(store.stories, settings, observer=observer)


def _once_status(report: OnceReport) -> int:
    for name in report.busy:
        log.warning("poll skipped", source=name, reason="held by another daemon's claim")
    failed = [r for r in report.results if r.status in ("failed", "lease_lost")]
    return 1 if failed or report.busy else 0


def _fetcher(config: Config) -> Fetcher:
    m = config.monitor
    return Fetcher(
        timeout=m.timeout,
        max_bytes=m.max_bytes,
        user_agent=m.user_agent,
        concurrency=m.concurrency,
    )
