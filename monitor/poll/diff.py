"""Diff a document against its last committed state: new, edited and removed blocks.

Pure: the previous state comes in as a value and the new state goes out as one, so a commit
that fails leaves nothing half-done and the next poll finds the same changes with the same ids.

Block identity, best first (never position): the publisher's id; the same normalised text; the
same machine-readable time (to the minute) and headline; then content similarity with a greedy
one-to-one assignment (>= 0.85 alike, or >= 0.5 with the same headline or time). A block that is
missing has usually scrolled off a windowed page, so it is reported removed only when the page
says so (a tombstone) or when it is newer than the oldest block still shown and has been missing
for two polls in a row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from monitor.models import Block, BlockState, Change, DocState, Document
from monitor.text import fingerprint, normalize, similarity, text_hash, word_diff, words

MAX_BLOCKS = 1000  # blocks remembered per document; the oldest scrolled-off ones go first
REMOVE_AFTER = 2  # polls a block must be missing (inside the window) before it is removed
SAME = 0.85
MAYBE_SAME = 0.5


@dataclass(frozen=True, slots=True)
class DocDiff:
    """The outcome of diffing one document: its new state and what changed."""

    state: DocState
    changes: tuple[Change, ...]
    changed: bool  # whether ``state`` differs from the previous state (and must be written)


def block_state(block: Block, block_id: str) -> BlockState:
    """The remembered form of a freshly extracted block."""
    text = normalize(block.text)
    headline = normalize(block.headline)
    return BlockState(
        id=block_id,
        headline=headline,
        text=text,
        published=block.published,
        hash=text_hash(headline + "\n" + text),
        fingerprint=fingerprint(headline + " " + text, normalized=True),
        byline=block.byline,
        credits=block.credits,
        url=block.url,
        extractor=block.extractor,
        lang=block.lang,
    )


def synthetic_id(block: BlockState) -> str:
    """A deterministic id for a block the page gives none: from its time, headline and text."""
    lead = " ".join(words(block.text.casefold())[:60])
    basis = f"{block.published or ''}\n{block.headline.casefold()}\n{lead}"
    return "x-" + text_hash(basis)[:16]


def diff_document(prev: DocState | None, doc: Document, *, baseline: bool = False) -> DocDiff:
    """Compare ``doc`` with its committed state ``prev`` (None: never seen)."""
    # Each block is normalised and hashed once; its id is "" until it is known.
    drafts = [block_state(b, b.id or "") for b in doc.blocks if not b.tombstone]
    tombstoned = {b.id for b in doc.blocks if b.tombstone and b.id}
    if prev is None:
        taken: set[str] = set()
        fresh = [s for s in (_fresh(d, taken) for d in drafts) if s is not None]
        state = DocState(doc.id, doc.url, doc.title, tuple(fresh))
        changes = () if baseline else (Change("item.new", state, None),)
        return DocDiff(state, changes, True)
    matched, pending = _match(prev.blocks, drafts)
    return _classify(prev, doc, drafts, matched, pending, tombstoned)


def _fresh(draft: BlockState, taken: set[str]) -> BlockState | None:
    """A new block with its final id, or None for a duplicate on the page (the first wins)."""
    state = draft if draft.id else replace(draft, id=synthetic_id(draft))
    if state.id in taken:
        return None
    taken.add(state.id)
    return state


def _match(
    old: Sequence[BlockState], drafts: Sequence[BlockState]
) -> tuple[dict[int, BlockState], list[int]]:
    """Pair each current block (by index) with a previous block; the rest are fresh."""
    pairing = _Pairing(old, drafts)
    pairing.by(lambda s, b: s.hash == b.hash)
    pairing.by(_same_time_and_headline)
    pairing.by_similarity()
    return pairing.matched, pairing.pending


class _Pairing:
    """One-to-one assignment of current blocks to previous ones, strongest evidence first."""

    def __init__(self, old: Sequence[BlockState], drafts: Sequence[BlockState]) -> None:
        self.drafts = drafts  # a draft's id is the block's native id, or "" for none
        self.matched: dict[int, BlockState] = {}
        self.used: set[str] = set()
        self.pending: list[int] = []
        by_id = {b.id: b for b in old}
        for i, draft in enumerate(drafts):
            hit = by_id.get(draft.id) if draft.id else None
            if hit is not None and hit.id not in self.used:
                self._take(i, hit)
            else:
                self.pending.append(i)
        self.cands = [b for b in old if b.id not in self.used]

    def _take(self, i: int, old: BlockState) -> None:
        self.matched[i] = old
        self.used.add(old.id)

    def _free(self, i: int, old: BlockState) -> bool:
        # A block with its own id may only inherit the identity of a block that had none.
        native = self.drafts[i].id
        return old.id not in self.used and (not native or old.id.startswith("x-"))

    def by(self, same: Callable[[BlockState, BlockState], bool]) -> None:
        rest = []
        for i in self.pending:
            hit = next(
                (c for c in self.cands if self._free(i, c) and same(self.drafts[i], c)), None
            )
            if hit is None:
                rest.append(i)
            else:
                self._take(i, hit)
        self.pending = rest

    def by_similarity(self) -> None:
        scored = []
        for i in self.pending:
            new = self.drafts[i]
            for c in self.cands:
                if not self._free(i, c):
                    continue
                score = similarity(new.headline + "\n" + new.text, c.headline + "\n" + c.text)
                if score >= SAME or (score >= MAYBE_SAME and _related(new, c)):
                    scored.append((score, i, c))
        scored.sort(key=lambda t: -t[0])
        for _score, i, c in scored:
            if i not in self.matched and c.id not in self.used:
                self._take(i, c)
        self.pending = [i for i in self.pending if i not in self.matched]


def _same_time_and_headline(new: BlockState, old: BlockState) -> bool:
    return bool(
        new.published
        and old.published
        and new.published[:16] == old.published[:16]
        and new.headline.casefold() == old.headline.casefold()
    )


def _related(new: BlockState, old: BlockState) -> bool:
    same_headline = bool(new.headline) and new.headline.casefold() == old.headline.casefold()
    same_time = bool(new.published) and new.published == old.published
    return same_headline or same_time


def _classify(
    prev: DocState,
    doc: Document,
    drafts: Sequence[BlockState],
    matched: dict[int, BlockState],
    pending: list[int],
    tombstoned: set[str],
) -> DocDiff:
    taken = {b.id for b in matched.values()}
    added = {i: s for i in pending if (s := _fresh(drafts[i], taken)) is not None}
    current: list[BlockState] = []
    edited: list[tuple[BlockState, BlockState]] = []  # (before, after)
    for i, draft in enumerate(drafts):
        if i in matched:
            old = matched[i]
            new = replace(draft, id=old.id, missing=0)
            current.append(new)
            # Same text, or a cosmetic edit: the latest form is remembered, nothing alerts.
            if new.hash != old.hash and new.fingerprint != old.fingerprint:
                edited.append((old, new))
        elif i in added:
            current.append(added[i])
    shown = {b.id for b in current}
    kept, removed = _missing(prev.blocks, current, shown, tombstoned)
    blocks = _interleave(prev.blocks, current, kept)[:MAX_BLOCKS]
    state = DocState(doc.id, doc.url, doc.title or prev.title, tuple(blocks))
    changes = [Change("block.removed", state, None, before=b) for b in removed]
    changes += [_edit(state, old, new) for old, new in edited]
    changes += [Change("block.new", state, s) for s in _oldest_first(list(added.values()))]
    return DocDiff(state, tuple(changes), state != prev)


def _interleave(
    old: Sequence[BlockState], current: list[BlockState], kept: list[BlockState]
) -> list[BlockState]:
    """Current blocks in page order, each kept (missing) block back after its old neighbour."""
    present = {b.id for b in current}
    kept_by_id = {b.id: b for b in kept}
    after: dict[str | None, list[BlockState]] = {}
    previous: str | None = None
    for block in old:
        if block.id in kept_by_id:
            after.setdefault(previous, []).append(kept_by_id[block.id])
        if block.id in kept_by_id or block.id in present:
            previous = block.id
    out: list[BlockState] = []
    for anchor in [None, *current]:
        if anchor is not None:
            out.append(anchor)
        stack = list(reversed(after.get(anchor.id if anchor else None, [])))
        while stack:
            missing = stack.pop()
            out.append(missing)
            stack.extend(reversed(after.get(missing.id, [])))
    return out


def _edit(state: DocState, old: BlockState, new: BlockState) -> Change:
    added, removed = word_diff(old.headline + "\n" + old.text, new.headline + "\n" + new.text)
    return Change("block.edited", state, new, before=old, words_added=added, words_removed=removed)


def _missing(
    old: Sequence[BlockState],
    current: Sequence[BlockState],
    shown: set[str],
    tombstoned: set[str],
) -> tuple[list[BlockState], list[BlockState]]:
    """Split previous blocks not shown now into kept (scrolled off, not yet sure) and removed."""
    window = _window_test(old, current, shown)
    kept: list[BlockState] = []
    removed: list[BlockState] = []
    for block in old:
        if block.id in shown:
            continue
        if block.id in tombstoned:
            removed.append(block)
            continue
        missing = block.missing + 1
        if window(block) and missing >= REMOVE_AFTER:
            removed.append(block)
        else:
            kept.append(replace(block, missing=missing if window(block) else 0))
    return kept, removed


def _window_test(
    old: Sequence[BlockState], current: Sequence[BlockState], shown: set[str]
) -> Callable[[BlockState], bool]:
    """Whether a missing block lies inside the page's window (newer than the oldest shown)."""
    times = [b.published for b in current if b.published]
    if times and len(times) == len(current):
        oldest = min(times)
        return lambda b: b.published is not None and b.published > oldest
    # No times: pages list newest first, so inside the window means above a block still shown.
    last_shown = max((i for i, b in enumerate(old) if b.id in shown), default=-1)
    positions = {b.id: i for i, b in enumerate(old)}
    return lambda b: positions[b.id] < last_shown


def _oldest_first(states: list[BlockState]) -> list[BlockState]:
    """New blocks in the order they were written: by time where all have one, else bottom-up."""
    if states and all(s.published for s in states):
        return sorted(states, key=lambda s: s.published or "")
    return list(reversed(states))
