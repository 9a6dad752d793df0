"""A daemon's mirror of the story log: the index fed from it, and where in the log it stands.

Pure: the Redis side is ``monitor.store.storylog``, the assigner that feeds both is
``monitor.poll.stories``. Besides the index, the mirror remembers which reports it holds (by
the time of their log entry, so they are forgotten as the log is trimmed): a report already
in the log (a commit that failed after its story was assigned, retried) gets its recorded
story again and is not appended twice, which the index's own ``decide`` cannot tell apart
from a report deciding the same way anew.
"""

from __future__ import annotations

from collections import OrderedDict

from monitor.stories.index import Entry, StoryIndex, StoryRef
from monitor.stories.model import StorySettings

NO_ENTRY = "0-0"  # the id before any log entry


class Mirror:
    """A ``StoryIndex`` holding the log's entries in the log's order, up to ``last``."""

    def __init__(self, settings: StorySettings, keep: float) -> None:
        self.index = StoryIndex(settings)
        self.keep = keep  # seconds of log kept in Redis: the window and a margin
        self.last = NO_ENTRY  # the id of the last log entry applied
        self._reports: OrderedDict[str, float] = OrderedDict()  # report id → its entry's time

    def known(self, report: str) -> bool:
        """Whether the report has an entry here (its story was assigned already)."""
        return report in self._reports

    def apply(self, entry: Entry, at: float, log_id: str | None = None) -> StoryRef:
        """Apply one entry, written to the log at ``at`` (epoch seconds) with id ``log_id``
        (None: not yet written; ``advance`` records the id once it is)."""
        ref = self.index.apply(entry)
        self._reports.setdefault(entry.report, at)
        if log_id is not None:
            self.last = log_id
        return ref

    def advance(self, log_id: str) -> None:
        """The entries applied since were written, the last of them as ``log_id``."""
        self.last = log_id

    def expire(self, now: float) -> None:
        """Forget the stories past the window, and the reports the log no longer holds."""
        self.index.expire(now)
        cutoff = now - self.keep
        while self._reports:
            oldest = next(iter(self._reports.items()))
            if oldest[1] >= cutoff:
                break
            self._reports.popitem(last=False)

    def __len__(self) -> int:
        return len(self._reports)


def entry_time(log_id: str) -> float:
    """When a log entry was written (epoch seconds), from its stream id."""
    return int(log_id.partition("-")[0]) / 1000
