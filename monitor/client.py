"""Reading alerts from Python: ``async for alert in alerts(url, terms=["sanctions"]): ...``.

Reads the durable stream rather than the pub/sub channels, so an alert published while the
consumer was reconnecting is still delivered: after a reconnect it resumes from the last id it
saw. ``alerts`` yields typed alerts (``monitor.alerttypes.Alert``); ``since`` starts at a
stream id or a time. ``subscribe`` is the same with ``replay`` (the newest N alerts first).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection
from datetime import datetime
from typing import Any, cast

from monitor import alerttypes
from monitor.errors import StoreError
from monitor.store import LAST_ID_PART, Store, connect, is_stream_id

Alert = dict[str, Any]


def alert_filter(
    terms: Collection[str] = (), sources: Collection[str] = (), types: Collection[str] = ()
) -> Callable[[Alert], bool]:
    """A predicate keeping alerts of the given sources and types that name one of the given
    terms (an empty collection keeps all)."""

    def wanted(alert: Alert) -> bool:
        if sources and alert.get("source") not in sources:
            return False
        if types and alert.get("type") not in types:
            return False
        if terms:
            return bool({t.get("name") for t in alert.get("terms", [])} & set(terms))
        return True

    return wanted


async def follow(
    store: Store,
    *,
    replay: int = 0,
    on_error: Callable[[StoreError, float], None] | None = None,
    after: str | None = None,
) -> AsyncIterator[Alert]:
    """Every alert from now on (after the last ``replay`` ones, or after stream id
    ``after``), reconnecting forever."""
    first = await store.last_alerts(replay) if replay and after is None else []
    if after is not None:
        last = after
    elif first:
        last = first[-1][0]
    elif replay:
        last = "0-0"  # the stream was empty: what comes next is new, even before the next call
    else:
        last = await store.last_stream_id()
    for _eid, alert in first:
        yield alert
    delay = 0.5
    while True:
        try:
            batch = await store.read_alerts(last, block_ms=1000)
            delay = 0.5
        except StoreError as exc:
            # The stream keeps everything: after reconnecting we go on from the last id seen.
            if on_error is not None:
                on_error(exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
            continue
        for eid, alert in batch:
            last = eid
            yield alert


async def subscribe(
    url: str,
    prefix: str = "newsmon",
    *,
    replay: int = 0,
    terms: Collection[str] = (),
    sources: Collection[str] = (),
) -> AsyncIterator[Alert]:
    """Alerts from the Redis at ``url``, filtered by keyword names and source names."""
    client = connect(url)
    wanted = alert_filter(terms, sources)
    try:
        async for alert in follow(await _reached(client, prefix), replay=replay):
            if wanted(alert):
                yield alert
    finally:
        await client.aclose()


async def alerts(
    url: str,
    prefix: str = "newsmon",
    *,
    terms: Collection[str] = (),
    sources: Collection[str] = (),
    types: Collection[str] = (),
    since: str | datetime | None = None,
) -> AsyncIterator[alerttypes.Alert]:
    """Typed alerts from the Redis at ``url`` under ``prefix``, filtered by keyword names,
    source names and alert types: those after ``since`` (a stream id such as an alert's
    place you saved, or a time: alerts detected at or after it), else from now on."""
    after = _after(since)
    client = connect(url)
    wanted = alert_filter(terms, sources, types)
    try:
        async for alert in follow(await _reached(client, prefix), after=after):
            if wanted(alert):
                yield cast(alerttypes.Alert, alert)
    finally:
        await client.aclose()


async def _reached(client: Any, prefix: str) -> Store:
    """A Store on ``client`` once it answered: a wrong URL or password is a StoreError at
    once, not a silent wait (only outages after the first answer are waited out)."""
    store = Store(client, prefix)
    await store.ping()
    return store


def _after(since: str | datetime | None) -> str | None:
    """The stream id to read after, for ``since``."""
    if since is None:
        return None
    if isinstance(since, datetime):
        if since.tzinfo is None:
            raise ValueError("since: give a timezone-aware datetime (UTC, say)")
        return f"{int(since.timestamp() * 1000) - 1}-{LAST_ID_PART}"
    if not is_stream_id(since, whole=False):
        raise ValueError(f"since: {since!r} is not a stream id like '1732520000000-0'")
    return since
