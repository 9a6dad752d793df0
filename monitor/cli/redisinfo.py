"""``newsmon redis url [--cli]``: how to reach the Redis newsmon uses, for consumers and people.

The embedded server listens on a unix socket with a generated password, so no guess such as
``redis://127.0.0.1:6379`` reaches it (on a machine with another Redis, that guess reaches
somebody else's server). This command prints the one URL, or a redis-cli command line.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from urllib.parse import parse_qs, unquote, urlsplit

from monitor.cli.common import config_of
from monitor.errors import ConfigError
from monitor.redisurl import parse_sentinel_url, scheme_of
from monitor.store import embedded


async def url(args: argparse.Namespace) -> int:
    """Print the URL (or with ``--cli`` the redis-cli line) of the configured or embedded Redis."""
    config = config_of(args, missing_ok=True)
    target = config.redis.url or embedded.address(config.monitor.data_dir)
    print(cli_line(target) if args.cli else target)
    if not config.redis.url and not await embedded.running(config.monitor.data_dir):
        print(
            "newsmon: the embedded Redis is not running now: it runs while any newsmon command "
            "does, so start the daemon (newsmon run) before connecting",
            file=sys.stderr,
        )
    return 0


def cli_line(target: str) -> str:
    """A shell command line that opens redis-cli on ``target`` (the password in REDISCLI_AUTH,
    never on the command line, where ``ps`` shows it)."""
    scheme = scheme_of(target)
    if scheme == "unix":
        return _unix_line(target)
    if scheme in ("redis", "rediss"):
        return _tcp_line(target)
    if scheme.endswith("+sentinel"):
        return _sentinel_line(target)
    raise ConfigError(f"redis-cli cannot open a {scheme}:// URL", key="redis.url")


def _unix_line(target: str) -> str:
    parts = urlsplit(target)
    query = parse_qs(parts.query)
    flags = ["-s", parts.path]
    if "db" in query:
        flags += ["-n", query["db"][0]]
    return _with_auth(query.get("password", [None])[0], flags)


def _tcp_line(target: str) -> str:
    parts = urlsplit(target)
    flags = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 6379)]
    if parts.path.strip("/"):
        flags += ["-n", parts.path.strip("/")]
    if parts.username:
        flags += ["--user", unquote(parts.username)]
    if parts.scheme == "rediss":
        flags.append("--tls")
    return _with_auth(unquote(parts.password) if parts.password else None, flags)


def _sentinel_line(target: str) -> str:
    """redis-cli does not follow Sentinel: the line asks a Sentinel where the master is."""
    spec = parse_sentinel_url(target)
    host, port = spec.hosts[0]
    flags = ["-h", host, "-p", str(port), "SENTINEL", "get-master-addr-by-name", spec.service]
    return _with_auth(spec.sentinel.get("password"), flags)


def _with_auth(password: str | None, flags: list[str]) -> str:
    line = shlex.join(["redis-cli", *flags])
    return f"REDISCLI_AUTH={shlex.quote(password)} {line}" if password else line
