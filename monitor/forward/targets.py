"""Where forwarded alerts go: a webhook (the alert's JSON, POSTed) or any Apprise URL (Slack,
Telegram, Discord, e-mail, ntfy, Matrix, …) with a readable message."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol

import aiohttp

from monitor.errors import ConfigError, NewsmonError
from monitor.redisurl import redact
from monitor.render import headline, link, opening


class DeliveryError(NewsmonError):
    """A target did not take an alert (it is retried)."""


class Target(Protocol):
    """Somewhere alerts are delivered."""

    name: str  # stable across restarts: deliveries are recorded under it

    async def deliver(self, alert: dict[str, Any]) -> None:
        """Deliver one alert, or raise DeliveryError."""


class Webhook:
    """An HTTP POST of the alert as JSON; any 2xx is success."""

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
        try:
            async with self.session.post(
                self.url, data=body, headers=headers, timeout=self.timeout
            ) as response:
                if not 200 <= response.status < 300:
                    raise DeliveryError(f"{self.name}: HTTP {response.status} {response.reason}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"{self.name}: {exc or type(exc).__name__}") from None


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
        title, body = message(alert)
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
