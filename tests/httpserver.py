"""A real local HTTP server for tests: aiohttp.web on 127.0.0.1, in a background thread.

The thread owns its own event loop, so the server answers both async tests (which run on
pytest-asyncio's loop) and tests that run newsmon as a subprocess. Conditional requests are
answered like nginx's defaults: a strong ETag of the body, a Last-Modified, and a 304 only when
every conditional header sent matches (``If-Modified-Since`` must equal ``Last-Modified``
exactly, so a client that sends its own clock time gets 200 forever).
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the server answered."""

    method: str
    path: str
    headers: dict[str, str]
    status: int
    at: float = 0.0  # time.monotonic() when it was answered

    def header(self, name: str) -> str | None:
        """A request header by case-insensitive name."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


@dataclass(slots=True)
class Resource:
    """What the server answers for one path."""

    body: bytes
    content_type: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    redirect: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    compress: bool = False
    stall_after: int | None = None  # send this many body bytes, then hang until the client quits
    chunked: bool = False  # stream the body with chunked encoding, no Content-Length
    trickle: float = 0.0  # seconds between single body bytes (a server that drips)


class LocalHTTPServer:
    """Serves a mutable mapping path -> Resource on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}
        self.requests: list[RequestRecord] = []
        self.port = 0
        self.in_flight = 0
        self.peak_in_flight = 0  # most requests being handled at once, to check client limits
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._last_modified_at: dict[str, float] = {}

    def start(self) -> None:
        """Bind a free port and serve in a daemon thread; returns once it accepts connections."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        loop = asyncio.new_event_loop()
        self._loop = loop
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(loop, sock, ready), name="LocalHTTPServer", daemon=True
        )
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("local HTTP server did not start")

    def stop(self) -> None:
        """Close the server and its loop, and join the thread."""
        loop, runner = self._loop, self._runner
        if loop is None or self._thread is None:
            return
        if runner is not None:
            asyncio.run_coroutine_threadsafe(_shutdown(runner), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
        loop.close()
        self._loop = None
        self._thread = None

    def url(self, path: str) -> str:
        """The absolute http:// URL of a path on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def put(
        self,
        path: str,
        body: bytes | str,
        content_type: str = "application/rss+xml",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        compress: bool = False,
        validators: bool = True,
        stall_after: int | None = None,
        chunked: bool = False,
        trickle: float = 0.0,
    ) -> None:
        """Serve ``body`` at ``path``; a changed body gets a new ETag and a later Last-Modified."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        resource = Resource(
            data,
            content_type,
            status,
            dict(headers or {}),
            delay,
            compress=compress,
            stall_after=stall_after,
            chunked=chunked,
            trickle=trickle,
        )
        if validators:
            resource.etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
            resource.last_modified = self._next_last_modified(path, data)
        with self._lock:
            self.resources[path] = resource

    def redirect(self, path: str, target: str, status: int = 302) -> None:
        """Answer ``path`` with a redirect to ``target`` (a path on this server or a URL)."""
        with self._lock:
            self.resources[path] = Resource(b"", "text/plain", status, redirect=target)

    def remove(self, path: str) -> None:
        """Stop serving ``path`` (it answers 404 from now on)."""
        with self._lock:
            self.resources.pop(path, None)

    def requests_for(self, path: str) -> list[RequestRecord]:
        """The requests made so far for one path, oldest first."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _next_last_modified(self, path: str, data: bytes) -> str:
        # Whole seconds, like HTTP dates; a changed body must never keep the old date.
        old = self.resources.get(path)
        previous = self._last_modified_at.get(path)
        if old is not None and old.body == data and old.last_modified and previous:
            return old.last_modified
        stamp = float(int(time.time()))
        if previous is not None and stamp <= previous:
            stamp = previous + 1
        self._last_modified_at[path] = stamp
        return email.utils.formatdate(stamp, usegmt=True)

    def _serve(
        self, loop: asyncio.AbstractEventLoop, sock: socket.socket, ready: threading.Event
    ) -> None:
        asyncio.set_event_loop(loop)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.SockSite(runner, sock).start())
        self._runner = runner
        ready.set()
        loop.run_forever()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            resource = self.resources.get(request.path_qs) or self.resources.get(request.path)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            response = await self._respond(request, resource)
        finally:
            with self._lock:
                self.in_flight -= 1
        record = RequestRecord(
            request.method,
            request.path_qs,
            dict(request.headers),
            response.status,
            time.monotonic(),
        )
        with self._lock:
            self.requests.append(record)
        return response

    async def _respond(self, request: web.Request, resource: Resource | None) -> web.StreamResponse:
        if resource is None:
            return web.Response(status=404, text="not found")
        if resource.delay:
            await asyncio.sleep(resource.delay)
        if resource.redirect is not None:
            return web.Response(status=resource.status, headers={"Location": resource.redirect})
        headers = dict(resource.headers)
        if resource.etag:
            headers["ETag"] = resource.etag
        if resource.last_modified:
            headers["Last-Modified"] = resource.last_modified
        if resource.status == 200 and _not_modified(request, resource):
            return web.Response(status=304, headers=headers)
        if resource.stall_after is not None or resource.chunked or resource.trickle:
            return await _streaming(request, resource, headers)
        body = resource.body
        if resource.compress and "gzip" in request.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        headers["Content-Type"] = resource.content_type
        return web.Response(status=resource.status, body=body, headers=headers)


async def _shutdown(runner: web.AppRunner) -> None:
    """Close the server, then cancel handlers still sleeping (delays, stalled bodies)."""
    await runner.cleanup()
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def _not_modified(request: web.Request, resource: Resource) -> bool:
    """nginx's default rule: every conditional header present must match, and one must be."""
    inm = request.headers.get("If-None-Match")
    ims = request.headers.get("If-Modified-Since")
    if inm is None and ims is None:
        return False
    if inm is not None:
        tags = {tag.strip() for tag in inm.split(",")}
        if resource.etag is None or not ({resource.etag, "*"} & tags):
            return False
    return ims is None or ims == resource.last_modified


async def _streaming(
    request: web.Request, resource: Resource, headers: dict[str, str]
) -> web.StreamResponse:
    """Send the body in 16 KB writes, or a byte at a time when trickling (chunked if asked);
    hang after ``stall_after`` bytes."""
    response = web.StreamResponse(status=resource.status, headers=headers)
    response.content_type = resource.content_type
    if resource.chunked:
        response.enable_chunked_encoding()
    else:
        response.content_length = len(resource.body)
    await response.prepare(request)
    limit = len(resource.body) if resource.stall_after is None else resource.stall_after
    step = 1 if resource.trickle else 16384
    for start in range(0, limit, step):
        await response.write(resource.body[start : min(start + step, limit)])
        await asyncio.sleep(resource.trickle)
    if resource.stall_after is not None:
        await asyncio.sleep(3600)
    await response.write_eof()
    return response


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of the call)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    """A started LocalHTTPServer, stopped after the test."""
    server = LocalHTTPServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
