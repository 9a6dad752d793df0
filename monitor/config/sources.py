"""A source's definition: ``[[sources]]`` tables, and the same definition stored in Redis.

The config file, ``newsmon sources add``, the web API, OPML outlines and the records read back
from Redis all go through ``_source``, so a source is valid by one rule wherever it comes from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitor.config.model import DEFAULT_TIER, TIERS, SourceConfig
from monitor.config.reader import Reader, tables, unique_name
from monitor.config.units import parse_interval
from monitor.sources.urls import url_problem as source_url_problem

_SOURCE_KEYS = ("url", "kind", "interval", "alert_on_first_poll", "follow_links", "tier")


def sources_section(items: list[Any], path: Path | None) -> tuple[SourceConfig, ...]:
    """The ``[[sources]]`` of a config file, names unique."""
    sources: list[SourceConfig] = []
    seen: set[str] = set()
    for r in tables(items, "sources", path):
        r.only("name", *_SOURCE_KEYS)
        sources.append(_source(r, unique_name(r, seen, "source")))
    return tuple(sources)


def _source(r: Reader, name: str, local: bool = True) -> SourceConfig:
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
    r = Reader(table, where, Path(path) if path else None)
    r.only("name", *_SOURCE_KEYS)
    return _source(r, unique_name(r, set(), "source"), local)


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
