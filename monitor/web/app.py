"""The web server: the API, the live events and the pages on one aiohttp application, served by
the daemon on its metrics port or by ``newsmon web`` on its own against Redis alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

from monitor.config import Config
from monitor.errors import ConfigError, StoreError
from monitor.store import Store
from monitor.web import api, events, pages
from monitor.web.auth import Handler, guard
from monitor.web.state import CONFIG, STORE

STATIC = Path(__file__).with_name("static")
SHUTDOWN = 1.0  # seconds open event streams get to end when the server stops


def build(
    store: Store, config: Config, token: str | None, *, probes: bool = True
) -> web.Application:
    """The whole site; ``probes`` adds /healthz and /readyz that ask Redis (for ``newsmon
    web``: a daemon adds its own, which also know its scheduler)."""
    application = web.Application(middlewares=[guard(token), json_errors], client_max_size=1 << 20)
    application[STORE] = store
    application[CONFIG] = config
    application[events.STREAMS] = set()
    application.on_shutdown.append(events.close_streams)
    application.add_routes(api.routes)
    application.add_routes(events.routes)
    application.add_routes(pages.routes)
    application.router.add_static("/static/", STATIC, append_version=True)
    if probes:
        application.router.add_get("/healthz", _redis_probe)
        application.router.add_get("/readyz", _redis_probe)
    return application


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under /api/, every error is JSON, aiohttp's own too (no such route, wrong method, a
    body too large)."""
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


async def _redis_probe(request: web.Request) -> web.Response:
    try:
        await request.app[STORE].ping()
    except StoreError:
        return web.Response(status=503, text="redis is not answering\n")
    return web.Response(text="ok\n")


@asynccontextmanager
async def serving(
    application: web.Application, host: str, port: int, option: str = "--port"
) -> AsyncIterator[str]:
    """Serve ``application`` while the block runs; yields its base URL."""
    runner = web.AppRunner(application, access_log=None, handle_signals=False,
                           shutdown_timeout=SHUTDOWN)  # fmt: skip
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}", key=option) from None
    try:
        yield f"http://{_bracketed(host)}:{port}/"
    finally:
        await runner.cleanup()


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
