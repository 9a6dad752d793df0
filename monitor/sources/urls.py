"""Source URLs, checked before anything is stored: only what the fetcher can read.

A source is an ``http://`` or ``https://`` URL with a host, a ``file://`` URL (no host, or
``localhost``) or a plain path. Everything else is refused here, at validation, with the
reason: a scheme the fetcher does not read (``javascript:``, ``data:``, ``ftp://``), a URL
with no scheme (``//host/path``, which would be read as a local path), an http(s) URL with no
host or one that is not a host name (``http://``, ``http://a b/``, ``http://[::1``), control
characters. The config file, ``sources add``, the web API and OPML import all check through
``url_problem``; an OPML file, which comes from elsewhere, may name a local file only when the
import is told it may (``local=False`` otherwise).
"""

from __future__ import annotations

import ipaddress
import os
import re
from urllib.parse import SplitResult, urlsplit

SCHEMES = ("http", "https", "file")
KINDS = "http://, https://, file:// or a path"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)\Z")  # "_" is in real DNS names
_AFTER_BRACKET = re.compile(r"^(:\d*)?\Z")


def url_problem(url: str, *, local: bool = True) -> str | None:
    """Why ``url`` cannot be a source, or None if it can; ``local=False`` refuses files too."""
    if _CONTROL.search(url):
        return "must not contain control characters (a tab, a newline, NUL…)"
    if url != url.strip():
        return "must not start or end with spaces"
    scheme = scheme_of(url)
    if scheme in ("http", "https"):
        return http_url_problem(url)
    if scheme not in ("", "file"):
        return f"must be {KINDS}, not {scheme}:"
    if not local:
        return "a local file (file:// or a path) is read only when allowed (--allow-files)"
    return _file_problem(url) if scheme == "file" else _path_problem(url)


def http_url_problem(url: str) -> str | None:
    """Why ``url`` is not an http(s) URL with a host, or None if it is one."""
    if scheme_of(url) not in ("http", "https"):
        return "must be an http:// or https:// URL"
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not one
    except ValueError as exc:
        return f"not a valid URL: {exc}"
    if not parts.hostname:
        return "needs a host, as in https://HOST/path"
    return _host_problem(parts)


def scheme_of(url: str) -> str:
    """The URL's scheme in lower case; "" for a plain path (a Windows drive letter too)."""
    found = _SCHEME.match(url)
    if found is None or (len(found.group(1)) == 1 and os.name == "nt"):
        return ""
    return found.group(1).lower()


def _host_problem(parts: SplitResult) -> str | None:
    host = parts.hostname or ""
    hostport = parts.netloc.rpartition("@")[2]
    if hostport.startswith("["):  # urlsplit has checked the address between the brackets
        tail = hostport.partition("]")[2]
        return None if _AFTER_BRACKET.match(tail) else f"not a valid URL: {hostport!r}"
    if _is_ip(host) or _is_host_name(host):
        return None
    return f"{host!r} is not a host name"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_host_name(host: str) -> bool:
    try:
        ascii_host = host.encode("idna").decode("ascii")  # "例え.jp" is xn--r8jz45g.jp
    except UnicodeError:
        return False
    labels = ascii_host.removesuffix(".").split(".")
    return len(ascii_host) <= 253 and all(_LABEL.match(label) for label in labels)


def _file_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc.lower() not in ("", "localhost"):
        # The fetcher reads the path on this machine whatever the host says: refuse the host
        # rather than read /etc/x for file://elsewhere/etc/x.
        return f"a file:// URL names no other host than localhost, not {parts.netloc!r}"
    if not parts.path:
        return "a file:// URL needs a path, as in file:///var/feeds/a.xml"
    return None


def _path_problem(url: str) -> str | None:
    if url.startswith(("//", "\\\\")):
        return "has no scheme: write http:// or https:// (or file:// for a file)"
    return None
