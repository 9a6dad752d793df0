"""The configuration's values: frozen dataclasses, and the defaults and limits they carry.

The parsers in this package build these; everything else in newsmon only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from monitor.desk import DeskRules
from monitor.query import KeywordSpec
from monitor.redisurl import redact

# A poll's work is bounded whatever a feed holds (issue 21): 100,000 items once made one poll
# take 40 s and 1 GB, and its commit block Redis for 2 s. docs/configuration.md has the why.
MAX_ITEMS = 2000
MAX_ALERTS = 500
# A source's tier says how much a desk trusts it: 1 official or wire, 2 the default, 3 low.
# Every alert carries its source's tier; a consumer treats an alert without one as tier 2.
TIERS = (1, 2, 3)
DEFAULT_TIER = 2


@dataclass(frozen=True, slots=True)
class RedisConfig:
    """Where alerts and state go; ``url`` None means the embedded server."""

    url: str | None = None
    prefix: str = "newsmon"
    stream_maxlen: int = 100_000


@dataclass(frozen=True, slots=True)
class MonitorConfig:
    """Defaults for polling every source."""

    interval: float = 300.0
    timeout: float = 20.0
    max_bytes: int = 10_000_000
    user_agent: str = "newsmon/0.1 (+https://github.com/newsmon/newsmon)"
    concurrency: int = 50
    jitter: float = 10.0
    workers: int = 0  # parse worker processes; 0 = one per core, 1 = parse in-process
    data_dir: Path = Path("~/.local/share/newsmon")
    max_items: int = MAX_ITEMS  # feed items looked at per poll, in feed order
    max_alerts: int = MAX_ALERTS  # new or changed feed items (so alerts) per poll
    poll_deadline: float = 60.0  # seconds a poll may take, fetches included, before its commit


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One watched feed or page."""

    name: str
    url: str
    kind: str = "feed"
    interval: float | None = None
    alert_on_first_poll: bool = False
    follow_links: bool = False
    tier: int = DEFAULT_TIER  # 1 official/wire, 2 default, 3 low (issue 16)


@dataclass(frozen=True, slots=True)
class StoriesConfig:
    """``[stories]``: whether item.new and block.new alerts get a story, and how stories are
    told apart (the values of ``monitor.stories.StorySettings``, which config does not import:
    the index loads its similarity libraries only where stories are assigned)."""

    enabled: bool = True
    window: float = 48 * 3600.0  # a story ends this long after its last report
    threshold: float = 0.3  # similarity to a story's centroid at which a report joins it
    duplicate: float = 0.7  # share of terms with a report of a story that makes a copy of it


@dataclass(frozen=True, slots=True)
class ForwardConfig:
    """One ``[[forward]]`` section: a consumer group, its targets and its filters."""

    name: str  # the consumer group
    webhook: str | None = None
    headers: tuple[tuple[str, str], ...] = ()  # sent with each webhook POST (a shared secret)
    notify: tuple[str, ...] = ()  # Apprise URLs
    terms: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    rules: DeskRules = field(default_factory=DeskRules)  # per-story digests, quiet hours, throttle


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration, validated."""

    path: Path | None
    redis: RedisConfig
    monitor: MonitorConfig
    sources: tuple[SourceConfig, ...]
    keywords: tuple[KeywordSpec, ...]
    forward: tuple[ForwardConfig, ...] = ()
    stories: StoriesConfig = StoriesConfig()

    def interval_of(self, source: SourceConfig) -> float:
        """The poll interval of a source: its own, or the monitor's default."""
        return source.interval if source.interval is not None else self.monitor.interval

    def redis_label(self) -> str:
        """Which Redis this config names, fit for a person (passwords masked)."""
        if self.redis.url:
            return redact(self.redis.url)
        return f"embedded ({self.monitor.data_dir})"
