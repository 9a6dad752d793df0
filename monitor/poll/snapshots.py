"""Diff successive snapshots of one source with no Redis: what ``newsmon check`` runs, and
what the live-blog corpus is scored with. The same diff and alert code as the daemon's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from monitor.models import BlockState, DocState
from monitor.poll.alerts import build_alerts, match_block
from monitor.poll.diff import diff_document
from monitor.poll.documents import Parsed
from monitor.query import Matcher, TermHits


class OfflineMonitor:
    """Keeps document state in memory between snapshots; the first snapshot is the baseline."""

    def __init__(
        self,
        matcher: Matcher,
        source: str = "check",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.matcher = matcher
        self.source = source
        self.clock = clock
        self.states: dict[str, DocState] = {}
        self.baselined = False

    def hits(self, block: BlockState) -> dict[str, TermHits]:
        return match_block(self.matcher, block, self.source)

    def feed(self, parsed: Parsed) -> list[dict[str, Any]]:
        """Diff one more snapshot; returns the alerts the daemon would publish."""
        now = self.clock().isoformat(timespec="milliseconds").replace("+00:00", "Z")
        alerts: list[dict[str, Any]] = []
        for doc in parsed.documents:
            before = self.states.get(doc.id)
            diff = diff_document(before, doc, baseline=not self.baselined)
            self.states[doc.id] = diff.state
            alerts += build_alerts(self.source, before, diff.changes, self.hits, now)
        self.baselined = True
        return alerts
