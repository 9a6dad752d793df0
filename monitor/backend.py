"""The Redis a command or a daemon works on: the configured one, or the embedded server.

Its own module (not the daemon's) so that ``newsmon keywords list`` or ``status`` opens a
store without importing the polling machinery.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from monitor import embedded
from monitor.config import Config
from monitor.store import Store, connect


@asynccontextmanager
async def open_store(config: Config) -> AsyncIterator[Store]:
    """A Store on the configured Redis, or on the embedded server when none is configured."""
    if config.redis.url:
        async with _store_at(config, config.redis.url) as store:
            yield store
        return
    async with (
        embedded.embedded_redis(config.monitor.data_dir) as url,
        _store_at(config, url) as store,
    ):
        yield store


@asynccontextmanager
async def _store_at(config: Config, url: str) -> AsyncIterator[Store]:
    client = connect(url)
    try:
        store = Store(client, config.redis.prefix, config.redis.stream_maxlen)
        await store.ping()
        yield store
    finally:
        with suppress(Exception):
            await client.aclose()
