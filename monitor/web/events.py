"""Live alerts as server-sent events, read from the durable stream.

Each event's ``id`` is its stream id. A browser that reconnects sends the last one it saw as
``Last-Event-ID`` and the stream goes on right after it, so a dropped connection loses
nothing (as long as the entries are still in the stream). ``?after=ID`` does the same for
the first connection; without either, only alerts committed from now on are sent.

One reader per process (``Hub``) blocks on XREAD and hands each batch to every open stream,
which filters it for its own client: a hundred browsers cost one Redis connection, not a
hundred blocking reads that would take the whole pool the daemon polls with. A stream first
catches up from its own last id with plain XRANGE reads, and again whenever it falls more
than ``BEHIND`` batches behind the reader, so a slow client neither holds the others back
nor loses an alert. At most ``MAX_STREAMS`` are open at once; one more is answered 503.
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import suppress
from typing import Any

from aiohttp import web

from monitor.errors import StoreError
from monitor.store import Store
from monitor.web.filters import alert_wanted, stream_id
from monitor.web.state import STORE

WAIT_MS = 2000  # one blocking read; under redis-py's 5 s socket timeout, or it reads as an outage
KEEPALIVE = 10.0  # seconds without a byte before a comment keeps proxies from closing the line
RETRY_MS = 1000  # how soon a browser reconnects after the line drops
MAX_STREAMS = 200  # event streams open at once, per process
RETRY_AFTER = 10  # seconds a client refused for too many streams is told to wait
BEHIND = 100  # batches a stream may have waiting before it re-reads from its own last id
PAGE = 100  # entries one read takes
_OUTAGE = ": redis is not answering; waiting\n\n"
routes = web.RouteTableDef()

Entry = tuple[str, dict[str, Any]]


class Listener:
    """One open stream's share of the reader: batches waiting to be sent, or a note."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[list[Entry] | str] = asyncio.Queue(BEHIND)
        self.behind = True  # it must read from its own last id before it takes batches

    def offer(self, item: list[Entry] | str) -> None:
        if self.behind:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.behind = True  # the entries are in the stream: it reads them itself

    def rejoin(self) -> None:
        """From now on take batches again (what came before is read from the stream)."""
        self.behind = False
        while not self.queue.empty():
            self.queue.get_nowait()


class Hub:
    """The process's one blocking reader of the stream, and the streams it serves."""

    def __init__(self, store: Store, limit: int = MAX_STREAMS) -> None:
        self.store, self.limit = store, limit
        self.listeners: set[Listener] = set()
        self._task: asyncio.Task[None] | None = None

    async def join(self) -> Listener | None:
        """A new listener, or None when ``limit`` are open already. A reader that starts
        here starts from the stream's end now, before the listener reads anything itself:
        whatever comes later reaches the listener one way or the other."""
        if len(self.listeners) >= self.limit:
            return None
        if self._task is None or self._task.done():
            start = await self.store.last_stream_id()
            if self._task is None or self._task.done():  # no other join started it meanwhile
                self._task = asyncio.create_task(self._read(start), name="newsmon-events")
        listener = Listener()
        self.listeners.add(listener)
        return listener

    def leave(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def _read(self, after: str) -> None:
        await asyncio.sleep(0)  # the listener that started it is added first
        while self.listeners:  # the last stream gone, the reader stops (the next starts it)
            try:
                batch = await self.store.read_alerts(after, block_ms=WAIT_MS, count=PAGE)
            except StoreError:
                self._send(_OUTAGE)
                await asyncio.sleep(1.0)
                continue
            if batch:
                after = batch[-1][0]
                self._send(batch)

    def _send(self, item: list[Entry] | str) -> None:
        for listener in self.listeners:
            listener.offer(item)


HUB: web.AppKey[Hub] = web.AppKey("hub", Hub)
STREAMS: web.AppKey[set[asyncio.Task[Any]]] = web.AppKey("streams", set)


async def close_streams(app: web.Application) -> None:
    """On shutdown: stop the reader and end the open event streams now (browsers resume
    from their last id) rather than wait out a blocking read."""
    await app[HUB].close()
    for task in app.get(STREAMS, set()):
        task.cancel()


@routes.get("/api/events")
async def events(request: web.Request) -> web.StreamResponse:
    """``text/event-stream``: one ``alert`` event per alert that passes the filters."""
    store, hub = request.app[STORE], request.app[HUB]
    header = request.headers.get("Last-Event-ID")
    after = stream_id(header or request.query.get("after"), "Last-Event-ID" if header else "after")
    wanted = alert_wanted(request.query)
    listener = await hub.join()  # first: a refused stream costs Redis nothing
    if listener is None:
        return _too_many(hub.limit)
    try:
        after = after or await store.last_stream_id()
        response = web.StreamResponse(headers=_HEADERS)
        await response.prepare(request)
        await response.write(f"retry: {RETRY_MS}\n: from {after}\n\n".encode())
        await _tracked(request, _relay(store, response, listener, after, wanted))
    finally:
        hub.leave(listener)
    return response


async def _tracked(request: web.Request, relay: Any) -> None:
    streams, task = request.app[STREAMS], asyncio.current_task()
    assert task is not None  # a handler always runs in a task
    streams.add(task)
    try:
        with suppress(ConnectionResetError):  # the browser left; it resumes from its last id
            await relay
    finally:
        streams.discard(task)


async def _relay(
    store: Store, response: web.StreamResponse, listener: Listener, after: str, wanted: Any
) -> None:
    wrote = time.monotonic()
    while True:
        if listener.behind:
            after = await _catch_up(store, response, listener, after, wanted)
        try:
            item = await asyncio.wait_for(listener.queue.get(), KEEPALIVE)
        except TimeoutError:
            item = ": idle\n\n"
        if isinstance(item, str):
            await response.write(item.encode())
            continue
        for entry_id, alert in item:
            if _later(entry_id, after):
                after = entry_id
                if wanted(alert):
                    await response.write(_event(entry_id, alert))
                    wrote = time.monotonic()
        if time.monotonic() - wrote >= KEEPALIVE:
            await response.write(b": idle\n\n")
            wrote = time.monotonic()


async def _catch_up(
    store: Store, response: web.StreamResponse, listener: Listener, after: str, wanted: Any
) -> str:
    """Send what the stream holds after ``after``, with plain reads, until the stream's end;
    the listener takes batches again from before the first read, so nothing falls between."""
    listener.rejoin()
    while True:
        try:
            page = await store.alerts_after(after, PAGE)
        except StoreError:
            await response.write(_OUTAGE.encode())
            await asyncio.sleep(1.0)
            continue
        for entry_id, alert in page:
            after = entry_id
            if wanted(alert):
                await response.write(_event(entry_id, alert))
        if len(page) < PAGE:
            return after


def _later(entry_id: str, than: str) -> bool:
    return _parts(entry_id) > _parts(than)


def _parts(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _too_many(limit: int) -> web.Response:
    body = {"error": f"too many open event streams ({limit}); try again later", "field": None}
    return web.json_response(body, status=503, headers={"Retry-After": str(RETRY_AFTER)})


def _event(stream_id: str, alert: dict[str, Any]) -> bytes:
    return f"id: {stream_id}\nevent: alert\ndata: {json.dumps(alert)}\n\n".encode()


_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # nginx would otherwise hold events back in its buffer
}
