"""Live alerts as server-sent events, read from the durable stream.

Each event's ``id`` is its stream id. A browser that reconnects sends the last one it saw as
``Last-Event-ID`` and the stream goes on right after it, so a dropped connection loses
nothing (as long as the entries are still in the stream). ``?after=ID`` does the same for
the first connection; without either, only alerts committed from now on are sent.
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import suppress
from typing import Any

from aiohttp import web

from monitor.errors import StoreError
from monitor.web.filters import alert_wanted, stream_id
from monitor.web.state import STORE

WAIT_MS = 2000  # one blocking read; under redis-py's 5 s socket timeout, or it reads as an outage
KEEPALIVE = 10.0  # seconds without a byte before a comment keeps proxies from closing the line
RETRY_MS = 1000  # how soon a browser reconnects after the line drops
STREAMS: web.AppKey[set[asyncio.Task[Any]]] = web.AppKey("streams", set)
routes = web.RouteTableDef()


async def close_streams(app: web.Application) -> None:
    """On shutdown: end the open event streams now (browsers resume from their last id)
    rather than wait out their blocking reads."""
    for task in app.get(STREAMS, set()):
        task.cancel()


@routes.get("/api/events")
async def events(request: web.Request) -> web.StreamResponse:
    """``text/event-stream``: one ``alert`` event per alert that passes the filters."""
    store = request.app[STORE]
    header = request.headers.get("Last-Event-ID")
    after = stream_id(header or request.query.get("after"), "Last-Event-ID" if header else "after")
    wanted = alert_wanted(request.query)
    after = after or await store.last_stream_id()
    response = web.StreamResponse(headers=_HEADERS)
    await response.prepare(request)
    await response.write(f"retry: {RETRY_MS}\n: from {after}\n\n".encode())
    streams, task = request.app[STREAMS], asyncio.current_task()
    assert task is not None  # a handler always runs in a task
    streams.add(task)
    try:
        with suppress(ConnectionResetError):  # the browser left; it resumes from its last id
            await _relay(request, response, after, wanted)
    finally:
        streams.discard(task)
    return response


async def _relay(
    request: web.Request, response: web.StreamResponse, after: str, wanted: Any
) -> None:
    store = request.app[STORE]
    wrote = time.monotonic()
    while True:
        try:
            batch = await store.read_alerts(after, block_ms=WAIT_MS, count=100)
        except StoreError:
            await response.write(b": redis is not answering; waiting\n\n")
            await asyncio.sleep(1.0)
            continue
        for entry_id, alert in batch:
            after = entry_id
            if wanted(alert):
                await response.write(_event(entry_id, alert))
                wrote = time.monotonic()
        if time.monotonic() - wrote >= KEEPALIVE:
            await response.write(b": idle\n\n")
            wrote = time.monotonic()


def _event(stream_id: str, alert: dict[str, Any]) -> bytes:
    return f"id: {stream_id}\nevent: alert\ndata: {json.dumps(alert)}\n\n".encode()


_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # nginx would otherwise hold events back in its buffer
}
