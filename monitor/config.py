"""The config file, parsed once at the edge into frozen typed values.

Every error names the file, the key and what is wrong, e.g.
``sources[2].interval: must be a duration like "90s" or "5m" (config/monitor.toml)``, and is
raised before anything starts. Environment variables override the file where a deployment
needs it: ``NEWSMON_CONFIG`` (the file), ``NEWSMON_REDIS_URL`` and ``NEWSMON_DATA_DIR``.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from monitor.desk import STORY_DIGEST, DeskRules, Throttle, parse_quiet_hours, parse_zone
from monitor.errors import ConfigError, QueryError
from monitor.query import KeywordSpec, check_language, compile_keyword
from monitor.redisurl import redact, url_problem
from monitor.sources.urls import http_url_problem
from monitor.sources.urls import url_problem as source_url_problem

DEFAULT_PATH = Path("config/monitor.toml")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}\Z")  # \Z: no trailing newline
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}

T = TypeVar("T")

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


ALERT_TYPES = ("item.new", "block.new", "block.edited", "block.removed")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
DESK_KEYS = ("per_story", "story_digest", "quiet_hours", "timezone", "throttle")


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


def parse_duration(value: object) -> float:
    """Seconds from a duration such as "90s", "5m", "1.5h" or a bare number of seconds."""
    if isinstance(value, bool):
        raise ValueError('must be a duration like "90s" or "5m"')
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _DURATION_UNITS[m.group(2) or "s"]
    else:
        raise ValueError('must be a duration like "90s" or "5m"')
    if seconds <= 0:
        raise ValueError("must be longer than zero")
    return seconds


def bounded(low: float, high: float, label: str) -> Callable[[object], float]:
    """A duration parser that also refuses values outside [low, high] seconds."""

    def parse(value: object) -> float:
        seconds = parse_duration(value)
        if not low <= seconds <= high:
            raise ValueError(f"must be between {label}")
        return seconds

    return parse


# A poll more often than once a second is abuse of the site; one less often than monthly is
# a forgotten source. A request may take up to 10 minutes.
parse_interval = bounded(1.0, 30 * 86_400.0, '"1s" and "30d"')
parse_timeout = bounded(0.1, 600.0, '"0.1s" and "10m"')
parse_deadline = bounded(1.0, 3600.0, '"1s" and "1h"')
parse_window = bounded(60.0, 30 * 86_400.0, '"1m" and "30d"')


def parse_size(value: object) -> int:
    """Bytes from a size such as "10MB", "512KiB" or a bare number of bytes."""
    if isinstance(value, bool):
        raise ValueError('must be a size like "10MB" or a number of bytes')
    if isinstance(value, int):
        size = value
    elif isinstance(value, str) and (m := _SIZE.match(value)):
        size = int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])
    else:
        raise ValueError('must be a size like "10MB" or a number of bytes')
    if size <= 0:
        raise ValueError("must be larger than zero")
    return size


def config_path(explicit: str | Path | None, env: Mapping[str, str]) -> Path:
    """The config file to read: --config, else NEWSMON_CONFIG, else config/monitor.toml."""
    if explicit:
        return Path(explicit)
    if env.get("NEWSMON_CONFIG"):
        return Path(env["NEWSMON_CONFIG"])
    return DEFAULT_PATH


def load_config(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    missing_ok: bool = False,
) -> Config:
    """Read and validate the config; ``missing_ok`` gives an empty config for a missing file."""
    env = os.environ if env is None else env
    file = config_path(path, env)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if not missing_ok:
            raise ConfigError(
                "config file not found (give --config PATH or set NEWSMON_CONFIG)", path=str(file)
            ) from None
        return _apply_env(Config(None, RedisConfig(), MonitorConfig(), (), ()), env, file)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the file: {exc}", path=str(file)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(file)) from exc
    except RecursionError:  # tomllib recurses per nested array or inline table
        raise ConfigError("not valid TOML: nested too deeply", path=str(file)) from None
    return _apply_env(_build(raw, file), env, file)


def config_from_mapping(raw: Mapping[str, Any], path: Path | None = None) -> Config:
    """Validate an already-parsed TOML mapping (for tests and tools)."""
    return _build(raw, path)


def _apply_env(config: Config, env: Mapping[str, str], file: Path) -> Config:
    redis, monitor = config.redis, config.monitor
    if env.get("NEWSMON_REDIS_URL"):
        url = env["NEWSMON_REDIS_URL"]
        _check_redis_url(url, "NEWSMON_REDIS_URL", str(file))
        redis = RedisConfig(url, redis.prefix, redis.stream_maxlen)
    if env.get("NEWSMON_DATA_DIR"):
        monitor = _replace_data_dir(monitor, Path(env["NEWSMON_DATA_DIR"]))
    return replace(config, redis=redis, monitor=monitor)


def _replace_data_dir(monitor: MonitorConfig, data_dir: Path) -> MonitorConfig:
    return replace(monitor, data_dir=data_dir)


class _Reader:
    """Typed access to one TOML table, with errors that name the file and the key."""

    def __init__(self, table: Mapping[str, Any], where: str, path: Path | None) -> None:
        self.table, self.where, self.path = table, where, path

    def fail(self, key: str | None, message: str) -> ConfigError:
        name = f"{self.where}.{key}" if key and self.where else (key or self.where)
        return ConfigError(message, path=str(self.path) if self.path else None, key=name)

    def only(self, *allowed: str) -> None:
        for key in self.table:
            if key not in allowed:
                known = ", ".join(allowed)
                raise self.fail(key, f"unknown key (known keys here: {known})")

    def get(self, key: str, kind: type[T], default: T) -> T:
        value = self.table.get(key, default)
        if kind is int and isinstance(value, bool):
            raise self.fail(key, "must be a whole number, not true/false")
        if not isinstance(value, kind):
            raise self.fail(key, f"must be {_kind_name(kind)}, not {_kind_name(type(value))}")
        return value

    def required(self, key: str) -> str:
        if key not in self.table:
            raise self.fail(key, "is required")
        value = self.get(key, str, "")
        if not value.strip():
            raise self.fail(key, "must not be empty")
        return value

    def convert(self, key: str, fn: Callable[[object], T], default: T) -> T:
        if key not in self.table:
            return default
        try:
            return fn(self.table[key])
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None


_KIND_NAMES: dict[type, str] = {
    str: "a string",
    int: "a whole number",
    bool: "true or false",
    float: "a number",
    dict: "a table",
    list: "a list",
}


def _kind_name(kind: type) -> str:
    return _KIND_NAMES.get(kind, kind.__name__)


def _build(raw: Mapping[str, Any], path: Path | None) -> Config:
    top = _Reader(raw, "", path)
    top.only("redis", "monitor", "sources", "keywords", "forward", "stories")
    redis = _redis(_Reader(top.get("redis", dict, {}), "redis", path))
    monitor = _monitor(_Reader(top.get("monitor", dict, {}), "monitor", path), path)
    sources = _sources(top.get("sources", list, []), path)
    keywords = _keywords(top.get("keywords", list, []), path)
    forward = _forwards(top.get("forward", list, []), path)
    stories = _stories(_Reader(top.get("stories", dict, {}), "stories", path))
    return Config(path, redis, monitor, sources, keywords, forward, stories)


def _redis(r: _Reader) -> RedisConfig:
    r.only("url", "prefix", "stream_maxlen")
    url = r.get("url", str, "").strip() or None
    if url:
        _check_redis_url(url, "redis.url", str(r.path) if r.path else None)
    prefix = r.get("prefix", str, "newsmon")
    if not NAME_PATTERN.match(prefix):
        raise r.fail("prefix", "must be letters, digits, '-', '_' or '.'")
    maxlen = r.get("stream_maxlen", int, 100_000)
    if maxlen < 100:
        raise r.fail("stream_maxlen", "must be at least 100")
    return RedisConfig(url, prefix, maxlen)


def _stories(r: _Reader) -> StoriesConfig:
    r.only("enabled", "window", "threshold", "duplicate")
    base = StoriesConfig()
    return StoriesConfig(
        enabled=r.get("enabled", bool, base.enabled),
        window=r.convert("window", parse_window, base.window),
        threshold=r.convert("threshold", parse_threshold, base.threshold),
        duplicate=r.convert("duplicate", parse_threshold, base.duplicate),
    )


def parse_threshold(value: object) -> float:
    """A similarity threshold: a number above 0 and at most 1."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number above 0 and at most 1")
    if not 0 < value <= 1:
        raise ValueError("must be above 0 and at most 1")
    return float(value)


def _check_redis_url(url: str, key: str, path: str | None) -> None:
    problem = url_problem(url)
    if problem is not None:
        raise ConfigError(problem, path=path, key=key)


def _monitor(r: _Reader, path: Path | None) -> MonitorConfig:
    r.only(
        "interval",
        "timeout",
        "max_bytes",
        "user_agent",
        "concurrency",
        "jitter",
        "workers",
        "data_dir",
        "max_items",
        "max_alerts",
        "poll_deadline",
    )
    base = MonitorConfig()
    jitter = r.convert("jitter", _non_negative_duration, base.jitter)
    concurrency = r.get("concurrency", int, base.concurrency)
    if not 1 <= concurrency <= 1000:
        raise r.fail("concurrency", "must be between 1 and 1000")
    workers = r.get("workers", int, base.workers)
    if not 0 <= workers <= 64:
        raise r.fail("workers", "must be between 0 and 64")
    data_dir = Path(r.get("data_dir", str, str(base.data_dir))).expanduser()
    if path is not None and not data_dir.is_absolute():
        data_dir = path.parent / data_dir
    user_agent = r.get("user_agent", str, base.user_agent)
    if not user_agent.strip():
        raise r.fail("user_agent", "must not be empty")
    timeout = r.convert("timeout", parse_timeout, base.timeout)
    deadline = r.convert("poll_deadline", parse_deadline, max(base.poll_deadline, timeout))
    if deadline < timeout:
        raise r.fail("poll_deadline", "must be at least the timeout: a fetch may take that long")
    return MonitorConfig(
        interval=r.convert("interval", parse_interval, base.interval),
        timeout=timeout,
        max_bytes=r.convert("max_bytes", parse_size, base.max_bytes),
        user_agent=user_agent,
        concurrency=concurrency,
        jitter=jitter,
        workers=workers,
        data_dir=data_dir,
        max_items=_whole(r, "max_items", base.max_items, 1, 100_000),
        max_alerts=_whole(r, "max_alerts", base.max_alerts, 1, 10_000),
        poll_deadline=deadline,
    )


def _whole(r: _Reader, key: str, default: int, low: int, high: int) -> int:
    value = r.get(key, int, default)
    if not low <= value <= high:
        raise r.fail(key, f"must be between {low:,} and {high:,}")
    return value


def _non_negative_duration(value: object) -> float:
    if value in (0, "0", "0s"):
        return 0.0
    seconds = parse_duration(value)
    if seconds > 86_400:
        raise ValueError('must be between "0s" and "1d"')
    return seconds


def _tables(items: list[Any], section: str, path: Path | None) -> list[_Reader]:
    readers = []
    for i, item in enumerate(items):
        where = f"{section}[{i}]"
        if not isinstance(item, dict):
            raise ConfigError("must be a table", path=str(path) if path else None, key=where)
        readers.append(_Reader(item, where, path))
    return readers


def check_keyword_name(name: str) -> str:
    """A keyword name given on the command line or through the API; ConfigError if it is not
    one (the config file's keywords say the same by their key)."""
    if not NAME_PATTERN.match(name):
        raise ConfigError(f"keyword name {name!r} must be letters, digits, '-', '_' or '.'")
    return name


def _unique_name(r: _Reader, seen: set[str], kind: str) -> str:
    name = r.required("name")
    if not NAME_PATTERN.match(name):
        raise r.fail("name", "must be letters, digits, '-', '_' or '.' (at most 80)")
    if name in seen:
        raise r.fail("name", f"duplicate {kind} name {name!r}")
    seen.add(name)
    return name


def _sources(items: list[Any], path: Path | None) -> tuple[SourceConfig, ...]:
    sources: list[SourceConfig] = []
    seen: set[str] = set()
    for r in _tables(items, "sources", path):
        r.only("name", *_SOURCE_KEYS)
        sources.append(_source(r, _unique_name(r, seen, "source")))
    return tuple(sources)


_SOURCE_KEYS = ("url", "kind", "interval", "alert_on_first_poll", "follow_links", "tier")


def _source(r: _Reader, name: str, local: bool = True) -> SourceConfig:
    kind = r.get("kind", str, "feed")
    if kind not in ("feed", "page"):
        raise r.fail("kind", 'must be "feed" or "page"')
    url = r.required("url")
    problem = source_url_problem(url, local=local)
    if problem is not None:
        raise r.fail("url", problem)
    return SourceConfig(
        name=name,
        url=url,
        kind=kind,
        interval=r.convert("interval", parse_interval, None),
        alert_on_first_poll=r.get("alert_on_first_poll", bool, False),
        follow_links=r.get("follow_links", bool, False),
        tier=r.convert("tier", parse_tier, DEFAULT_TIER),
    )


def parse_tier(value: object) -> int:
    """A source's tier: 1, 2 or 3 (a whole number, or its digit as a string, as OPML and the
    command line give it)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value not in TIERS:
        raise ValueError("must be 1 (official or wire), 2 (default) or 3 (low)")
    return value


def source_from_table(
    table: Mapping[str, Any], where: str = "", path: str | None = None, *, local: bool = True
) -> SourceConfig:
    """Validate one source given as a table with its ``name`` (``newsmon sources add``, the
    web API, an OPML outline in the file at ``path``); ``local=False`` refuses a file."""
    r = _Reader(table, where, Path(path) if path else None)
    r.only("name", *_SOURCE_KEYS)
    return _source(r, _unique_name(r, set(), "source"), local)


def source_record(source: SourceConfig, origin: str) -> str:
    """A source's definition as stored in Redis (JSON), with where it came from."""
    record: dict[str, Any] = {
        "url": source.url,
        "kind": source.kind,
        "alert_on_first_poll": source.alert_on_first_poll,
        "follow_links": source.follow_links,
        "origin": origin,
    }
    if source.tier != DEFAULT_TIER:  # so the records stored before tiers stay unchanged
        record["tier"] = source.tier
    if source.interval is not None:
        record["interval"] = source.interval
    return json.dumps(record, sort_keys=True)


def source_from_record(name: str, record: Mapping[str, Any]) -> SourceConfig:
    """A definition read back from Redis, validated like the config file's."""
    table = {k: v for k, v in record.items() if k != "origin"}
    return source_from_table({"name": name, **table}, f"source {name!r} in Redis")


def record_origin(record: Mapping[str, Any]) -> str:
    """Who stored a definition: "config" (a config file) or "cli" (``sources add``)."""
    return str(record.get("origin", "cli"))


def _forwards(items: list[Any], path: Path | None) -> tuple[ForwardConfig, ...]:
    found: list[ForwardConfig] = []
    seen: set[str] = set()
    for r in _tables(items, "forward", path):
        r.only("name", *FORWARD_KEYS)
        found.append(forward_from(r, _unique_name(r, seen, "forward")))
    return tuple(found)


def forward_table(table: Mapping[str, Any], where: str) -> ForwardConfig:
    """A forward section given on the command line, validated like the config file's."""
    r = _Reader(table, where, None)
    return forward_from(r, _unique_name(r, set(), "forward"))


def forward_from(r: _Reader, name: str) -> ForwardConfig:
    webhook = r.get("webhook", str, "") or None
    problem = None if webhook is None else http_url_problem(webhook)
    if problem is not None:
        raise r.fail("webhook", problem)
    notify = _strings(r, "notify")
    if webhook is None and not notify:
        raise r.fail(None, "needs a webhook or at least one notify URL")
    types = _strings(r, "types")
    unknown = sorted(set(types) - set(ALERT_TYPES))
    if unknown:
        raise r.fail("types", f"unknown {unknown[0]!r}; use: {', '.join(ALERT_TYPES)}")
    headers = tuple(r.get("headers", dict, {}).items())
    for key, value in headers:
        if not _HEADER_NAME.match(key) or not isinstance(value, str) or "\n" in value:
            raise r.fail(f"headers.{key}", "must be a header name with a one-line string value")
    return ForwardConfig(name, webhook, headers, notify, _strings(r, "terms"),
                         _strings(r, "sources"), types, _desk_rules(r))  # fmt: skip


FORWARD_KEYS = ("webhook", "headers", "notify", "terms", "sources", "types", *DESK_KEYS)


def _desk_rules(r: _Reader) -> DeskRules:
    zone = r.convert("timezone", parse_zone, parse_zone("UTC"))
    quiet = r.convert("quiet_hours", lambda v: parse_quiet_hours(v, zone), None)
    return DeskRules(
        per_story=r.get("per_story", bool, False),
        story_digest=r.convert("story_digest", parse_story_digest, STORY_DIGEST),
        quiet=quiet,
        throttle=r.convert("throttle", parse_throttle, None),
    )


parse_story_digest = bounded(1.0, 86_400.0, '"1s" and "1d"')


def parse_throttle(value: object) -> Throttle:
    """A throttle from a whole number (alerts per keyword an hour) or "N/DURATION" ("3/15m")."""
    limit, window = value, "1h"
    if isinstance(value, str):
        count, _, per = value.partition("/")
        limit = int(count) if count.strip().isdigit() else None
        window = per.strip() or window
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError('must be a whole number of alerts an hour, 1 or more, or like "3/15m"')
    try:
        seconds = bounded(60.0, 86_400.0, '"1m" and "1d"')(window)
    except ValueError as exc:
        raise ValueError(f"the window {exc}") from None
    return Throttle(limit, seconds)


def _strings(r: _Reader, key: str) -> tuple[str, ...]:
    values = r.get(key, list, [])
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise r.fail(key, "must be a list of strings that are not empty")
    return tuple(values)


def _keywords(items: list[Any], path: Path | None) -> tuple[KeywordSpec, ...]:
    specs: list[KeywordSpec] = []
    seen: set[str] = set()
    for r in _tables(items, "keywords", path):
        r.only("name", "query", "language")
        name = _unique_name(r, seen, "keyword")
        language = r.get("language", str, "auto")
        try:
            check_language(language)
        except QueryError as exc:
            raise r.fail("language", exc.reason) from None
        spec = KeywordSpec(name, r.required("query"), language)
        try:
            compile_keyword(spec)
        except QueryError as exc:
            raise r.fail("query", str(exc)) from None
        specs.append(spec)
    return tuple(specs)
