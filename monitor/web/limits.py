"""What one client may hold of the HTTP server, and how the server says it refused.

The port is reachable before any token is checked, so these hold for everyone: at most
``MAX_CONNECTIONS`` open connections, fewer under a low file limit (one more is closed at
once), ``HEADER_TIMEOUT`` seconds
for a new connection to send a whole request header, ``IDLE_TIMEOUT`` seconds between two
requests on a kept-alive one (aiohttp's ``keepalive_timeout``). Refusals are logged once per
``NOTE_EVERY`` seconds with a count, never once each: a thousand half-open connections, or
``accept()`` out of file descriptors, would otherwise write a traceback apiece, many times a
second, while the daemon's polls go on beside them.
"""

from __future__ import annotations

import asyncio
import resource
import time
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp.web_protocol import RequestHandler

HEADER_TIMEOUT = 10.0  # seconds a new connection has to send its first request's header
IDLE_TIMEOUT = 30.0  # seconds a kept-alive connection may wait for its next request
MAX_CONNECTIONS = 512  # open connections at once, event streams included
BACKLOG = 128  # connections the kernel holds before they are accepted
NOTE_EVERY = 10.0  # seconds between two log lines about refusals of one kind
_OUT_OF_RESOURCE = "socket.accept() out of system resource"  # asyncio's words

log = structlog.get_logger("newsmon")


def connection_cap(limit: int = MAX_CONNECTIONS) -> int:
    """The cap, within a quarter of this process's file descriptors: the rest stay for the
    polls, Redis and the logs (under ``ulimit -n 1024``, 256 connections)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return limit if soft == resource.RLIM_INFINITY else max(16, min(limit, soft // 4))


class Tally:
    """Occurrences of one event, logged at most once per interval with how many there were:
    the first at once (an attack shows as it starts), the rest at the interval's end."""

    def __init__(self, event: str, every: float = NOTE_EVERY) -> None:
        self.event, self.every = event, every
        self.count = 0
        self._fields: dict[str, Any] = {}
        self._logged = -every
        self._flush: asyncio.TimerHandle | None = None

    def add(self, **fields: Any) -> None:
        self.count += 1
        self._fields = fields
        if self._flush is not None:
            return
        wait = self._logged + self.every - time.monotonic()
        if wait <= 0:
            self._write()
        else:
            self._flush = asyncio.get_running_loop().call_later(wait, self._write)

    def _write(self) -> None:
        self._flush = None
        log.warning(self.event, count=self.count, seconds=self.every, **self._fields)
        self.count, self._logged = 0, time.monotonic()


class Gate:
    """The protocol factory in front of aiohttp's: a connection past the cap is closed as soon
    as it is accepted, and one that sends no whole request header in time is closed then."""

    def __init__(self, max_connections: int, header_timeout: float) -> None:
        self.server: web.Server | None = None  # aiohttp's, once its runner is set up
        self.cap, self.header_timeout = max_connections, header_timeout
        # the connections younger than header_timeout that sent a request (the timer of
        # each takes it out: aiohttp's handlers take no weak reference)
        self.spoke: set[RequestHandler] = set()
        self.refused = Tally("connections refused")
        self.silent = Tally("connections closed")
        self.accept_failed = Tally("connections not accepted")

    def __call__(self) -> asyncio.BaseProtocol:
        assert self.server is not None, "the runner is set up before anything is accepted"
        if len(self.server.connections) >= self.cap:
            self.refused.add(reason=f"{self.cap} connections open already")
            return _Refusal()
        handler = self.server()
        asyncio.get_running_loop().call_later(self.header_timeout, self._expire, handler)
        return handler

    @web.middleware
    async def mark(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """A middleware: this connection sent a whole request header."""
        self.spoke.add(request.protocol)
        return await handler(request)

    def _expire(self, handler: RequestHandler) -> None:
        if handler in self.spoke:
            self.spoke.discard(handler)
        elif handler.transport is not None:
            self.silent.add(reason=f"no request header within {self.header_timeout:g} s")
            handler.force_close()

    def exception_handler(self, previous: Any) -> Any:
        """A loop exception handler that tallies ``accept()`` failures (out of file
        descriptors: asyncio retries a second later) and passes anything else on."""

        def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            if context.get("message") == _OUT_OF_RESOURCE:
                self.accept_failed.add(error=str(context.get("exception")))
            elif previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)

        return handle


class _Refusal(asyncio.Protocol):
    """A connection past the cap: closed at once, so it holds its descriptor no longer."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()
