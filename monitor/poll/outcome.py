"""What a poll comes to: its result, the one log line it makes, and what it reports as it goes.

Apart from the poller so that the daemon's observers, metrics and the progress bar read a
poll's outcome without the pipeline's machinery in view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog

from monitor.poll.policy import Next

if TYPE_CHECKING:  # the stories' index is imported only where stories are assigned
    from monitor.stories import StoryRef

log = structlog.get_logger("newsmon.poll")


def utcnow() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, to the millisecond."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class PollResult:
    """The outcome of one poll, as logged."""

    source: str
    status: str  # changed, ok, baseline, not_modified, unchanged, failed
    http_status: int | None = None
    items: int = 0
    skipped: int = 0
    alerts: int = 0
    duration_ms: float = 0.0
    error: str | None = None
    retry_after: float | None = None
    failures: int = 0  # consecutive failures, this poll included
    failure_class: str | None = None  # policy.classify of a failure
    unread: int = 0  # feed items past the cap of items looked at (``max_items``)
    deferred: int = 0  # new or changed feed items past ``max_alerts``: for the next poll
    duplicates: int = 0  # feed items sharing an identity with an earlier one (one document)
    limited: tuple[str, ...] = ()  # keywords that reached their work limit on some block
    postponed: Next | None = None  # the next poll, when the failure policy moved it


class Observer:
    """What polls report as they go (the daemon's metrics); this base ignores all of it."""

    def fetched(self, source: str, seconds: float, size: int) -> None:
        """A fetch ended: its duration, and the bytes of the body (0 for none)."""

    def parsed(self, seconds: float) -> None:
        """A body was parsed or scanned (in the worker pool or inline)."""

    def committed(self, seconds: float, alerts: Sequence[Mapping[str, Any]]) -> None:
        """A poll's commit went through, publishing these alerts."""

    def polled(self, result: PollResult) -> None:
        """A poll ended, as logged."""

    def storied(self, refs: Sequence[StoryRef]) -> None:
        """Reports were written to the story log with these stories (each once, however
        often its poll is retried)."""

    def store_failed(self) -> None:
        """Redis refused a command or could not be reached."""

    def planned(self, count: int) -> None:
        """A pass over every source (``run --once``) is about to poll this many."""


def _iso_ms(ms: float) -> str:
    return iso(datetime.fromtimestamp(ms / 1000, UTC))


def log_poll(result: PollResult) -> None:
    """The one canonical log line of a poll."""
    level = log.warning if result.status == "failed" else log.info
    extra: dict[str, Any] = {"error": result.error} if result.error else {}
    if result.failures:
        extra |= {"failures": result.failures, "failure_class": result.failure_class}
    capped = {"unread": result.unread, "deferred": result.deferred}
    extra |= {k: v for k, v in (capped | {"duplicates": result.duplicates}).items() if v}
    if result.postponed is not None:  # said here, so it follows from the outcome it names
        extra |= {
            "next_poll": _iso_ms(result.postponed.due),
            "next_reason": result.postponed.reason,
        }
    if result.limited:  # those keywords count as not matching there (docs/queries.md)
        extra["keywords_limited"] = list(result.limited)
    level(
        "poll",
        source=result.source,
        status=result.status,
        http_status=result.http_status,
        items=result.items,
        skipped=result.skipped,
        alerts=result.alerts,
        duration_ms=result.duration_ms,
        **extra,
    )
