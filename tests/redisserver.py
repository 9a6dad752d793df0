"""A real redis-server process for tests: on a free port of 127.0.0.1, stopped by PID.

The session's server keeps nothing on disk; a test that restarts Redis under running daemons
starts one of its own with an AOF fsynced on every write, so a restart loses nothing.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import redis

from monitor.store.embedded import redis_server_binary
from tests.httpserver import free_port


class RedisServer:
    """One redis-server on 127.0.0.1; ``restart`` keeps its port and its data directory."""

    def __init__(self, workdir: Path, *, durable: bool = False, extra: Sequence[str] = ()) -> None:
        self.workdir = workdir
        self.durable = durable
        self.extra = list(extra)
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
            *self.extra,
        ]  # fmt: skip
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_ready()

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

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


class SentinelServer:
    """A real Sentinel (redis-server in sentinel mode) watching one master as ``mymaster``."""

    def __init__(self, workdir: Path, master_port: int) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.master_port = master_port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        conf = self.workdir / "sentinel.conf"
        conf.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.workdir}\n"
            f"sentinel monitor mymaster 127.0.0.1 {self.master_port} 1\n"
            "sentinel down-after-milliseconds mymaster 1000\n"
            "sentinel failover-timeout mymaster 3000\n",
            encoding="utf-8",
        )
        command = [redis_server_binary(), str(conf), "--sentinel"]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True)
        deadline = time.monotonic() + 15
        try:
            while not self._knows_master(client):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("the test sentinel did not start")
                time.sleep(0.05)
        finally:
            client.close()

    def master_port_now(self) -> int:
        client = redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True)
        try:
            _host, port = client.sentinel_get_master_addr_by_name("mymaster")
            return int(port)
        finally:
            client.close()

    def wait_for_replica(self, port: int, timeout: float = 60) -> None:
        """Until the Sentinel has found the replica on ``port`` and sees it up."""
        client = redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True)
        deadline = time.monotonic() + timeout
        try:
            while not any(
                int(r["port"]) == port
                and "down" not in r["flags"]
                and r.get("master-link-status") == "ok"
                for r in client.execute_command("SENTINEL", "REPLICAS", "mymaster")
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError("the sentinel never found the replica")
                time.sleep(0.1)
        finally:
            client.close()

    def failover(self, timeout: float = 60) -> None:
        """Ask for a failover until the Sentinel accepts (it may not yet trust the replica)."""
        client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    client.execute_command("SENTINEL", "FAILOVER", "mymaster")
                    return
                except redis.ResponseError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=15)
            self.proc = None

    @staticmethod
    def _knows_master(client: redis.Redis) -> bool:
        try:
            return bool(client.sentinel_get_master_addr_by_name("mymaster"))
        except redis.RedisError:
            return False
