"""``newsmon run --metrics-port``: Prometheus metrics and health checks over HTTP (aiohttp).

``/metrics`` is the Prometheus text format; ``/healthz`` answers 200 while the scheduler's
clock fires (a wedged event loop answers nothing at all); ``/readyz`` answers 200 once Redis
answers the scheduler and the keywords are loaded, 503 with the reason otherwise. They share
the daemon's one HTTP server with the web pages (``monitor.web``), on its own event loop.
"""

from __future__ import annotations

import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from monitor.daemon.metrics import Metrics

STALE = 5.0  # seconds without a clock tick (every 0.25 s) before /healthz fails


def app(metrics: Metrics, base: web.Application | None = None) -> web.Application:
    """The three endpoints, reading one daemon's metrics (added to ``base``, the web pages,
    when given)."""

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
                (metrics.redis_trouble, not metrics.redis_ok),
                ("keywords not loaded", not metrics.keywords_loaded),
            )
            if bad
        ]
        if problems:
            return web.Response(status=503, text="; ".join(problems) + "\n")
        return web.Response(text="ready\n")

    application = base if base is not None else web.Application()
    application.router.add_get("/metrics", scrape)
    application.router.add_get("/healthz", healthz)
    application.router.add_get("/readyz", readyz)
    return application
