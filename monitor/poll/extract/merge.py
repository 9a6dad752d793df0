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
from datetime import UTC, datetime

from monitor.models import Block
from monitor.poll.extract import ids, noise
from monitor.text import fingerprint, similarity

RANK = ("microdata", "amp", "markup", "repeated", "jsonld", "headings", "timeline", "text")
_ID_RANK = ("amp", "markup", "microdata", "repeated", "jsonld", "headings", "timeline", "text")
_URL_RANK = ("jsonld", "microdata", "amp", "markup", "repeated", "headings", "timeline", "text")
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…|\[\.\.\.\])\s*$")
_SAME = 0.85


@dataclass(slots=True)
class _Group:
    members: dict[str, Block] = field(default_factory=dict)
    number: str | None = None  # set when members' ids differ but carry this one number

    @property
    def id(self) -> str | None:
        """The number two ids share, else the id of the representation whose ids last longest
        (AMP ids "must never change"; JSON-LD ids are the most often regenerated)."""
        ranked = (self.members[k].id for k in _ID_RANK if k in self.members)
        return self.number or next((i for i in ranked if i), None)

    def accepts(self, block: Block) -> bool:
        if block.extractor in self.members:
            return False
        if block.id and self.id:
            return block.id == self.id
        return any(_same_content(block, other) for other in self.members.values())

    def same_update(self, block: Block) -> bool:
        """Another representation of this group's update under an unrelated id: the same
        first-published minute and the same content."""
        if block.extractor in self.members:
            return False
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
    return [block for block in map(_combine, groups.all) if not is_slot(block)]


def is_slot(block: Block) -> bool:
    """An ad, promo, lone embed or "load more" slot in a live list, not an update: nothing to
    read, or only a headline with no time to place it by. Tombstones are updates deleted."""
    if block.tombstone:
        return False
    text = "" if noise.is_slot_label(block.text) else block.text
    if text:
        return False
    return not block.headline or noise.is_slot_label(block.headline) or not block.published


class _Groups:
    """The groups so far, indexed by id, by the number in an id and by minute of publication:
    a page of thousands of updates merges in linear time."""

    def __init__(self) -> None:
        self.all: list[_Group] = []
        self._by_id: dict[str, _Group] = {}
        self._idless: list[_Group] = []  # only these can take a block of another id by content
        self._by_number: dict[str, _Group] = {}
        self._by_minute: dict[str, list[_Group]] = {}

    def place(self, block: Block) -> None:
        target = self._find(block)
        if target is not None and block.extractor in target.members:
            target.members[block.extractor] = _union(target.members[block.extractor], block)
            return
        if target is None:
            target = _Group({block.extractor: block})
            self.all.append(target)
            self._idless.append(target)
        else:
            target.members[block.extractor] = block
        self._index(target, block)

    def _find(self, block: Block) -> _Group | None:
        if not block.id:
            return next((g for g in self.all if g.accepts(block)), None)
        found = self._by_id.get(block.id) or self._same_number(block)
        found = found or next((g for g in self._idless if g.accepts(block)), None)
        timed = self._by_minute.get(_minute(block.published), [])
        return found or next((g for g in timed if g.same_update(block)), None)

    def _index(self, target: _Group, block: Block) -> None:
        if target.id and target in self._idless:
            self._idless.remove(target)
        for native in (target.id, block.id):
            if native:
                self._by_id.setdefault(native, target)
        number = ids.number_of(block.id)
        if number:
            self._by_number.setdefault(number, target)
        minute = _minute(block.published)
        if minute and target not in self._by_minute.setdefault(minute, []):
            self._by_minute[minute].append(target)

    def _same_number(self, block: Block) -> _Group | None:
        """The group of another representation whose id carries this block's number
        (``post-1288930`` and ``#liveblogPost1288930``); the group is then known by it."""
        number = ids.number_of(block.id)
        group = self._by_number.get(number) if number else None
        if group is None or block.extractor in group.members:
            return None
        group.number = number
        return group


def _minute(published: str | None) -> str:
    """A first-published time to the minute in UTC, "" when there is none or it is unreadable."""
    if not published:
        return ""
    try:
        when = datetime.fromisoformat(published)
    except ValueError:
        return ""
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M")


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
