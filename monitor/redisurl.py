"""Redis URLs, read and checked without connecting: the schemes newsmon accepts, Sentinel
URLs, and a form with the passwords masked for logs and messages.

    redis+sentinel://[[user]:password@]host1:26379[,host2:26379…]/service_name[/db]
        [?sentinel_username=…&sentinel_password=…&sentinel_ssl=true]

The user and password are the master's (an ACL user, or just a password); the Sentinels'
own credentials, if they need any, are query options. ``rediss+sentinel`` speaks TLS to the
master.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

SCHEMES = ("redis", "rediss", "unix", "redis+sentinel", "rediss+sentinel")
_SENTINEL_OPTIONS = ("sentinel_username", "sentinel_password", "sentinel_ssl")
_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?\Z")


@dataclass(frozen=True, slots=True)
class SentinelURL:
    """A parsed ``redis+sentinel://`` URL."""

    hosts: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    ssl: bool = False
    sentinel: dict[str, Any] = field(default_factory=dict)  # the Sentinels' own options


def parse_sentinel_url(url: str) -> SentinelURL:
    """Read a ``redis+sentinel://`` URL; ValueError says what is wrong (never the password)."""
    scheme, _, rest = url.partition("://")
    rest, _, query = rest.partition("?")
    userinfo, at, location = rest.rpartition("@")
    hosts_part, _, path = location.partition("/")
    username, password = _userinfo(userinfo) if at else (None, None)
    service, db = _service_and_db(path)
    options = _sentinel_options(query)
    return SentinelURL(
        _hosts(hosts_part), service, db, username, password, scheme == "rediss+sentinel", options
    )


def url_problem(url: str) -> str | None:
    """None if ``url`` names a Redis newsmon can use, else what is wrong with it."""
    scheme = scheme_of(url)
    if scheme not in SCHEMES:
        known = ", ".join(f"{s}://" for s in SCHEMES)
        return f"must start with one of {known} (or be empty for the embedded server)"
    if scheme.endswith("+sentinel"):
        try:
            parse_sentinel_url(url)
        except ValueError as exc:
            return str(exc)
    return None


def redact(url: str) -> str:
    """The URL with any password replaced by ***, fit for logs and messages."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    rest, qmark, query = rest.partition("?")
    if "@" in rest:
        userinfo, _, host = rest.rpartition("@")
        user = userinfo.split(":", 1)[0]
        rest = f"{user + ':' if user else ''}***@{host}"
    query = re.sub(r"((?:^|&)(?:sentinel_)?password=)[^&]*", r"\1***", query)
    return f"{scheme}://{rest}{qmark}{query}"


def scheme_of(url: str) -> str:
    scheme, sep, _ = url.partition("://")
    return scheme.lower() if sep else ""


def _userinfo(userinfo: str) -> tuple[str | None, str | None]:
    user, colon, password = userinfo.partition(":")
    return unquote(user) or None, unquote(password) if colon else None


def _hosts(text: str) -> tuple[tuple[str, int], ...]:
    hosts = []
    for part in text.split(","):
        match = _HOST_PORT.match(part.strip())
        if not match:
            raise ValueError(f"sentinel URL: {part.strip()!r} is not host or host:port")
        port = int(match.group(2) or 26379)
        if not 0 < port < 65536:
            raise ValueError(f"sentinel URL: port {port} is out of range")
        hosts.append((match.group(1).strip("[]"), port))
    return tuple(hosts)


def _service_and_db(path: str) -> tuple[str, int]:
    service, _, db = path.strip("/").partition("/")
    if not service:
        raise ValueError("sentinel URL: name the master's service after the hosts (/mymaster)")
    if db and not db.isdigit():
        raise ValueError(f"sentinel URL: the database must be a number, not {db!r}")
    return unquote(service), int(db or 0)


def _sentinel_options(query: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in _SENTINEL_OPTIONS:
            raise ValueError(f"sentinel URL: unknown option {key!r} (known: sentinel_username, "
                             "sentinel_password, sentinel_ssl)")  # fmt: skip
        name = key.removeprefix("sentinel_")
        options[name] = value.lower() in ("1", "true", "yes") if name == "ssl" else value
    return options
