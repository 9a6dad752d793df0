"""The watched sources, kept in Redis like the keywords: every daemon reads them from there.

A config file seeds them: its sources are stored (origin "config") when a daemon starts or
reloads, and config sources that left the file are removed. ``newsmon sources add`` and the web
API store a source of origin "cli", ``newsmon sources import`` one of origin "opml"; a config
file removes neither. A new or changed source is due at once; every daemon picks it up at its
next claim (a fraction of a second), with no restart.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitor.config import (
    Config,
    SourceConfig,
    record_origin,
    source_from_record,
    source_record,
)
from monitor.errors import ConfigError
from monitor.store import Slot, SourceState, Store

LIVE_MS = 10_000  # a daemon that claimed within this long counts as running


@dataclass(frozen=True, slots=True)
class Listed:
    """A stored source as ``newsmon sources list`` shows it."""

    name: str
    source: SourceConfig | None  # None when the stored definition is invalid
    origin: str
    slot: Slot
    error: str | None = None
    disabled: bool = False

    @property
    def next_poll(self) -> str | None:
        """When it is due next (ISO 8601), or None when it is not in the schedule."""
        return None if self.slot.due is None else iso_ms(self.slot.due)


async def live_daemons(store: Store) -> int:
    """How many daemons are running on this Redis: those that claimed within ``LIVE_MS``."""
    return await store.schedule.live_daemons(now_ms() - LIVE_MS)


def now_ms() -> int:
    """The wall clock in ms since the epoch (the schedule's unit)."""
    return int(time.time() * 1000)


def iso_ms(ms: float) -> str:
    """A schedule time (ms since the epoch) as ISO 8601 in UTC, to the second."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


async def seed(store: Store, sources: Sequence[SourceConfig]) -> tuple[list[str], list[str]]:
    """Store a config file's sources; remove the config sources it no longer has.

    Returns (names added or changed, names removed).
    """
    wanted = {s.name for s in sources}
    leaving = [n for n in await store.schedule.names() if n not in wanted]
    stored = await store.schedule.definitions() if leaving else {}
    gone = [n for n in leaving if record_origin(stored.get(n, {})) == "config"]
    records = {s.name: source_record(s, "config") for s in sources}
    changed = await store.schedule.put(records, now_ms())
    _remember(sources, records)
    removed = await _remove(store, gone)
    if changed or removed:
        await store.announce("sources", "seed", sorted(changed + removed))
    return changed, removed


async def add(store: Store, source: SourceConfig) -> bool:
    """Store one source (replacing one of the same name), due now even if it was already so
    (that is how a source parked by a 410 Gone, or backing off, is resumed); False if its
    definition did not change."""
    record = {source.name: source_record(source, "cli")}
    changed = await store.schedule.put(record, now_ms(), due_now=True)
    if changed:
        await store.announce("sources", "add", changed)
    return bool(changed)


async def add_many(store: Store, sources: Sequence[SourceConfig], origin: str) -> list[str]:
    """Store several sources at once (an OPML import); the new or changed ones are due now.
    Returns their names."""
    records = {source.name: source_record(source, origin) for source in sources}
    changed = await store.schedule.put(records, now_ms())
    if changed:
        await store.announce("sources", "add", changed)
    return changed


async def remove(store: Store, name: str) -> bool:
    """Stop watching a source and forget its state; False if there was none of that name."""
    removed = await _remove(store, [name])
    if removed:
        await store.announce("sources", "remove", removed)
    return bool(removed)


async def disable(store: Store, name: str) -> bool:
    """Stop polling a source but keep it and its state; False if there is none of that name."""
    done = await store.schedule.disable(name)
    if done:
        await store.announce("sources", "disable", [name])
    return done


async def enable(store: Store, name: str) -> bool:
    """Poll a disabled source again, starting now; False if there is none of that name."""
    done = await store.schedule.enable(name, now_ms())
    if done:
        await store.announce("sources", "enable", [name])
    return done


async def listing(store: Store) -> list[Listed]:
    """Every stored source with its schedule slot, by name."""
    stored = await store.schedule.definitions()
    slots = await store.schedule.slots(sorted(stored))
    off = await store.schedule.disabled()
    return [_listed(name, stored[name], slots[name], name in off) for name in sorted(stored)]


async def status_rows(store: Store, config: Config) -> list[dict[str, Any]]:
    """Every source's health, as ``newsmon status --json`` prints it (one dict per source)."""
    listed = {item.name: item for item in await listing(store)}
    configured = {s.name: s for s in config.sources}
    names = sorted(set(listed) | set(configured) | set(await store.source_names()))
    states, activity = await store.load_sources(names), await store.activity(names)
    firsts = await store.stories.firsts()
    rows = []
    for name, state, (documents, alerts) in zip(names, states, activity, strict=True):
        item = listed.get(name)
        source = (item.source if item else None) or configured.get(name)
        row = _status_row(name, state, item, source)
        row["interval"] = (source.interval if source else None) or config.monitor.interval
        row |= {"documents": documents, "alerts_24h": alerts}
        row["stories_first"] = firsts.get(name, 0)  # stories it was the first to report
        rows.append(row)
    return rows


def decode(name: str, definition: str) -> SourceConfig:
    """A claimed source's stored definition; ConfigError names what is wrong with it."""
    found = _decoded.get((name, definition))
    if found is None:
        found = _decode(name, definition)
        if len(_decoded) >= _DECODED_MAX:
            _decoded.clear()
        _decoded[(name, definition)] = found
    return found


# Every claim carries its definition; the same text decodes to the same value, so a daemon
# decodes and validates each one once, not at every poll.
_DECODED_MAX = 100_000
_decoded: dict[tuple[str, str], SourceConfig] = {}


def _remember(sources: Sequence[SourceConfig], records: dict[str, str]) -> None:
    """Decoding a config source's own record gives it back: spare the claims that work."""
    if len(_decoded) + len(sources) > _DECODED_MAX:
        _decoded.clear()
    _decoded.update(((s.name, records[s.name]), s) for s in sources[:_DECODED_MAX])


def _decode(name: str, definition: str) -> SourceConfig:
    try:
        record = json.loads(definition)
    except ValueError as exc:
        raise ConfigError(f"not valid JSON: {exc}", key=f"source {name!r} in Redis") from None
    except RecursionError:
        raise ConfigError("JSON nested too deeply", key=f"source {name!r} in Redis") from None
    if not isinstance(record, dict):
        raise ConfigError("must be a JSON object", key=f"source {name!r} in Redis")
    return source_from_record(name, record)


async def _remove(store: Store, names: Sequence[str]) -> list[str]:
    removed = await store.schedule.remove(names)
    for name in removed:
        await store.forget_source(name)
    return removed


def _listed(name: str, record: dict[str, object], slot: Slot, disabled: bool) -> Listed:
    try:
        source = source_from_record(name, record)
    except ConfigError as exc:
        return Listed(name, None, record_origin(record), slot, str(exc), disabled)
    return Listed(name, source, record_origin(record), slot, None, disabled)


def _status_row(
    name: str, state: SourceState, listed: Listed | None, source: SourceConfig | None
) -> dict[str, Any]:
    return {
        "source": name,
        "kind": source.kind if source else None,
        "url": source.url if source else None,
        "tier": source.tier if source else None,
        "watched": listed is not None,
        "disabled": bool(listed and listed.disabled),
        "last_poll": state.last_poll,
        "last_status": state.last_status,
        "last_http": state.last_http,
        "last_ok": state.last_ok,
        "last_error": state.last_error,
        "last_error_at": state.last_error_at,
        "next_poll": listed.next_poll if listed else None,
        "next_reason": None if listed and listed.disabled else state.next_reason,
        "polling": bool(listed and listed.slot.leased),
        "failures": state.failures,
        "failure_class": state.failure_class,
        "gone": state.gone,
        "moved_to": state.raw.get("moved_to"),
        "polls": state.polls,
        "alerts": state.alerts,
    }
