"""The daemon's Prometheus metrics (prometheus-client), fed by what polls and claims report.

Names follow Prometheus conventions: the ``newsmon_`` prefix, counters ending in ``_total``
(prometheus-client adds it), durations in ``_seconds``. Each daemon has a registry of its own,
so tests and several daemons in one process never share counters.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from monitor.daemon.observer import DaemonObserver
from monitor.errors import StoreError
from monitor.poll.outcome import PollResult
from monitor.store import redis_trouble

if TYPE_CHECKING:
    from monitor.stories import StoryRef

_FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_LAG = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)
_OUTLETS = (1, 2, 3, 5, 10, 20, 50, 100, 200)
_FRESHNESS = (10, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 86400, 7 * 86400)
disable_created_metrics()  # type: ignore[no-untyped-call]  # *_created series double a scrape

_OK = frozenset({"changed", "ok", "baseline", "not_modified", "unchanged"})


class Metrics(DaemonObserver):
    """Every metric of one daemon, and the state its health endpoints read."""

    def __init__(self) -> None:
        super().__init__()
        self.registry = r = CollectorRegistry()
        self.polls = Counter(
            "newsmon_polls", "Polls by source and outcome.", ["source", "outcome"], registry=r
        )
        self.fetch = Histogram(
            "newsmon_fetch_duration_seconds", "Fetch latency.", buckets=_FAST, registry=r
        )
        self.bytes = Counter("newsmon_fetched_bytes", "Body bytes fetched.", registry=r)
        self.parse = Histogram(
            "newsmon_parse_duration_seconds", "Parse and scan time.", buckets=_FAST, registry=r
        )
        self.commit = Histogram(
            "newsmon_commit_duration_seconds", "Commit latency.", buckets=_FAST, registry=r
        )
        self.alerts = Counter("newsmon_alerts", "Alerts published, by type.", ["type"], registry=r)
        self.matches = Counter(
            "newsmon_keyword_matches",
            "Alerts naming a keyword, by keyword.",
            ["keyword"],
            registry=r,
        )
        self.freshness = Histogram(
            "newsmon_alert_freshness_seconds",
            "From an item's or block's own published time to its alert.",
            buckets=_FRESHNESS,
            registry=r,
        )
        self.redis_errors = Counter("newsmon_redis_errors", "Redis failures.", registry=r)
        self.stories_started = Counter(
            "newsmon_stories_started", "Reports that started a story.", registry=r
        )
        self.stories_joined = Counter(
            "newsmon_story_reports_joined", "Reports that joined a story.", registry=r
        )
        self.story_sources = Histogram(
            "newsmon_story_sources",
            "Distinct sources of a story when a report joined it, that report's included.",
            buckets=_OUTLETS,
            registry=r,
        )
        self.capped = Counter(
            "newsmon_feed_items_capped",
            "Feed items a poll did not alert on: unread (past max_items), deferred (past"
            " max_alerts, left for the next poll), duplicate (an earlier item had its id).",
            ["reason"],
            registry=r,
        )
        self.last_success = Gauge(
            "newsmon_last_success_timestamp_seconds",
            "When each source last answered.",
            ["source"],
            registry=r,
        )
        self.lag = Histogram(
            "newsmon_schedule_lag_seconds",
            "How late claimed sources were, past their due time.",
            buckets=_LAG,
            registry=r,
        )
        self.last_tick = Gauge(
            "newsmon_last_tick_timestamp_seconds",
            "When the scheduler's clock last fired.",
            registry=r,
        )
        self.keywords = Gauge("newsmon_keywords", "Keywords loaded.", registry=r)
        self.redis_up = Gauge(
            "newsmon_redis_up", "1 while Redis answers the scheduler.", registry=r
        )
        self.tick_at = 0.0  # monotonic, for /healthz
        self.keywords_loaded = False  # for /readyz
        self.redis_ok = False  # for /readyz: the last scheduler job reached Redis
        self.redis_trouble = "redis is not answering"  # for /readyz: why not, if it did not

    def fetched(self, source: str, seconds: float, size: int) -> None:
        self.fetch.observe(seconds)
        self.bytes.inc(size)

    def parsed(self, seconds: float) -> None:
        self.parse.observe(seconds)

    def committed(self, seconds: float, alerts: Sequence[Mapping[str, Any]]) -> None:
        self.commit.observe(seconds)
        now = time.time()
        for alert in alerts:
            self.alerts.labels(str(alert["type"])).inc()
            for term in alert.get("terms", ()):
                self.matches.labels(str(term["name"])).inc()
            published = _published(alert)
            if published is not None and published <= now:
                self.freshness.observe(now - published)

    def polled(self, result: PollResult) -> None:
        super().polled(result)
        self.polls.labels(result.source, result.status).inc()
        for reason, count in _capped(result):
            self.capped.labels(reason).inc(count)
        if result.status in _OK:
            self.last_success.labels(result.source).set_to_current_time()

    def store_failed(self) -> None:
        self.redis_errors.inc()

    def storied(self, refs: Sequence[StoryRef]) -> None:
        for ref in refs:
            if ref.first:
                self.stories_started.inc()
            else:
                self.stories_joined.inc()
                self.story_sources.observe(ref.sources)

    def ticked(self) -> None:
        """The scheduler's clock fired (whether or not Redis answered)."""
        self.tick_at = time.monotonic()
        self.last_tick.set_to_current_time()

    def claimed(self, lags: Sequence[float]) -> None:
        """A claim went through; ``lags`` are how late each claimed source was."""
        self.redis_ok = True
        self.redis_up.set(1)
        for lag in lags:
            self.lag.observe(max(0.0, lag))

    def redis_down(self, error: StoreError) -> None:
        """The scheduler could not reach Redis, or Redis refused it."""
        self.redis_ok = False
        self.redis_trouble = redis_trouble(error)
        self.redis_up.set(0)
        self.redis_errors.inc()

    def loaded(self, count: int) -> None:
        """The keywords were (re)loaded."""
        self.keywords.set(count)
        self.keywords_loaded = True

    def text(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


def _capped(result: PollResult) -> list[tuple[str, int]]:
    counts = [("unread", result.unread), ("deferred", result.deferred)]
    return [(r, n) for r, n in [*counts, ("duplicate", result.duplicates)] if n]


def _published(alert: Mapping[str, Any]) -> float | None:
    block = alert.get("block") or {}
    stamp = block.get("published") or alert.get("item", {}).get("published")
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
