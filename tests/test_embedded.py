"""The embedded Redis: private to its owner, and it requires the password it generated."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from monitor.cli.redisinfo import cli_line
from monitor.errors import StoreError
from monitor.store import embedded


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


async def test_redis_url_prints_how_to_reach_the_embedded_server(
    tmp_path: Path, newsmon_cmd: list[str]
) -> None:
    """The URL and the redis-cli line both reach the server; while none runs, it says so."""
    env = {**os.environ, "NEWSMON_DATA_DIR": str(tmp_path / "data")}
    env.pop("NEWSMON_REDIS_URL", None)
    config = ["--config", str(tmp_path / "none.toml")]
    down = subprocess.run([*newsmon_cmd, "redis", "url", *config], capture_output=True,
                          text=True, env=env, timeout=60)  # fmt: skip
    assert down.returncode == 0 and "not running" in down.stderr
    url, _ = await embedded.start(tmp_path / "data")
    try:
        assert down.stdout.strip() == url
        client = aioredis.Redis.from_url(down.stdout.strip())
        assert await client.ping()
        await client.aclose()
        line = subprocess.run([*newsmon_cmd, "redis", "url", "--cli", *config],
                              capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
        assert line.stderr == "" and "password" not in line.stdout.split("redis-cli")[1]
        if shutil.which("redis-cli"):
            ping = subprocess.run(["bash", "-c", line.stdout.strip() + " ping"],
                                  capture_output=True, text=True, timeout=60)  # fmt: skip
            assert ping.stdout.strip() == "PONG", ping
    finally:
        await embedded.release(url)


@pytest.mark.parametrize(
    ("url", "line"),
    [
        ("redis://127.0.0.1:6390/3", "redis-cli -h 127.0.0.1 -p 6390 -n 3"),
        ("rediss://app:p%40ss@h:7000/0",
         "REDISCLI_AUTH=p@ss redis-cli -h h -p 7000 -n 0 --user app --tls"),
        ("unix:///d/redis.sock?password=x y", "REDISCLI_AUTH='x y' redis-cli -s /d/redis.sock"),
        ("redis+sentinel://s1:26380,s2/m?sentinel_password=x",
         "REDISCLI_AUTH=x redis-cli -h s1 -p 26380 SENTINEL get-master-addr-by-name m"),
    ],
)  # fmt: skip
def test_redis_cli_lines_keep_the_password_off_the_command_line(url: str, line: str) -> None:
    assert cli_line(url) == line
