"""Redis past one server: Sentinel (with a failover), ACL users, and URLs that are refused or
masked. Real servers only: a master, a replica and a Sentinel started on free ports."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from monitor.config import config_from_mapping
from monitor.errors import ConfigError, StoreError
from monitor.redisurl import parse_sentinel_url, redact, url_problem
from monitor.store import Commit, Store, connect
from tests.feeds import rss
from tests.httpserver import LocalHTTPServer, free_port
from tests.redisserver import RedisServer, SentinelServer
from tests.test_e2e import Newsmon, source, write_config


@pytest.fixture
def sentinel_pair(tmp_path: Path) -> Iterator[tuple[RedisServer, RedisServer, SentinelServer]]:
    """A master, a replica of it, and a Sentinel watching the master."""
    master = RedisServer(tmp_path / "m")
    replica = RedisServer(tmp_path / "r", extra=["--replicaof", "127.0.0.1", str(master.port)])
    sentinel = SentinelServer(tmp_path / "s", master.port)
    for directory in ("m", "r", "s"):
        (tmp_path / directory).mkdir()
    master.start()
    replica.start()
    sentinel.start()
    try:
        yield master, replica, sentinel
    finally:
        sentinel.stop()
        replica.stop()
        master.stop()


async def test_a_store_works_through_sentinel_and_follows_a_failover(
    sentinel_pair: tuple[RedisServer, RedisServer, SentinelServer],
) -> None:
    master, replica, sentinel = sentinel_pair
    client = connect(f"redis+sentinel://127.0.0.1:{sentinel.port}/mymaster/0")
    store = Store(client, "sn")
    try:
        await store.commit(Commit("a", fields={"k": "1"}))  # the commit script and a pipeline
        assert await client.hget("sn:src:a", "k") == "1"
        await wait_replicated(replica, "sn:src:a")
        sentinel.wait_for_replica(replica.port)
        sentinel.failover()
        deadline = time.monotonic() + 60
        while sentinel.master_port_now() != replica.port or role(master) != "slave":
            assert time.monotonic() < deadline, "the failover did not happen"
            await asyncio.sleep(0.1)
        await write_after_failover(store)
        direct = redis.Redis(host="127.0.0.1", port=replica.port, decode_responses=True)
        assert direct.hget("sn:src:a", "k") == "2"  # written to the new master
        direct.close()
    finally:
        await client.aclose()


async def test_a_script_that_meets_a_replica_drops_the_pooled_connections(
    sentinel_pair: tuple[RedisServer, RedisServer, SentinelServer],
) -> None:
    """Inside a script READONLY is a plain script error, which redis-py's Sentinel connection
    does not take for a demoted master: the store drops the pool itself, so the next call
    asks Sentinel again instead of writing to a replica until the connection dies."""
    _master, replica, _sentinel = sentinel_pair
    client = connect(replica.url)
    store = Store(client, "ro")
    try:
        before = await client.client_id()
        with pytest.raises(StoreError, match="READONLY"):
            await store.commit(Commit("a", fields={"k": "1"}))
        assert await client.client_id() != before  # a fresh connection
    finally:
        await client.aclose()


def role(server: RedisServer) -> str:
    direct = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
    try:
        return str(direct.execute_command("ROLE")[0])
    finally:
        direct.close()


async def wait_replicated(replica: RedisServer, key: str) -> None:
    direct = redis.Redis(host="127.0.0.1", port=replica.port)
    deadline = time.monotonic() + 15
    try:
        while not direct.exists(key):
            assert time.monotonic() < deadline, "the replica never caught up"
            await asyncio.sleep(0.05)
    finally:
        direct.close()


async def write_after_failover(store: Store) -> None:
    """The first commands may meet the old master's closed or read-only connections."""
    deadline = time.monotonic() + 60
    while True:
        try:
            await store.commit(Commit("a", fields={"k": "2"}))
            return
        except StoreError:
            assert time.monotonic() < deadline, "no write reached the new master"
            await asyncio.sleep(0.2)


async def test_an_acl_user_connects_and_a_wrong_password_is_a_clear_error(
    tmp_path: Path,
) -> None:
    with RedisServer(tmp_path) as server:
        admin = redis.Redis(host="127.0.0.1", port=server.port)
        admin.execute_command("ACL", "SETUSER", "newsmon", "on", ">s3cret", "~*", "&*", "+@all")
        admin.close()
        good = connect(f"redis://newsmon:s3cret@127.0.0.1:{server.port}/0")
        await Store(good, "acl").ping()
        await good.aclose()
        bad = connect(f"redis://newsmon:wrong@127.0.0.1:{server.port}/0")
        with pytest.raises(StoreError) as caught:
            await Store(bad, "acl").ping()
        await bad.aclose()
        assert "wrong" not in str(caught.value) and "s3cret" not in str(caught.value)


def test_sentinel_urls_are_read_with_their_options() -> None:
    spec = parse_sentinel_url(
        "rediss+sentinel://app:p%40ss@s1:26379,[::1]:26380,s3/mymaster/2?sentinel_password=x"
    )
    assert spec.hosts == (("s1", 26379), ("::1", 26380), ("s3", 26379))
    assert (spec.service, spec.db, spec.username, spec.password, spec.ssl) == (
        "mymaster", 2, "app", "p@ss", True,
    )  # fmt: skip
    assert spec.sentinel == {"password": "x"}


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://localhost:6379", "must start with one of redis://"),
        ("redis+sentinel://s1:26379", "name the master's service"),
        ("redis+sentinel://s1:99999/m", "out of range"),
        ("redis+sentinel://s1 s2/m", "is not host or host:port"),
        ("redis+sentinel://s1/m/x", "must be a number"),
        ("redis+sentinel://s1/m?password=hunter2", "unknown option 'password'"),
    ],
)
def test_unusable_urls_are_refused_saying_why(url: str, problem: str) -> None:
    found = url_problem(url)
    assert found is not None and problem in found and "hunter2" not in found


def test_the_config_refuses_a_bad_redis_url_naming_the_key() -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_mapping({"redis": {"url": "redis+sentinel://s1:26379"}})
    assert str(caught.value).startswith("redis.url: sentinel URL: name the master's service")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:hunter2@h:6379/0", "redis://***@h:6379/0"),
        ("rediss://app:hunter2@h:6380/0", "rediss://app:***@h:6380/0"),
        (
            "redis+sentinel://app:hunter2@s1,s2/m?sentinel_password=hunter2",
            "redis+sentinel://app:***@s1,s2/m?sentinel_password=***",
        ),
        ("unix:///run/redis.sock", "unix:///run/redis.sock"),
    ],
)
def test_passwords_are_masked(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_run_once_through_sentinel(
    sentinel_pair: tuple[RedisServer, RedisServer, SentinelServer],
    tmp_path: Path,
    http_server: LocalHTTPServer,
    newsmon_cmd: list[str],
) -> None:
    _master, _replica, sentinel = sentinel_pair
    http_server.put("/feed.xml", rss([("a", "First", "Body.")]))
    config = write_config(tmp_path, "viasentinel", source("world", http_server.url("/feed.xml")))
    url = f"redis+sentinel://127.0.0.1:{sentinel.port}/mymaster/0"
    result = Newsmon(newsmon_cmd, config, {"NEWSMON_REDIS_URL": url}).run("run", "--once")
    assert result.returncode == 0, result.stderr
    assert '"status": "baseline"' in result.stderr
    assert f"redis+sentinel://127.0.0.1:{sentinel.port}/mymaster/0" in result.stderr


def tls_files(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for 127.0.0.1 signed by it (openssl)."""
    names = ("ca.key", "ca.pem", "s.key", "s.csr", "s.pem")
    ca_key, ca, key, csr, cert = (directory / n for n in names)
    ext = directory / "ext.cnf"
    ext.write_text("subjectAltName = IP:127.0.0.1\n", encoding="utf-8")
    steps = [
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca,
         "-days", "2", "-subj", "/CN=newsmon test CA"],
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
         "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", cert, "-days", "2", "-extfile", ext],
    ]  # fmt: skip
    for step in steps:
        subprocess.run(["openssl", *map(str, step)], check=True, capture_output=True)
    return ca, cert, key


async def test_rediss_with_a_verified_certificate(tmp_path: Path) -> None:
    server_binary = shutil.which("redis-server")
    if server_binary is None or shutil.which("openssl") is None:
        pytest.skip("TLS needs a redis-server built with TLS on PATH and openssl")
    ca, cert, key = tls_files(tmp_path)
    port = free_port()
    command = [server_binary, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
               "--tls-cert-file", str(cert), "--tls-key-file", str(key),
               "--tls-ca-cert-file", str(ca), "--tls-auth-clients", "no", "--save", "",
               "--appendonly", "no", "--dir", str(tmp_path)]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = connect(f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={ca}&ssl_cert_reqs=required")
    try:
        store = Store(client, "tls")
        deadline = time.monotonic() + 15
        while True:
            try:
                await store.ping()
                break
            except StoreError:
                assert time.monotonic() < deadline and proc.poll() is None, "no TLS server"
                await asyncio.sleep(0.1)
        assert await store.commit(Commit("a", fields={"k": "v"}))
        assert await client.hget("tls:src:a", "k") == "v"
    finally:
        await client.aclose()
        proc.terminate()
        proc.wait(timeout=15)
