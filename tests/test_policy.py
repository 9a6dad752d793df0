"""The failure policy's arithmetic: classes, exponential backoff with jitter, Retry-After, 410."""

from __future__ import annotations

import random

import pytest

from monitor.poll.policy import BACKOFF_CAP, GONE_MS, Outcome, Timing, backoff, classify, plan

NOW = 1_800_000_000_000
MINUTE = Timing(interval=60)


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (410, "HTTP 410 Gone", "gone"),
        (429, "HTTP 429", "rate-limited"),
        (408, "HTTP 408", "timeout"),
        (404, "HTTP 404 Not Found", "client"),
        (503, "HTTP 503", "server"),
        (None, "timed out after 20s", "timeout"),
        (None, "connection refused", "network"),
        (None, "cannot resolve host", "network"),
        (None, "https://x/: not an RSS or Atom feed (looks like HTML)", "content"),
    ],
)
def test_failures_are_classed(status: int | None, error: str, expected: str) -> None:
    assert classify(status, error) == expected


def test_backoff_doubles_from_the_interval_and_is_capped() -> None:
    rng = random.Random(1)
    waits = [backoff(n, "server", MINUTE, rng) / 1000 for n in range(1, 12)]
    for n, wait in enumerate(waits, start=1):
        full = min(60 * 2 ** (n - 1), BACKOFF_CAP)
        assert 0.75 * full <= wait <= full
    assert max(waits) <= BACKOFF_CAP


def test_a_client_error_backs_off_faster() -> None:
    rng = random.Random(2)
    assert backoff(3, "client", MINUTE, rng) >= 0.75 * 60 * 16 * 1000
    assert backoff(3, "overrun", MINUTE, rng) >= 0.75 * 60 * 16 * 1000  # a poll past its deadline
    assert backoff(3, "server", MINUTE, rng) <= 60 * 4 * 1000


def test_the_plan_says_why() -> None:
    assert plan(NOW, NOW, MINUTE, Outcome()).reason == "interval"
    failing = plan(NOW, NOW, MINUTE, Outcome(4, "server"), random.Random(3))
    assert failing.reason == "backoff" and failing.due >= NOW + 0.75 * 480_000
    limited = plan(NOW, NOW, MINUTE, Outcome(1, "rate-limited", retry_after=3600))
    assert (limited.reason, limited.due) == ("retry-after", NOW + 3_600_000)
    assert plan(NOW, NOW, MINUTE, Outcome(1, "gone")).due == NOW + GONE_MS


def test_a_short_retry_after_never_brings_the_next_poll_forward() -> None:
    assert plan(NOW, NOW, MINUTE, Outcome(1, "rate-limited", retry_after=5)).due >= NOW + 45_000
