"""A poll's documents against their previous states: diff, keyword hits and alerts, as one
pure step.

One function so the pipeline can run it where its cost says: on the event loop for the usual
few KB of text, in the worker pool for big texts (a page with a 10 MB block took seconds to
diff and half a minute to match, and on the loop that stalled every other poll and the
renewal of their leases). In a worker the poller's hit cache is not at hand, so the hits it
already knows for these blocks go along, and the hits found there come back to it. The cache
(``HitCache``) lives here too: keyword hits per block text, kept across polls.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from monitor.models import BlockState, DocState, Document
from monitor.poll.alerts import build_alerts, match_block
from monitor.poll.diff import diff_document
from monitor.query import Matcher, TermHits

Hits = Callable[[BlockState], dict[str, TermHits]]


@dataclass(frozen=True, slots=True)
class Job:
    """What one poll's documents are diffed and matched with."""

    source: str
    documents: tuple[Document, ...]
    prev: Mapping[str, DocState]  # stored states, by document id
    known: Mapping[str, DocState]  # earlier versions from a cheap baseline's kept body
    baseline: bool  # record only: no alert at all
    new_is_baseline: bool  # a document seen for the first time is its own baseline
    detected_at: str

    def size(self) -> int:
        """Characters of block text this job reads: what its cost grows with."""
        current = sum(len(b.text) for d in self.documents for b in d.blocks)
        return current + sum(len(b.text) for s in self.prev.values() for b in s.blocks)

    def block_keys(self) -> set[str]:
        """The hit keys of the stored blocks (the current ones are hashed by the diff)."""
        states = [*self.prev.values(), *self.known.values()]
        return {hit_key(b) for s in states for b in s.blocks}


@dataclass(slots=True)
class Found:
    """What a job found: the states to write, the alerts, and the keyword hits it computed."""

    states: list[DocState] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    hits: dict[str, dict[str, TermHits]] = field(default_factory=dict)  # by ``hit_key``
    limited: set[str] = field(default_factory=set)  # keywords that reached their work limit


def hit_key(block: BlockState) -> str:
    """What a block's hits depend on besides the keywords and the source: its text (by
    hash) and its declared language."""
    return f"{block.hash}:{block.lang or ''}"


def _noting_limits(hits: Hits, found: Found) -> Hits:
    """``hits``, noting in ``found`` the keywords that reached the work limit on a block."""

    def noted(block: BlockState) -> dict[str, TermHits]:
        got = hits(block)
        found.limited.update(q.name for q in getattr(got, "limited", ()))
        return got

    return noted


def detect(job: Job, hits: Hits) -> Found:
    """Diff each document against its previous state and build the alerts of its changes."""
    found = Found()
    hits = _noting_limits(hits, found)
    for doc in job.documents:
        before = job.prev.get(doc.id) or job.known.get(doc.id)
        silent = job.baseline or (job.new_is_baseline and before is None)
        diff = diff_document(before, doc, baseline=silent)
        if diff.changed or (doc.id in job.known and doc.id not in job.prev):
            found.states.append(diff.state)
        found.alerts += build_alerts(job.source, before, diff.changes, hits, job.detected_at)
    written = {s.id for s in found.states}
    found.states += [s for i, s in job.known.items() if i not in written and i not in job.prev]
    return found


def detect_apart(job: Job, matcher: Matcher, seen: Mapping[str, dict[str, TermHits]]) -> Found:
    """``detect`` in a worker process: hits are looked up in ``seen`` (the poller's cache),
    and the ones computed here are returned for it."""
    computed: dict[str, dict[str, TermHits]] = {}

    def hits(block: BlockState) -> dict[str, TermHits]:
        key = hit_key(block)
        known = seen.get(key)
        if known is None:
            known = computed.get(key)
        if known is None:
            known = computed[key] = match_block(matcher, block, job.source)
        return known

    found = detect(job, hits)
    found.hits = computed
    return found


class HitCache:
    """Keyword hits per block text and source, kept across polls: unchanged blocks are
    matched once, and their language detected once (it comes with the hits)."""

    def __init__(self, size: int = 50_000) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[int, str, str], dict[str, TermHits]] = OrderedDict()

    def hits(self, matcher: Matcher, block: BlockState, source: str) -> dict[str, TermHits]:
        key = (id(matcher), source, hit_key(block))
        found = self._entries.get(key)
        if found is None:
            found = match_block(matcher, block, source)
            self._entries[key] = found
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        return found

    def known(
        self, matcher: Matcher, source: str, keys: Iterable[str]
    ) -> dict[str, dict[str, TermHits]]:
        """The hits already found for these blocks of ``source``, by ``hit_key``."""
        entries, mid = self._entries, id(matcher)
        return {k: found for k in keys if (found := entries.get((mid, source, k))) is not None}

    def add(self, matcher: Matcher, source: str, hits: Mapping[str, dict[str, TermHits]]) -> None:
        """Keep hits found elsewhere (in a worker process), by ``hit_key``."""
        for key, found in hits.items():
            self._entries[(id(matcher), source, key)] = found
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
