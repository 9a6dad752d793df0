"""Reading alerts from Python: ``async for alert in subscribe(url): ...``.

Reads the durable stream rather than the pub/sub channels, so an alert published while the
consumer was reconnecting is still delivered; ``replay`` starts with the newest N alerts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection
from typing import Any

from monitor.errors import StoreError
from monitor.store import Store, connect

Alert = dict[str, Any]


def alert_filter(
    terms: Collection[str] = (), sources: Collection[str] = ()
) -> Callable[[Alert], bool]:
    """A predicate keeping alerts of the given sources and naming one of the given terms."""

    def wanted(alert: Alert) -> bool:
        if sources and alert.get("source") not in sources:
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
) -> AsyncIterator[Alert]:
    """Every alert from now on (after the last ``replay`` ones), reconnecting forever."""
    first = await store.last_alerts(replay) if replay else []
    if first:
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
        async for alert in follow(Store(client, prefix), replay=replay):
            if wanted(alert):
                yield alert
    finally:
        await client.aclose()
