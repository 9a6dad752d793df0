"""Shared fixtures: a real redis-server for the session, a key prefix per test, HTTP servers.

The session starts its own redis-server on a free port (or uses ``REDIS_URL`` when set) and
never flushes anything: every test works under its own key prefix and deletes only those keys.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis

from monitor.store import Store, connect
from tests.httpserver import http_server  # noqa: F401  (a fixture)
from tests.receiver import receiver  # noqa: F401  (a fixture)
from tests.redisserver import RedisServer
from tests.webserver import site  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seed" / "liveblog-article.txt"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis for the session: $REDIS_URL, or a redis-server started on a free port."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture
def redis_of_its_own(tmp_path: Path) -> Iterator[RedisServer]:
    """A durable redis-server this test may stop and restart."""
    (tmp_path / "redis").mkdir()
    with RedisServer(tmp_path / "redis", durable=True) as server:
        yield server


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards (nothing else is)."""
    name = f"t{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{name}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
async def store(redis_url: str, prefix: str) -> AsyncIterator[Store]:
    """A Store on the session's Redis under this test's prefix."""
    client = connect(redis_url)
    yield Store(client, prefix, stream_maxlen=1000)
    await client.aclose()


@pytest.fixture
def seed_text() -> str:
    """The seed live blog, or a skip where ../shared is not beside the checkout."""
    if not SEED.exists():
        pytest.skip(f"seed article not found at {SEED}")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def newsmon_cmd() -> list[str]:
    """How to run the newsmon command as a real process."""
    exe = shutil.which("newsmon", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "monitor"]
