"""A poll's commit cut into pieces of bounded size: one script never holds Redis for long.

Redis runs one script at a time and nothing else meanwhile, so a commit of 100,000 alerts
(and their PUBLISHes) held every other client for 2 s. Each piece is one atomic script that
checks the poll's lease; a document's state always goes in the same piece as its alerts. Only
the last piece says the poll happened: the source's fields (validators, item hashes, body
hash), the kept body, the poll count and next due time, and the lease's release. So a daemon
that dies, or loses its lease, between pieces leaves some documents committed with their
alerts and the source as it was: the next poll fetches and diffs the body again, finds those
documents unchanged (no alert twice) and the others changed as before (the same ids: an
alert's id depends only on the change and the document state it was found against).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from monitor.models import DocState
from monitor.store.records import Commit

PIECE = 200  # documents plus alerts per script: about 5 ms of Redis for feed items

_Group = tuple[list[DocState], list[Mapping[str, Any]]]


def pieces(commit: Commit, size: int = PIECE) -> list[Commit]:
    """The commit as pieces in order, the last one ``final``; a document is never split."""
    if len(commit.states) + len(commit.alerts) <= size:
        return [commit]
    groups, loose = _by_document(commit)
    batches: list[_Group] = [([], [])]
    for states, alerts in groups:
        held = batches[-1]
        if held[0] and len(held[0]) + len(held[1]) + len(states) + len(alerts) > size:
            batches.append(held := ([], []))
        held[0].extend(states)
        held[1].extend(alerts)
    *early, (states, alerts) = batches
    first = [Commit(commit.source, s, a, lease=commit.lease, final=False) for s, a in early]
    return [*first, replace(commit, states=states, alerts=[*alerts, *loose])]


def _by_document(commit: Commit) -> tuple[list[_Group], list[Mapping[str, Any]]]:
    """Each document state with its alerts, in order; and alerts of no state here."""
    groups: dict[str, _Group] = {}
    for state in commit.states:
        groups.setdefault(state.id, ([], []))[0].append(state)
    loose: list[Mapping[str, Any]] = []
    for alert in commit.alerts:
        group = groups.get(str(alert["item"]["id"]))
        (group[1] if group else loose).append(alert)
    return list(groups.values()), loose
