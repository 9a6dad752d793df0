"""The live-blog corpus through the diff: each snapshot, polled after the previous one, gives
exactly the alerts its case.json expects (no more, no fewer). bench/score_extraction.py prints
the same comparison as precision and recall."""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import Any

import pytest

from monitor.poll.documents import read_source
from monitor.poll.snapshots import OfflineMonitor
from monitor.query import Matcher
from tests.test_extract_corpus import Snapshot, load_snapshots

Key = tuple[str, str | None, str]


def cases() -> list[list[Snapshot]]:
    """The corpus, one list of snapshots per case, in sequence order."""
    return [list(group) for _case, group in groupby(load_snapshots(), key=lambda s: s.case)]


def expected_and_found(case: list[Snapshot]) -> list[tuple[Counter[Key], Counter[Key]]]:
    """Per polled snapshot after the first: the expected alerts and the alerts produced."""
    monitor = OfflineMonitor(Matcher([]), source=case[0].case)
    out = []
    for i, snapshot in enumerate(case):
        body = snapshot.path.read_bytes()
        alerts = monitor.feed(read_source("page", body, snapshot.url, snapshot.content_type))
        if i == 0:
            assert alerts == [], "the first snapshot is a baseline"
            continue
        expected = Counter(_key(a, a.get("id")) for a in snapshot.spec.get("alerts", []))
        found = Counter(_found_key(a, expected) for a in alerts)
        out.append((expected, found))
    return out


def _key(alert: dict[str, Any], block_id: str | None) -> Key:
    return (alert["type"], block_id, alert["headline"])


def _found_key(alert: dict[str, Any], expected: Counter[Key]) -> Key:
    block = alert["block"] or {}
    native = block.get("id")
    key = _key({"type": alert["type"], "headline": block.get("headline", "")}, native)
    # Blocks with no native id get a synthetic "x-…" id; expectations name them with null.
    if native and native.startswith("x-") and key not in expected:
        return _key({"type": alert["type"], "headline": block.get("headline", "")}, None)
    return key


@pytest.mark.parametrize("case", cases(), ids=lambda c: c[0].case)
def test_case_gives_exactly_the_expected_alerts(case: list[Snapshot]) -> None:
    for n, (expected, found) in enumerate(expected_and_found(case), start=2):
        assert found == expected, (
            f"snapshot {n}: missing {expected - found}, extra {found - expected}"
        )


def score() -> tuple[int, int, int]:
    """Expected, produced and matched alerts over the whole corpus."""
    totals = [0, 0, 0]
    for case in cases():
        for expected, found in expected_and_found(case):
            totals[0] += sum(expected.values())
            totals[1] += sum(found.values())
            totals[2] += sum((expected & found).values())
    return totals[0], totals[1], totals[2]
