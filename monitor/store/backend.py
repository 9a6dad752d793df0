"""The Redis a command or a daemon works on: the configured one, or the embedded server.

Its own module (not the daemon's) so that ``newsmon keywords list`` or ``status`` opens a
store without importing the polling machinery.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress

from monitor.config import Config
from monitor.store import Store, connect, embedded
from monitor.store.connect import MAX_CONNECTIONS

POLL_CONNECTIONS = MAX_CONNECTIONS  # a daemon's polls, claims and commits
WEB_CONNECTIONS = 16  # a daemon's web pages and API: a pool apart from the one it polls with


@asynccontextmanager
async def open_store(config: Config) -> AsyncIterator[Store]:
    """A Store on the configured Redis, or on the embedded server when none is configured."""
    async with open_stores(config, [POLL_CONNECTIONS]) as (store,):
        yield store


@asynccontextmanager
async def open_stores(config: Config, pools: Sequence[int]) -> AsyncIterator[list[Store]]:
    """One Store per pool size, all on the same Redis: a daemon polls on the first and
    serves its web pages on another, so no number of browsers can take the connections its
    polls wait for. Only the first is checked before it is handed out."""
    async with _redis_url(config) as url:
        clients = [connect(url, size) for size in pools]
        try:
            stores = [Store(c, config.redis.prefix, config.redis.stream_maxlen) for c in clients]
            await stores[0].ping()
            yield stores
        finally:
            for client in clients:
                with suppress(Exception):
                    await client.aclose()


@asynccontextmanager
async def _redis_url(config: Config) -> AsyncIterator[str]:
    if config.redis.url:
        yield config.redis.url
        return
    async with embedded.embedded_redis(config.monitor.data_dir) as url:
        yield url
