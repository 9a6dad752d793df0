"""``newsmon run --metrics-port``: Prometheus metrics and health checks over HTTP (aiohttp).

``/metrics`` is the Prometheus text format; ``/healthz`` answers 200 while the scheduler's
clock fires (a wedged event loop answers nothing at all); ``/readyz`` answers 200 once Redis
answers the scheduler and the keywords are loaded, 503 with the reason otherwise. It runs on
the daemon's own event loop and binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from monitor.daemon.metrics import Metrics
from monitor.errors import ConfigError

STALE = 5.0  # seconds without a clock tick (every 0.25 s) before /healthz fails


def app(metrics: Metrics) -> web.Application:
    """The three endpoints, reading one daemon's metrics."""

    async def scrape(_request: web.Request) -> web.Response:
        response = web.Response(body=metrics.text())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def healthz(_request: web.Request) -> web.Response:
        if metrics.tick_at and time.monotonic() - metrics.tick_at < STALE:
            return web.Response(text="ok\n")
        return web.Response(status=503, text="the scheduler is not ticking\n")

    async def readyz(_request: web.Request) -> web.Response:
        problems = [
            why
            for why, bad in (
                ("redis is not answering", not metrics.redis_ok),
                ("keywords not loaded", not metrics.keywords_loaded),
            )
            if bad
        ]
        if problems:
            return web.Response(status=503, text="; ".join(problems) + "\n")
        return web.Response(text="ready\n")

    application = web.Application()
    application.router.add_get("/metrics", scrape)
    application.router.add_get("/healthz", healthz)
    application.router.add_get("/readyz", readyz)
    return application


@asynccontextmanager
async def serving(metrics: Metrics, host: str, port: int) -> AsyncIterator[None]:
    """Serve the endpoints while the block runs."""
    runner = web.AppRunner(app(metrics), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror}", key="--metrics-port"
        ) from None
    try:
        yield
    finally:
        await runner.cleanup()
