"""A real redis-server process for tests: on a free port of 127.0.0.1, stopped by PID.

The session's server keeps nothing on disk; a test that restarts Redis under running daemons
starts one of its own with an AOF fsynced on every write, so a restart loses nothing.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis

from monitor.embedded import redis_server_binary
from tests.httpserver import free_port


class RedisServer:
    """One redis-server on 127.0.0.1; ``restart`` keeps its port and its data directory."""

    def __init__(self, workdir: Path, *, durable: bool = False) -> None:
        self.workdir = workdir
        self.durable = durable
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.durable else []
        command = [
            redis_server_binary(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            *persistence,
            "--dir", str(self.workdir),
        ]  # fmt: skip
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_ready()

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def _wait_ready(self) -> None:
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 15
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    assert self.proc is not None
                    if time.monotonic() > deadline or self.proc.poll() is not None:
                        self.proc.kill()
                        raise RuntimeError("the test redis-server did not start") from None
                    time.sleep(0.05)
        finally:
            client.close()
