"""The rules a desk sets on a forward section, as values: digests per story, quiet hours in a
time zone, a throttle per keyword. Pure (layer 1): the config builds them, the forwarder asks
them what a moment means (is it quiet, which throttle window is it), and what an alert says
of itself (its story, its tier, its keywords).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_CLOCK = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")
STORY_DIGEST = 1800.0  # seconds between two digests of one story, by default
NO_KEYWORD = "*"  # the throttle's bucket for alerts that name no keyword (not a keyword name)


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily span of local time (it may pass midnight) when alerts are held."""

    start: time
    end: time
    zone: ZoneInfo

    def end_of(self, now: float) -> float | None:
        """When the quiet span ``now`` falls in ends (epoch seconds); None outside it."""
        local = datetime.fromtimestamp(now, self.zone)
        clock = local.time()
        if self.start < self.end:
            inside = self.start <= clock < self.end
        else:
            inside = clock >= self.start or clock < self.end
        if not inside:
            return None
        day = local.date() if clock < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, self.zone).timestamp()

    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.zone.key}"


@dataclass(frozen=True, slots=True)
class Throttle:
    """At most ``limit`` alerts per keyword in each ``window`` (fixed windows from the epoch,
    so an hour's window is a clock hour in UTC)."""

    limit: int
    window: float = 3600.0

    def bucket(self, now: float) -> int:
        return int(now // self.window)

    def window_end(self, now: float) -> float:
        return (self.bucket(now) + 1) * self.window


@dataclass(frozen=True, slots=True)
class DeskRules:
    """What a forward section holds back, and for how long."""

    per_story: bool = False
    story_digest: float = STORY_DIGEST
    quiet: QuietHours | None = None
    throttle: Throttle | None = None

    @property
    def active(self) -> bool:
        """Whether any alert may be held (else the forwarder sends each one at once)."""
        return self.per_story or self.quiet is not None or self.throttle is not None


def parse_zone(value: object) -> ZoneInfo:
    """An IANA time zone such as "Europe/Kyiv" (ValueError with the reason)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError('must be an IANA time zone name like "Europe/Kyiv"')
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f'unknown time zone {value!r} (an IANA name like "Europe/Kyiv" or "UTC")'
        ) from None


def parse_quiet_hours(value: object, zone: ZoneInfo) -> QuietHours:
    """Quiet hours from "HH:MM-HH:MM" (local time in ``zone``; "22:00-07:00" passes midnight)."""
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError('must be "HH:MM-HH:MM", like "22:00-07:00"')
    hour1, minute1, hour2, minute2 = map(int, match.groups())
    start, end = time(hour1, minute1), time(hour2, minute2)
    if start == end:
        raise ValueError("must start and end at different times")
    return QuietHours(start, end, zone)


def story_of(alert: dict[str, Any]) -> str:
    """The alert's story id, or "" when it carries none (stories off, an edit, a removal)."""
    story = alert.get("story")
    found = story.get("id") if isinstance(story, dict) else None
    return found if isinstance(found, str) else ""


def is_tier_one(alert: dict[str, Any]) -> bool:
    """Whether the alert's source is tier 1 (official, wire); a missing tier is 2."""
    tier = alert.get("tier")
    return isinstance(tier, int) and not isinstance(tier, bool) and tier == 1


def keywords_of(alert: dict[str, Any]) -> list[str]:
    """The keywords an alert names, for the throttle; ``NO_KEYWORD`` when it names none."""
    terms = alert.get("terms")
    names = [t.get("name") for t in terms if isinstance(t, dict)] if isinstance(terms, list) else []
    found = sorted({n for n in names if isinstance(n, str) and n})
    return found or [NO_KEYWORD]
