"""When a source is polled next: pure arithmetic on its due time, interval, jitter and outcome.

The schedule is fixed-rate: the next due time is the last one plus the interval, so a source
keeps its phase and is polled once per interval however long claims and polls take (a
fixed-delay schedule would slip by the poll's duration every time). A source that fell behind
(a stopped daemon, a long outage) skips the periods it missed rather than catching up in a
burst. Jitter moves each due time by up to half of it either way (never more than a quarter
of the interval), so polls that once coincided drift apart without the mean rate changing.

Failures back off: after the n-th failure in a row the next poll waits ``interval × 2^(n-1)``
(``× 4^(n-1)`` for a 4xx other than 408 and 429, and for a poll that overran its deadline:
asking again rarely helps), capped at
``BACKOFF_CAP``, with a random three quarters to all of it so that sources failing together
do not retry together. A server's ``Retry-After`` (capped at a day) is honoured exactly, and
never shortened. A 410 Gone parks the source until someone adds it again. The first success
ends the backoff.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

RETRY_AFTER_CAP = 86_400.0  # seconds: a server may not park a source for longer than a day
BACKOFF_CAP = 6 * 3600.0  # seconds: the longest wait between two polls of a failing source
GONE_MS = 10 * 365 * 86_400_000.0  # how far out a 410 Gone parks a source (re-add to resume)


@dataclass(frozen=True, slots=True)
class Timing:
    """A source's interval and jitter, in seconds."""

    interval: float
    jitter: float = 0.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the schedule needs to know of a poll."""

    failures: int = 0  # consecutive failures, this poll included (0: it succeeded)
    failure_class: str | None = None  # from ``classify``
    retry_after: float | None = None  # seconds the server asked for


@dataclass(frozen=True, slots=True)
class Next:
    """When a source is due next, and why."""

    due: float  # ms since the epoch
    reason: str  # "interval", "backoff", "retry-after" or "gone"


def classify(http_status: int | None, error: str) -> str:
    """A failure's class: gone (410), rate-limited (429), client (other 4xx), server (5xx),
    timeout (also 408), network, or content (the body could not be read as the source's
    kind, or the source is not there). The poller names one more itself: overrun (the poll
    passed its deadline before its commit)."""
    if http_status is not None:
        return _BY_STATUS.get(http_status) or ("client" if http_status < 500 else "server")
    if "timed out" in error:
        return "timeout"
    return "network" if _is_network(error) else "content"


_BY_STATUS = {410: "gone", 429: "rate-limited", 408: "timeout"}
_SLOW_TO_MEND = frozenset({"client", "overrun"})  # failures that asking again rarely mends


def plan(
    due_ms: float,
    now_ms: float,
    timing: Timing,
    outcome: Outcome,
    rng: random.Random | None = None,
) -> Next:
    """The next due time after a poll that was due at ``due_ms`` ended with ``outcome``."""
    regular = next_due(due_ms, now_ms, timing, rng=rng)
    if outcome.failure_class == "gone":
        return Next(now_ms + GONE_MS, "gone")
    if outcome.retry_after:
        wait = min(outcome.retry_after, RETRY_AFTER_CAP) * 1000.0
        if now_ms + wait >= regular:
            return Next(now_ms + wait, "retry-after")
    if outcome.failures > 0:
        later = now_ms + backoff(outcome.failures, outcome.failure_class, timing, rng)
        return Next(max(later, regular), "backoff")
    return Next(regular, "interval")


def backoff(
    failures: int, failure_class: str | None, timing: Timing, rng: random.Random | None = None
) -> float:
    """How long to wait after the ``failures``-th failure in a row, in ms."""
    factor = 4.0 if failure_class in _SLOW_TO_MEND else 2.0
    full = min(timing.interval * factor ** min(failures - 1, 40), BACKOFF_CAP) * 1000.0
    return full * (rng or random).uniform(0.75, 1.0)


def next_due(
    due_ms: float, now_ms: float, timing: Timing, rng: random.Random | None = None
) -> float:
    """The next due time, in ms since the epoch, after a poll that was due at ``due_ms``."""
    step = timing.interval * 1000.0
    spread = min(timing.jitter, timing.interval / 2) * 1000.0
    shift = (rng or random).uniform(-spread / 2, spread / 2) if spread else 0.0
    missed = max(0, math.floor((now_ms - due_ms) / step))
    return max(due_ms + (missed + 1) * step + shift, now_ms)


_NETWORK = ("connection refused", "cannot resolve", "cannot connect", "server disconnected",
            "TLS", "connect timed out", "malformed response", "bad HTTP response")  # fmt: skip


def _is_network(error: str) -> bool:
    return any(marker in error for marker in _NETWORK)
