"""Who may use the web server: anyone on loopback, or whoever shows the token; and writes only
from the page's own origin, so another site open in the same browser cannot make them.

Wrong tokens are limited per client address (``Attempts``): ``BURST`` at once, then one every
``REFILL`` seconds; past that the address is answered 429 with Retry-After before its token
is even compared, so a right guess is no faster to find than a wrong one."""

from __future__ import annotations

import hmac
import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware
from multidict import MultiDict

from monitor.errors import ConfigError
from monitor.web.limits import Tally

COOKIE = "newsmon_token"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
BURST = 10  # wrong tokens an address may send at once
REFILL = 2.0  # seconds for one more
ADDRESSES = 10_000  # addresses remembered at most (the longest unheard of go first)
_NEEDS_TOKEN = (
    "a valid token is needed: in a browser open /?token=TOKEN once (a cookie keeps it), "
    "from a program send Authorization: Bearer TOKEN"
)


def check_binding(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without a token."""
    if token or _loopback(host):
        return
    raise ConfigError(
        f"listening on {host} needs a token (--token or NEWSMON_WEB_TOKEN): "
        "anyone who reaches the port could change the keywords and sources",
        key="--host",
    )


class Attempts:
    """Wrong tokens per client address: a bucket of ``burst`` that refills one every
    ``refill`` seconds. Memory is bounded: an address whose bucket is full again is
    forgotten, and past ``size`` addresses the one unheard of longest goes."""

    def __init__(self, burst: int = BURST, refill: float = REFILL, size: int = ADDRESSES) -> None:
        self.burst, self.refill, self.size = burst, refill, size
        self._left: OrderedDict[str, tuple[float, float]] = OrderedDict()  # (tries, when)
        self.limited = Tally("wrong tokens limited")

    def wait(self, address: str) -> float:
        """Seconds before ``address`` may try a token again (0: now)."""
        left = self._tries(address)
        return 0.0 if left >= 1 else (1 - left) * self.refill

    def failed(self, address: str) -> None:
        self._left[address] = (self._tries(address) - 1, time.monotonic())
        self._left.move_to_end(address)
        while len(self._left) > self.size:
            self._left.popitem(last=False)

    def _tries(self, address: str) -> float:
        tries, when = self._left.get(address, (self.burst, 0.0))
        left = min(self.burst, tries + (time.monotonic() - when) / self.refill)
        if left >= self.burst:
            self._left.pop(address, None)
        return left


def guard(token: str | None, attempts: Attempts | None = None) -> Middleware:
    """A middleware: the token on every request (when set), same origin on every write."""
    attempts = attempts or Attempts()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in ("/healthz", "/readyz", "/metrics"):
            return await handler(request)  # probes and scrapers carry no token
        if token:
            refused = _token_refused(request, token, attempts)
            if refused is not None:
                return refused
        if not token and not _loopback(request.url.host or ""):
            # Without a token the server listens on loopback only; a page of another site
            # whose name was made to point at 127.0.0.1 (DNS rebinding) says its own Host.
            return _refused(
                403, f"this server answers to loopback names only, not {request.host!r}"
            )
        if request.method not in _SAFE and not _same_origin(request):
            return _refused(403, "cross-origin writes are refused")
        if token and request.query.get("token") == token and _is_page(request):
            return _signed_in(request, token)
        return await handler(request)

    return middleware


def _token_refused(request: web.Request, token: str, attempts: Attempts) -> web.Response | None:
    """429 for an address out of tries, 401 (one try fewer) for a wrong or missing token."""
    address = request.remote or ""
    wait = attempts.wait(address)
    if wait:
        attempts.limited.add(address=address)
        retry = {"Retry-After": str(math.ceil(wait))}
        return _refused(429, "too many wrong tokens from this address; try again later", retry)
    if not _shows(request, token):
        attempts.failed(address)
        return _refused(401, _NEEDS_TOKEN)
    return None


def _is_page(request: web.Request) -> bool:
    return request.method == "GET" and not request.path.startswith(("/api/", "/static/"))


def _signed_in(request: web.Request, token: str) -> web.Response:
    """Keep the token in a cookie and send the browser to the same address without it, so it
    stays out of the address bar, the history and any Referer."""
    query = MultiDict(request.query)
    query.popall("token")
    response = web.Response(
        status=303, headers={"Location": str(request.rel_url.with_query(query))}
    )
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict")
    return response


def _shows(request: web.Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    offered = [
        header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else "",
        request.cookies.get(COOKIE, ""),
        request.query.get("token", ""),
    ]
    return any(hmac.compare_digest(o.encode(), token.encode()) for o in offered if o)


def _same_origin(request: web.Request) -> bool:
    # A browser says where a request comes from (Sec-Fetch-Site, Origin); a program that is
    # not a browser says neither and cannot be made to send one by another site.
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    # The host, not the scheme: behind a TLS proxy the page is https and this server http.
    return origin is None or urlsplit(origin).netloc == request.host


def _refused(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message, "field": None}, status=status, headers=headers)


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
