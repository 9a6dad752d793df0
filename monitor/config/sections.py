"""The config file's sections read into values: ``[redis]``, ``[monitor]``, ``[stories]`` and
``[[keywords]]`` here, ``[[sources]]`` and ``[[forward]]`` in their own modules, and ``build``,
which reads a whole parsed file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitor.config.forward import forward_sections
from monitor.config.model import Config, MonitorConfig, RedisConfig, StoriesConfig
from monitor.config.reader import NAME_PATTERN, Reader, tables, unique_name
from monitor.config.sources import sources_section
from monitor.config.units import (
    non_negative_duration,
    parse_deadline,
    parse_interval,
    parse_size,
    parse_threshold,
    parse_timeout,
    parse_window,
)
from monitor.errors import ConfigError, QueryError
from monitor.query import KeywordSpec, check_language, compile_keyword
from monitor.redisurl import url_problem


def build(raw: Mapping[str, Any], path: Path | None) -> Config:
    """A whole parsed config file, validated, before the environment has its say."""
    top = Reader(raw, "", path)
    top.only("redis", "monitor", "sources", "keywords", "forward", "stories")
    redis = _redis(Reader(top.get("redis", dict, {}), "redis", path))
    monitor = _monitor(Reader(top.get("monitor", dict, {}), "monitor", path), path)
    sources = sources_section(top.get("sources", list, []), path)
    keywords = _keywords(top.get("keywords", list, []), path)
    forward = forward_sections(top.get("forward", list, []), path)
    stories = _stories(Reader(top.get("stories", dict, {}), "stories", path))
    return Config(path, redis, monitor, sources, keywords, forward, stories)


def _redis(r: Reader) -> RedisConfig:
    r.only("url", "prefix", "stream_maxlen")
    url = r.get("url", str, "").strip() or None
    if url:
        check_redis_url(url, "redis.url", str(r.path) if r.path else None)
    prefix = r.get("prefix", str, "newsmon")
    if not NAME_PATTERN.match(prefix):
        raise r.fail("prefix", "must be letters, digits, '-', '_' or '.'")
    maxlen = r.get("stream_maxlen", int, 100_000)
    if maxlen < 100:
        raise r.fail("stream_maxlen", "must be at least 100")
    return RedisConfig(url, prefix, maxlen)


def check_redis_url(url: str, key: str, path: str | None) -> None:
    """ConfigError naming ``key`` if ``url`` is not a Redis URL newsmon can use."""
    problem = url_problem(url)
    if problem is not None:
        raise ConfigError(problem, path=path, key=key)


def _stories(r: Reader) -> StoriesConfig:
    r.only("enabled", "window", "threshold", "duplicate")
    base = StoriesConfig()
    return StoriesConfig(
        enabled=r.get("enabled", bool, base.enabled),
        window=r.convert("window", parse_window, base.window),
        threshold=r.convert("threshold", parse_threshold, base.threshold),
        duplicate=r.convert("duplicate", parse_threshold, base.duplicate),
    )


_MONITOR_KEYS = (
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


def _monitor(r: Reader, path: Path | None) -> MonitorConfig:
    r.only(*_MONITOR_KEYS)
    base = MonitorConfig()
    jitter = r.convert("jitter", non_negative_duration, base.jitter)
    concurrency = r.get("concurrency", int, base.concurrency)
    if not 1 <= concurrency <= 1000:
        raise r.fail("concurrency", "must be between 1 and 1000")
    workers = r.get("workers", int, base.workers)
    if not 0 <= workers <= 64:
        raise r.fail("workers", "must be between 0 and 64")
    data_dir = _data_dir(r, base.data_dir, path)
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


def _data_dir(r: Reader, default: Path, path: Path | None) -> Path:
    # A relative data_dir is taken from the config file's directory, not the working one.
    data_dir = Path(r.get("data_dir", str, str(default))).expanduser()
    if path is not None and not data_dir.is_absolute():
        data_dir = path.parent / data_dir
    return data_dir


def _whole(r: Reader, key: str, default: int, low: int, high: int) -> int:
    value = r.get(key, int, default)
    if not low <= value <= high:
        raise r.fail(key, f"must be between {low:,} and {high:,}")
    return value


def check_keyword_name(name: str) -> str:
    """A keyword name given on the command line or through the API; ConfigError if it is not
    one (the config file's keywords say the same by their key)."""
    if not NAME_PATTERN.match(name):
        raise ConfigError(f"keyword name {name!r} must be letters, digits, '-', '_' or '.'")
    return name


def _keywords(items: list[Any], path: Path | None) -> tuple[KeywordSpec, ...]:
    specs: list[KeywordSpec] = []
    seen: set[str] = set()
    for r in tables(items, "keywords", path):
        r.only("name", "query", "language")
        specs.append(_keyword(r, unique_name(r, seen, "keyword")))
    return tuple(specs)


def _keyword(r: Reader, name: str) -> KeywordSpec:
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
    return spec
