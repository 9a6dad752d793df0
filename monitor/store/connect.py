"""A Redis client for a URL: one server (redis://, rediss://, unix://) or a master found
through Sentinel (redis+sentinel://, rediss+sentinel://; see ``monitor.redisurl``). Every
client's pool waits for a free connection instead of failing, so a thousand polls starting at
once take turns.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.backoff import ExponentialBackoff

from monitor.redisurl import SentinelURL, parse_sentinel_url, scheme_of

MAX_CONNECTIONS = 64
POOL_TIMEOUT = 60  # seconds a command may wait for a free connection


def _retry() -> Retry:
    """A command that meets a dead connection (Redis restarted, a failover) is sent again on a
    fresh one. That is safe for the alerts: a commit whose first run went through but whose
    reply was lost runs again only to find its lease released, and writes nothing."""
    return Retry(ExponentialBackoff(cap=0.5, base=0.05), 2)


class _WaitingSentinelPool(SentinelConnectionPool, aioredis.BlockingConnectionPool):
    """The master's connections, found through Sentinel, from a pool that waits when full."""


def connect(url: str, max_connections: int = MAX_CONNECTIONS) -> aioredis.Redis:
    """A client for ``url`` that speaks str; its pool waits for a free connection."""
    if scheme_of(url).endswith("+sentinel"):
        return _sentinel_client(parse_sentinel_url(url), max_connections)
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        health_check_interval=30,
        max_connections=max_connections,
        timeout=POOL_TIMEOUT,
        retry=_retry(),
    )
    return aioredis.Redis.from_pool(pool)


def _sentinel_client(spec: SentinelURL, max_connections: int) -> aioredis.Redis:
    sentinel_kwargs = spec.sentinel | {"decode_responses": True}
    sentinels = Sentinel(list(spec.hosts), sentinel_kwargs=sentinel_kwargs)  # type: ignore[no-untyped-call]
    client: aioredis.Redis = sentinels.master_for(
        spec.service,
        connection_pool_class=_WaitingSentinelPool,
        db=spec.db,
        username=spec.username,
        password=spec.password,
        ssl=spec.ssl,
        max_connections=max_connections,
        timeout=POOL_TIMEOUT,
        decode_responses=True,
        health_check_interval=30,
        retry=_retry(),
    )
    return client
