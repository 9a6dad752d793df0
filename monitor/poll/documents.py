"""Fetched bytes → documents: a feed's items, or a page as one document of update blocks.

A top-level pure function, so the pipeline can run it in a worker process (feed parsing is
the CPU hot spot) and ``newsmon check`` can run it with no I/O at all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from monitor.errors import ParseError
from monitor.models import Document
from monitor.poll.feeditems import NO_CAPS, Caps
from monitor.poll.pagelang import page_language
from monitor.poll.parse import looks_like_feed, parse_feed, scan_feed


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one fetched body holds."""

    title: str
    documents: tuple[Document, ...]
    item_hashes: frozenset[str] = frozenset()
    skipped: int = 0
    links: tuple[str, ...] = ()  # every feed item's link, newest first (parsed or skipped)
    keys: frozenset[str] | None = None  # identities of the parsed items (None: not known)
    unread: int = 0  # feed items past the cap of items looked at
    deferred: int = 0  # new or changed feed items past the cap, left for the next poll
    duplicates: int = 0  # feed items whose identity an earlier item already had


def read_source(
    kind: str,
    body: bytes,
    url: str,
    content_type: str | None = None,
    skip: frozenset[str] = frozenset(),
    keep: frozenset[str] | None = None,
    caps: Caps = NO_CAPS,
) -> Parsed:
    """Parse a feed (only the items whose raw hash is not in ``skip`` and, given ``keep``,
    whose identity is in it, within ``caps``) or extract a page.

    Whatever goes wrong comes out as a ParseError naming the URL: it runs in worker processes,
    and an exception of a parsing library may not survive the trip back (lxml's error logs do
    not pickle), nor say which source it was about.
    """
    try:
        return _read(kind, body, url, content_type, skip, keep, caps)
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(f"{url}: cannot read it as a {kind}: {_describe(exc)}") from None


def _describe(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _read(
    kind: str,
    body: bytes,
    url: str,
    content_type: str | None,
    skip: frozenset[str],
    keep: frozenset[str] | None,
    caps: Caps,
) -> Parsed:
    if kind == "auto":
        kind = "feed" if looks_like_feed(body, content_type) else "page"
    if kind == "feed":
        feed = parse_feed(body, url, skip, keep, caps)
        docs, counts = feed.documents, (feed.unread, feed.deferred, feed.duplicates)
        return Parsed(feed.title, docs, feed.item_hashes, feed.skipped, feed.links, feed.keys,
                      *counts)  # fmt: skip
    from monitor.poll.extract import extract_page  # only pages need the extractors: start-up time

    page = extract_page(body, url, content_type)
    lang = page_language(body)
    blocks = tuple(replace(b, lang=b.lang or lang) for b in page.blocks) if lang else page.blocks
    # The page's id is the URL it is watched at: a canonical URL may change, the watch does not.
    doc = Document(id=url, url=page.url, title=page.title, blocks=blocks, published=page.published)
    return Parsed(page.title, (doc,))


def scan_source(body: bytes, url: str, max_items: int | None = None) -> Parsed | None:
    """A feed's item hashes and links (of its first ``max_items`` items) without parsing any
    item; None if it must be parsed."""
    try:
        feed = scan_feed(body, url, max_items)
    except Exception:  # whatever lxml makes of it: the full parse will say what is wrong
        return None
    if feed is None:
        return None
    found = Parsed(feed.title, (), feed.item_hashes, feed.skipped, feed.links, feed.keys)
    return replace(found, unread=feed.unread)
