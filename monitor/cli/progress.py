"""A progress bar (rich) for ``run --once`` on a terminal: sources done, failed, alerts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from monitor.daemon.metrics import Metrics
from monitor.poll.outcome import PollResult


class ProgressMetrics(Metrics):
    """The daemon's metrics, also moving a progress bar as polls end."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress
        self.task = progress.add_task("polling", total=None, failed=0, alerts=0, skipped="")
        self.failed = self.alerts_seen = 0

    def planned(self, count: int) -> None:
        super().planned(count)
        self.progress.update(self.task, total=count)

    def held(self, count: int) -> None:
        self.progress.update(self.task, skipped=f"{count} skipped" if count else "")

    def polled(self, result: PollResult) -> None:
        super().polled(result)
        self.failed += result.status in ("failed", "lease_lost")
        self.alerts_seen += result.alerts
        self.progress.update(self.task, advance=1, failed=self.failed, alerts=self.alerts_seen)


@contextmanager
def bar() -> Iterator[ProgressMetrics]:
    """A bar on stderr while the block runs; log lines written meanwhile print above it."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"),
        TextColumn("[green]{task.fields[alerts]} alerts"),
        TextColumn("[yellow]{task.fields[skipped]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        redirect_stderr=True,
    )
    with progress:
        yield ProgressMetrics(progress)
