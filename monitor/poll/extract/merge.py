"""Combining what each extractor found into one block per update.

Blocks are joined by native id, or, when one side has no id, by content (a truncated JSON-LD
body is a prefix of the full markup body). Each field is then taken from its best source:
DOM extractors before JSON-LD for text, headline and times (JSON-LD is often lossy), JSON-LD
first for the permalink. An id-less copy of another block from the same extractor is a pinned
copy: it is dropped and the block it copies is marked pinned.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from monitor.models import Block
from monitor.text import fingerprint, similarity

RANK = ("microdata", "amp", "markup", "jsonld", "headings", "text")
_URL_RANK = ("jsonld", "microdata", "amp", "markup", "headings", "text")
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…|\[\.\.\.\])\s*$")
_SAME = 0.85


@dataclass(slots=True)
class _Group:
    members: dict[str, Block] = field(default_factory=dict)

    @property
    def id(self) -> str | None:
        return next((b.id for b in self.members.values() if b.id), None)

    def accepts(self, block: Block) -> bool:
        if block.extractor in self.members:
            return False
        if block.id and self.id:
            return block.id == self.id
        return any(_same_content(block, other) for other in self.members.values())


def merge(found: Sequence[Sequence[Block]]) -> list[Block]:
    """One block per update, in the page order of the extractor that found the most blocks."""
    folded = [fold(blocks) for blocks in found if blocks]
    if not folded:
        return []
    primary = max(range(len(folded)), key=lambda i: (len(folded[i]), -i))
    groups = _Groups()
    for blocks in [folded[primary], *folded[:primary], *folded[primary + 1 :]]:
        for block in blocks:
            groups.place(block)
    return [_combine(group) for group in groups.all]


class _Groups:
    """The groups so far, indexed by id: a page of thousands of updates merges in linear time."""

    def __init__(self) -> None:
        self.all: list[_Group] = []
        self._by_id: dict[str, _Group] = {}
        self._idless: list[_Group] = []  # only these can take a block of another id by content

    def place(self, block: Block) -> None:
        by_id = self._by_id.get(block.id) if block.id else None
        if by_id is not None and block.extractor in by_id.members:
            by_id.members[block.extractor] = _union(by_id.members[block.extractor], block)
            return
        candidates = self._idless if block.id else self.all
        target = by_id or next((g for g in candidates if g.accepts(block)), None)
        if target is None:
            target = _Group({block.extractor: block})
            self.all.append(target)
            self._idless.append(target)
        else:
            target.members[block.extractor] = block
        if target.id and target.id not in self._by_id:
            self._by_id[target.id] = target
            self._idless.remove(target)


def fold(blocks: Sequence[Block]) -> list[Block]:
    """One extractor's blocks with same-id repeats and id-less pinned copies folded in."""
    kept = _Kept()
    for block in blocks:
        slot = kept.copy_of(block)
        if slot is None:
            kept.add(block)
            continue
        other = kept.pop(slot)
        # an id-less copy of an update is its pinned copy; a repeated id is the same update
        pinned = block.pinned or other.pinned or not (block.id and other.id)
        if _is_original(block, other):
            kept.add(replace(_union(block, other), pinned=pinned))  # in the update's place
        else:
            kept.add(replace(_union(other, block), pinned=pinned), slot)
    return kept.blocks()


class _Kept:
    """Blocks kept in page order, found by id and by text fingerprint in constant time.

    A block is a copy of the first kept block with its id (both have ids) or with its text
    (either has none); slots grow with page order, so the first is the lowest slot.
    """

    def __init__(self) -> None:
        self._slots: dict[int, Block] = {}
        self._next = 0
        self._by_id: dict[str, int] = {}
        self._by_text: dict[str, set[int]] = {}  # fingerprint -> slots, every kept block
        self._idless_by_text: dict[str, set[int]] = {}  # the same, kept blocks with no id

    def copy_of(self, block: Block) -> int | None:
        found = {self._by_id[block.id]} if block.id and block.id in self._by_id else set()
        if block.text:
            index = self._idless_by_text if block.id else self._by_text
            found |= index.get(fingerprint(block.text), set())
        return min(found, default=None)

    def add(self, block: Block, slot: int | None = None) -> None:
        if slot is None:
            slot, self._next = self._next, self._next + 1
        self._slots[slot] = block
        if block.id:
            self._by_id.setdefault(block.id, slot)
        for index in self._text_indexes(block):
            index.setdefault(fingerprint(block.text), set()).add(slot)

    def pop(self, slot: int) -> Block:
        block = self._slots.pop(slot)
        if block.id and self._by_id.get(block.id) == slot:
            del self._by_id[block.id]
        for index in self._text_indexes(block):
            index[fingerprint(block.text)].discard(slot)
        return block

    def blocks(self) -> list[Block]:
        return [self._slots[slot] for slot in sorted(self._slots)]

    def _text_indexes(self, block: Block) -> list[dict[str, set[int]]]:
        if not block.text:
            return []
        return [self._by_text] if block.id else [self._by_text, self._idless_by_text]


def _is_original(block: Block, other: Block) -> bool:
    """Whether ``block`` rather than ``other`` is the update itself, not its pinned copy."""
    if bool(block.id) != bool(other.id):
        return bool(block.id)
    return other.pinned and not block.pinned


def _union(first: Block, second: Block) -> Block:
    """``first`` with its empty fields filled from ``second``."""
    return replace(
        first,
        id=first.id or second.id,
        headline=first.headline or second.headline,
        text=first.text or second.text,
        published=first.published or second.published,
        modified=first.modified or second.modified,
        byline=first.byline or second.byline,
        credits=first.credits or second.credits,
        url=first.url or second.url,
        tombstone=first.tombstone or second.tombstone,
    )


def _same_content(a: Block, b: Block) -> bool:
    if not a.text or not b.text:
        return bool(a.headline) and a.headline == b.headline
    if fingerprint(a.text) == fingerprint(b.text) or _truncation(a.text, b.text):
        return True
    score = similarity(a.text, b.text)
    return score >= _SAME or (bool(a.headline) and a.headline == b.headline and score >= 0.5)


def _truncation(a: str, b: str) -> bool:
    short, long = sorted((_ELLIPSIS.sub("", a), _ELLIPSIS.sub("", b)), key=len)
    return len(short) >= 80 and long.startswith(short)


def _combine(group: _Group) -> Block:
    members = group.members

    def best(get: Callable[[Block], str | None], order: tuple[str, ...] = RANK) -> str | None:
        return next((get(members[k]) for k in order if k in members and get(members[k])), None)

    source = next((members[k] for k in RANK if k in members and members[k].text), None)
    source = source or next(members[k] for k in RANK if k in members)
    return Block(
        id=group.id,
        headline=best(lambda b: b.headline) or "",
        text=source.text,
        published=best(lambda b: b.published),
        modified=best(lambda b: b.modified),
        byline=best(lambda b: b.byline),
        credits=best(lambda b: b.credits),
        url=best(lambda b: b.url, _URL_RANK),
        extractor=source.extractor,
        pinned=any(b.pinned for b in members.values()),
        tombstone=any(b.tombstone for b in members.values()),
    )
