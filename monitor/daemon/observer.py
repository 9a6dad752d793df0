"""What a daemon reports as it runs: its polls (the pipeline's ``Observer``), and its clock,
claims, Redis and keywords. This base ignores all of it; ``Metrics`` keeps it for Prometheus.

``run --once`` with no port to serve metrics on and no progress bar reports here, so a pass
over every source neither imports prometheus-client nor updates a series per source; only
``Reach`` keeps each source's last outcome, to say once when none is reachable.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.daemon.reach import Reach
from monitor.errors import StoreError
from monitor.poll.outcome import Observer, PollResult


class DaemonObserver(Observer):
    """A daemon's reports, ignored but for one: whether every source fails alike."""

    def __init__(self) -> None:
        self.reach = Reach()

    def polled(self, result: PollResult) -> None:
        """A poll ended: its outcome counts towards "no source reachable"."""
        self.reach.note(result)

    def planned(self, count: int) -> None:
        """A pass over every source (``run --once``) is about to poll this many."""
        self.reach.expect(count)

    def held(self, count: int) -> None:
        """That pass leaves this many sources alone (backing off, rate-limited or gone)."""

    def ticked(self) -> None:
        """The scheduler's clock fired (whether or not Redis answered)."""

    def claimed(self, lags: Sequence[float]) -> None:
        """A claim went through; ``lags`` are how late each claimed source was."""

    def redis_down(self, error: StoreError) -> None:
        """The scheduler could not reach Redis, or Redis refused it."""

    def loaded(self, count: int) -> None:
        """The keywords were (re)loaded."""
