"""Held alerts and digests, the pure side: what a desk's rules ask the store of one alert
(``ask_of``), and a digest as a target receives it, the JSON a webhook gets
(docs/forwarding.md) and the text an Apprise target gets. Both come from the digest stored in
Redis alone, so a digest delivered again after a crash is the same message, with the same id."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from monitor.desk import DeskRules, is_tier_one, keywords_of, story_of
from monitor.render import headline, link
from monitor.store import Ask, Digest

DIGEST_SCHEMA = 1
SHOWN = 30  # alerts a readable digest lists; the webhook's JSON carries every one
REASONS = {"story": "story", "quiet": "quiet_hours", "throttle": "throttle"}


def reason_of(bin_name: str) -> str:
    """Why a bin's alerts were held: "story", "quiet_hours" or "throttle"."""
    return REASONS[bin_name.partition(":")[0]]


def digest_payload(group: str, digest: Digest) -> dict[str, Any]:
    """The webhook's JSON: the held alerts, oldest first, and why they were held."""
    kind, _, name = digest.bin.partition(":")
    alerts = [item["alert"] for item in digest.items]
    stories = [a["story"] for a in alerts if isinstance(a.get("story"), dict)]
    return {
        "schema": DIGEST_SCHEMA,
        "type": "digest",
        "id": digest.id,
        "group": group,
        "reason": reason_of(digest.bin),
        "story": stories[-1] if kind == "story" and stories else None,
        "keyword": name if kind == "throttle" else None,
        "created_at": _iso(digest.created_ms),
        "count": len(alerts),
        "alerts": alerts,
    }


def digest_message(payload: dict[str, Any]) -> tuple[str, str]:
    """A title and a body for people: why, how many, then one line per alert (source,
    headline, link), the first ``SHOWN`` of them."""
    alerts: list[dict[str, Any]] = payload["alerts"]
    lines = [_line(alert) for alert in alerts[:SHOWN]]
    if len(alerts) > SHOWN:
        lines.append(f"… and {len(alerts) - SHOWN} more")
    return _title(payload), "\n".join(lines)


def _title(payload: dict[str, Any]) -> str:
    alerts: list[dict[str, Any]] = payload["alerts"]
    count = f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''}"
    if payload["reason"] == "story":
        outlets = ", ".join(_sources(alerts))
        return f"[story] {headline(alerts[0]) or '(untitled)'}: +{count} from {outlets}"
    if payload["reason"] == "throttle":
        return f"[throttle] {payload['keyword']}: {count} past the limit"
    return f"[quiet hours] {count} held"


def _line(alert: dict[str, Any]) -> str:
    url = link(alert)
    text = f"- [{alert.get('source')}] {headline(alert) or '(untitled)'}"
    return f"{text} {url}" if url else text


def _sources(alerts: list[dict[str, Any]]) -> list[str]:
    """The sources in the digest, most alerts first."""
    return [str(name) for name, _ in Counter(a.get("source") for a in alerts).most_common(5)]


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def ask_of(rules: DeskRules, alert: dict[str, Any], now: float) -> Ask:
    """What the rules say of this alert at ``now``, for the store's hold-or-send script."""
    quiet_end = rules.quiet.end_of(now) if rules.quiet else None
    throttle = rules.throttle
    return Ask(
        now_ms=ms(now),
        story=story_of(alert) if rules.per_story else "",
        story_digest_ms=ms(rules.story_digest),
        tier_one=is_tier_one(alert),
        quiet_end_ms=None if quiet_end is None else ms(quiet_end),
        limit=throttle.limit if throttle else None,
        window=throttle.bucket(now) if throttle else 0,
        window_end_ms=ms(throttle.window_end(now)) if throttle else 0,
        window_ms=ms(throttle.window) if throttle else 0,
        keywords=tuple(keywords_of(alert)) if throttle else (),
    )


def ms(seconds: float) -> int:
    return round(seconds * 1000)
