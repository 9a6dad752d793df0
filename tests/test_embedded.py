"""The embedded Redis: private to its owner, and it requires the password it generated."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from monitor import embedded
from monitor.errors import StoreError


async def test_the_embedded_server_is_private_and_needs_its_password(tmp_path: Path) -> None:
    data = tmp_path / "data"
    url, started = await embedded.start(data)
    try:
        assert started
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        assert stat.S_IMODE((data / "redis.secret").stat().st_mode) == 0o600
        assert stat.S_IMODE((data / "redis.conf").stat().st_mode) == 0o600
        socket = embedded.socket_path(data)
        anonymous = aioredis.Redis(unix_socket_path=str(socket))
        with pytest.raises(RedisError, match=r"(?i)auth"):
            await anonymous.ping()
        await anonymous.aclose()
        client = aioredis.Redis.from_url(url)
        assert await client.ping()
        await client.aclose()
        again, started_again = await embedded.start(data)
        assert (again, started_again) == (url, False)  # the running one is found, not doubled
    finally:
        assert await embedded.release(url)


async def test_a_server_without_our_password_is_reported_not_replaced(tmp_path: Path) -> None:
    data = tmp_path / "data"
    url, _ = await embedded.start(data)
    try:
        (data / "redis.secret").write_text("something-else", encoding="ascii")
        with pytest.raises(StoreError) as caught:
            await embedded.start(data)
        assert "refuses newsmon's password" in str(caught.value)
        assert "something-else" not in str(caught.value)
    finally:
        assert await embedded.release(url)


async def test_a_relative_data_dir_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server runs in its data dir: a relative one must not be read relative to itself."""
    monkeypatch.chdir(tmp_path)
    url, started = await embedded.start(Path("data"))
    try:
        assert started and (tmp_path / "data" / "redis.secret").exists()
    finally:
        assert await embedded.release(url)
