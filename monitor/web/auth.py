"""Who may use the web server: anyone on loopback, or whoever shows the token; and writes only
from the page's own origin, so another site open in the same browser cannot make them."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware
from multidict import MultiDict

from monitor.errors import ConfigError

COOKIE = "newsmon_token"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
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


def guard(token: str | None) -> Middleware:
    """A middleware: the token on every request (when set), same origin on every write."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in ("/healthz", "/readyz", "/metrics"):
            return await handler(request)  # probes and scrapers carry no token
        if token and not _shows(request, token):
            return _refused(401, _NEEDS_TOKEN)
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


def _refused(status: int, message: str) -> web.Response:
    return web.json_response({"error": message, "field": None}, status=status)


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
