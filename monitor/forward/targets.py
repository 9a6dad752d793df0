"""Where forwarded alerts go: a webhook (the alert's JSON, POSTed) or any Apprise URL (Slack,
Telegram, Discord, e-mail, ntfy, Matrix, …) with a readable message."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol

import aiohttp
from yarl import URL

from monitor.errors import ConfigError, NewsmonError
from monitor.forward.digest import digest_message
from monitor.redisurl import redact
from monitor.render import headline, link, opening


class DeliveryError(NewsmonError):
    """A target did not take an alert (it is retried)."""


class Target(Protocol):
    """Somewhere alerts are delivered."""

    name: str  # stable across restarts: deliveries are recorded under it

    async def deliver(self, alert: dict[str, Any]) -> None:
        """Deliver one alert (or a digest: ``"type": "digest"``), or raise DeliveryError."""


class Webhook:
    """An HTTP POST of the alert as JSON; any 2xx is success.

    Redirects are followed only when they keep the method and the body (307, 308), up to
    ``MAX_HOPS`` and never from https to http. A 301, 302 or 303 would turn the POST into a
    bodiless GET whose 2xx says nothing about the alert, so it is a failed delivery (retried,
    the alert pending) naming the status and the Location, for whoever fixes the URL.
    """

    def __init__(
        self,
        url: str,
        session: aiohttp.ClientSession,
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url, self.session, self.headers = url, session, dict(headers or {})
        self.name = f"webhook {redact(url)}"
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def deliver(self, alert: dict[str, Any]) -> None:
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": str(alert["id"]),  # a receiver can drop a repeat by it
            **self.headers,
        }
        body = json.dumps(alert, ensure_ascii=False).encode()
        url = URL(self.url)
        for _ in range(MAX_HOPS + 1):
            status, reason, location = await self._post(url, body, headers)
            if 200 <= status < 300:
                return
            url = self._redirected(url, status, reason, location)
        raise DeliveryError(f"{self.name}: more than {MAX_HOPS} redirects")

    async def _post(
        self, url: URL, body: bytes, headers: dict[str, str]
    ) -> tuple[int, str, str | None]:
        """One POST, not following redirects: the status, its reason and any Location."""
        try:
            async with self.session.post(
                url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False
            ) as response:
                return response.status, response.reason or "", response.headers.get("Location")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"{self.name}: {exc or type(exc).__name__}") from None

    def _redirected(self, url: URL, status: int, reason: str, location: str | None) -> URL:
        """Where a 307/308 sends the POST next; DeliveryError for any other answer."""
        answer = f"{self.name}: HTTP {status} {reason}".rstrip()
        if not 300 <= status < 400:
            raise DeliveryError(answer)
        moved = f"{answer}, Location: {redact(location or '(none)')}"
        if status not in KEEP_BODY:
            raise DeliveryError(f"{moved} (not followed: only 307 and 308 keep a POST's body)")
        target = _join(url, location)
        if target is None or target.scheme not in ("http", "https"):
            raise DeliveryError(f"{moved} (not followed: not an http(s) URL)")
        if url.scheme == "https" and target.scheme == "http":
            raise DeliveryError(f"{moved} (not followed: from https to http)")
        return target


MAX_HOPS = 5
KEEP_BODY = (307, 308)  # RFC 9110 15.4.8-9: the method and the body stay the same


def _join(base: URL, location: str | None) -> URL | None:
    """The Location resolved against the URL it came from, or None if there is none."""
    if not location:
        return None
    try:
        return base.join(URL(location))
    except ValueError:
        return None


class AppriseTarget:
    """Any Apprise notification URL: the alert as a title and a readable body."""

    def __init__(self, url: str) -> None:
        import apprise  # only a forwarder with --notify pays for its import

        self.url = url
        self.name = f"notify {redact(url)}"
        self._apprise = apprise.Apprise()
        if not self._apprise.add(url):
            raise ConfigError(f"not a notification URL Apprise knows: {redact(url)}", key="notify")

    async def deliver(self, alert: dict[str, Any]) -> None:
        digest = alert.get("type") == "digest"
        title, body = digest_message(alert) if digest else message(alert)
        ok = await asyncio.to_thread(self._apprise.notify, body=body, title=title)
        if not ok:
            raise DeliveryError(f"{self.name}: the notification was not sent")


def message(alert: dict[str, Any]) -> tuple[str, str]:
    """A title and a body for people: the headline, the snippets (matched words in
    ``**bold**``, which chat apps render), the link."""
    title = f"[{alert.get('source')}] {headline(alert) or '(untitled)'}"
    lines = [_KINDS.get(str(alert.get("type")), str(alert.get("type")))]
    for term in alert.get("terms", []):
        lines += [f"{term.get('name')}: {s}" for s in term.get("snippets", [])[:2]]
    body, url = opening(alert), link(alert)
    lines += [body] if len(lines) == 1 and body else []
    lines += [url] if url else []
    return title, "\n".join(lines)


_KINDS = {
    "item.new": "New item",
    "block.new": "New update",
    "block.edited": "Update edited",
    "block.removed": "Update removed",
}
