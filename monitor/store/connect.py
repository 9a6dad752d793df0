"""A Redis client for a URL (interim: redis://, rediss:// and unix:// only)."""

from __future__ import annotations

import redis.asyncio as aioredis

MAX_CONNECTIONS = 64


def connect(url: str, max_connections: int = MAX_CONNECTIONS) -> aioredis.Redis:
    """A client for ``url`` that speaks str; its pool waits for a free connection."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        health_check_interval=30,
        max_connections=max_connections,
        timeout=60,
    )
    return aioredis.Redis.from_pool(pool)


def redact(url: str) -> str:
    """The URL with any password replaced, fit for logs and messages."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    userinfo, _, host = rest.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user + ':' if user else ''}***@{host}"
