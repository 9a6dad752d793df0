"""The values that flow through the pipeline: blocks, documents, changes.

Every stage takes and returns these frozen values, so the pure stages (parse, extract, diff,
match, alerts) can be tested without I/O and shipped to a worker process (they pickle).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SourceKind = Literal["feed", "page"]
ChangeType = Literal["item.new", "block.new", "block.edited", "block.removed"]


@dataclass(frozen=True, slots=True)
class Block:
    """One update of a document: a live-blog entry, or the whole body of a plain feed item.

    ``id`` is the publisher's own id when the page gives one (JSON-LD ``@id``, element id with
    its prefix stripped, ``#fragment``, ``data-post-id``), else None: the diff then identifies
    the block by time and headline, or by content.
    """

    id: str | None
    headline: str
    text: str
    published: str | None = None  # ISO 8601, only from machine-readable sources
    modified: str | None = None
    byline: str | None = None
    credits: str | None = None
    url: str | None = None  # permalink of the block
    extractor: str = "feed"  # which extractor produced it: jsonld, microdata, amp, markup, ...
    pinned: bool = False
    tombstone: bool = False  # the page says this block was deleted (AMP data-tombstone)
    lang: str | None = None  # the language its page or feed declares (ISO 639-1), if any


@dataclass(frozen=True, slots=True)
class Document:
    """A feed item or a page, as a sequence of blocks in page order."""

    id: str
    url: str
    title: str
    blocks: tuple[Block, ...]
    published: str | None = None


@dataclass(frozen=True, slots=True)
class BlockState:
    """What is remembered of a block between polls (enough to diff and to count terms)."""

    id: str
    headline: str
    text: str
    published: str | None
    hash: str  # of the normalised text: any change that is not cosmetic changes it
    fingerprint: str  # of letters and digits only: equal means a cosmetic edit
    missing: int = 0  # consecutive polls in which the block was not on the page
    byline: str | None = None
    credits: str | None = None
    url: str | None = None
    extractor: str | None = None  # which extractor produced the block
    # The declared language (Block.lang); matching takes the text's own when it can tell.
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class DocState:
    """The committed state of one document: its blocks in page order."""

    id: str
    url: str
    title: str
    blocks: tuple[BlockState, ...]


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between a document's committed state and its current version."""

    type: ChangeType
    doc: DocState  # the document after the change
    block: BlockState | None  # None for item.new
    before: BlockState | None = None  # the block as it was, for edits and removals
    words_added: tuple[str, ...] = field(default=())
    words_removed: tuple[str, ...] = field(default=())
