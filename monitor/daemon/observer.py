"""What a daemon reports as it runs: its polls (the pipeline's ``Observer``), and its clock,
claims, Redis and keywords. This base ignores all of it; ``Metrics`` keeps it for Prometheus.

``run --once`` with no port to serve metrics on and no progress bar reports here, so a pass
over every source neither imports prometheus-client nor updates a series per source.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.errors import StoreError
from monitor.pipeline import Observer


class DaemonObserver(Observer):
    """A daemon's reports, ignored."""

    def ticked(self) -> None:
        """The scheduler's clock fired (whether or not Redis answered)."""

    def claimed(self, lags: Sequence[float]) -> None:
        """A claim went through; ``lags`` are how late each claimed source was."""

    def redis_down(self, error: StoreError) -> None:
        """The scheduler could not reach Redis, or Redis refused it."""

    def loaded(self, count: int) -> None:
        """The keywords were (re)loaded."""
