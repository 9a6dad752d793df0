"""Whether any source is reachable: one line when every source fails for one network reason.

With the network down, each source's poll logs its own warning and backs off, and the log
then goes quiet for the backoff's length: a person reading it sees a list of failures, not
the one cause. This watches the polls' outcomes and says the cause once, when every source's
last poll failed with the same network error (and once more when a source answers again).
"""

from __future__ import annotations

import structlog

from monitor.poll.outcome import PollResult

log = structlog.get_logger("newsmon.daemon")

_NETWORK = frozenset({"network", "timeout"})  # failures that a down network gives every source


class Reach:
    """The last outcome of each source's poll, and whether they all failed alike."""

    def __init__(self) -> None:
        self._last: dict[str, str | None] = {}  # source → its network error, None if fine
        self._down: str | None = None  # the shared error, once it was said
        self._expected = 2  # sources to hear from before all can be said to fail

    def expect(self, count: int) -> None:
        """How many sources are watched: all of them must have failed alike to be said so."""
        self._expected = max(2, count)

    def note(self, result: PollResult) -> None:
        """Take one poll's outcome; log when all sources become, or stop being, unreachable."""
        if result.status == "lease_lost" or (
            result.status == "failed" and not result.failure_class
        ):
            return  # says nothing of the source's reachability (Redis, another daemon)
        down = result.status == "failed" and result.failure_class in _NETWORK
        self._last[result.source] = (result.error or "") if down else None
        shared = self._shared()
        if shared is not None and shared != self._down:
            log.error("no source reachable", sources=len(self._last), error=shared,
                      hint="every source fails alike: is the network (or DNS) up?")  # fmt: skip
        elif shared is None and self._down is not None:
            log.info("sources reachable again", source=result.source)
        self._down = shared

    def _shared(self) -> str | None:
        """The one error every watched source's last poll failed with (two sources at least)."""
        errors = set(self._last.values())
        if len(self._last) < self._expected or len(errors) != 1:
            return None
        return errors.pop()


def _tells(result: PollResult) -> bool:
    """Whether a poll's outcome says anything of its source's reachability: a lost lease (the
    source went to another daemon) and a Redis failure (no failure class) say nothing."""
    return result.status != "lease_lost" and (
        result.status != "failed" or bool(result.failure_class)
    )
