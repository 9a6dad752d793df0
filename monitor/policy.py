"""When a source is polled next: pure arithmetic on its due time, interval, jitter and outcome.

The schedule is fixed-rate: the next due time is the last one plus the interval, so a source
keeps its phase and is polled once per interval however long claims and polls take (a
fixed-delay schedule would slip by the poll's duration every time). A source that fell behind
(a stopped daemon, a long outage) skips the periods it missed rather than catching up in a
burst. Jitter moves each due time by up to half of it either way (never more than a quarter
of the interval), so polls that once coincided drift apart without the mean rate changing.
A server's Retry-After (capped at a day) pushes the next poll out, never in.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

RETRY_AFTER_CAP = 86_400.0  # seconds: a server may not park a source for longer than a day


@dataclass(frozen=True, slots=True)
class Timing:
    """A source's interval and jitter, in seconds."""

    interval: float
    jitter: float = 0.0


def next_due(
    due_ms: float,
    now_ms: float,
    timing: Timing,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """The next due time, in ms since the epoch, after a poll that was due at ``due_ms``."""
    step = timing.interval * 1000.0
    spread = min(timing.jitter, timing.interval / 2) * 1000.0
    shift = (rng or random).uniform(-spread / 2, spread / 2) if spread else 0.0
    missed = max(0, math.floor((now_ms - due_ms) / step))
    due = due_ms + (missed + 1) * step + shift
    if retry_after:
        due = max(due, now_ms + min(retry_after, RETRY_AFTER_CAP) * 1000.0)
    return max(due, now_ms)
