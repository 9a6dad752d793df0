"""The web server: the API, the live events and the pages on one aiohttp application, served by
the daemon on its metrics port or by ``newsmon web`` on its own against Redis alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

from monitor.config import Config
from monitor.errors import ConfigError, StoreError
from monitor.store import OUT_OF_MEMORY, Store, redis_trouble
from monitor.web import api, events, limits, pages
from monitor.web.auth import Handler, guard
from monitor.web.state import CONFIG, STORE

STATIC = Path(__file__).with_name("static")
SHUTDOWN = 1.0  # seconds open event streams get to end when the server stops
RETRY_AFTER = 5  # seconds a request Redis could not answer is told to wait
FAILED: web.AppKey[limits.Tally] = web.AppKey("failed", limits.Tally)  # requests Redis failed


def build(
    store: Store,
    config: Config,
    token: str | None,
    *,
    probes: bool = True,
    max_streams: int = events.MAX_STREAMS,
) -> web.Application:
    """The whole site; ``probes`` adds /healthz and /readyz that ask Redis (for ``newsmon
    web``: a daemon adds its own, which also know its scheduler). ``store`` should have a
    pool of its own: the site never waits on the connections a daemon polls with."""
    application = web.Application(middlewares=[guard(token), json_errors], client_max_size=1 << 20)
    application[STORE] = store
    application[CONFIG] = config
    application[events.STREAMS] = set()
    application[events.HUB] = events.Hub(store, max_streams)
    application[FAILED] = limits.Tally("web requests failed")
    application.on_shutdown.append(events.close_streams)
    application.add_routes(api.routes)
    application.add_routes(events.routes)
    application.add_routes(pages.routes)
    application.router.add_static("/static/", STATIC, append_version=True)
    if probes:
        application.router.add_get("/healthz", _redis_probe)
        application.router.add_get("/readyz", _ready)
    return application


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under /api/, every error is JSON, aiohttp's own too (no such route, wrong method, a
    body too large); Redis out of reach is a 503 everywhere, logged once in a while."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        if not request.path.startswith("/api/"):
            raise
        allow = {k: v for k, v in exc.headers.items() if k == "Allow"}
        body = {"error": exc.reason.lower(), "field": None}
        return web.json_response(body, status=exc.status, headers=allow)
    except StoreError as exc:
        return _unavailable(request, exc)


def _unavailable(request: web.Request, exc: StoreError) -> web.Response:
    """A 503 for a request Redis could not answer: no traceback, and one log line per
    interval however many requests fail."""
    reason = redis_trouble(exc)
    request.app[FAILED].add(reason=reason, error=str(exc))
    headers = {"Retry-After": str(RETRY_AFTER)}
    if request.path.startswith("/api/"):
        body = {"error": f"{reason}; try again later", "field": None}
        return web.json_response(body, status=503, headers=headers)
    return pages.unavailable(reason, headers)


async def _redis_probe(request: web.Request) -> web.Response:
    try:
        await request.app[STORE].ping()
    except StoreError as exc:
        return web.Response(status=503, text=redis_trouble(exc) + "\n")
    return web.Response(text="ok\n")


async def _ready(request: web.Request) -> web.Response:
    """Ready while Redis answers and takes writes (a full Redis still answers PING)."""
    try:
        full = await request.app[STORE].out_of_memory()
    except StoreError as exc:
        return web.Response(status=503, text=redis_trouble(exc) + "\n")
    if full:
        return web.Response(status=503, text=OUT_OF_MEMORY + "\n")
    return web.Response(text="ready\n")


@asynccontextmanager
async def serving(
    application: web.Application, host: str, port: int, option: str = "--port"
) -> AsyncIterator[str]:
    """Serve ``application`` while the block runs, within ``limits``; yields its base URL."""
    runner = web.AppRunner(application, access_log=None, handle_signals=False,
                           shutdown_timeout=SHUTDOWN, handler_cancellation=True,
                           keepalive_timeout=limits.IDLE_TIMEOUT)  # fmt: skip
    gate = limits.Gate(limits.connection_cap(), limits.HEADER_TIMEOUT)
    application.middlewares.insert(0, gate.mark)  # outermost: before the token is read
    await runner.setup()
    gate.server = runner.server
    loop = asyncio.get_running_loop()
    try:
        listening = await loop.create_server(gate, host, port, reuse_address=True,
                                             backlog=limits.BACKLOG)  # fmt: skip
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}", key=option) from None
    previous = loop.get_exception_handler()
    loop.set_exception_handler(gate.exception_handler(previous))
    try:
        yield f"http://{_bracketed(host)}:{port}/"
    finally:
        loop.set_exception_handler(previous)
        listening.close()
        await runner.cleanup()


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
