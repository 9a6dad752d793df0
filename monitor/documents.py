"""Fetched bytes → documents: a feed's items, or a page as one document of update blocks.

A top-level pure function, so the pipeline can run it in a worker process (feed parsing is
the CPU hot spot) and ``newsmon check`` can run it with no I/O at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.errors import ParseError
from monitor.models import Document
from monitor.parse import looks_like_feed, parse_feed, scan_feed


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one fetched body holds."""

    title: str
    documents: tuple[Document, ...]
    item_hashes: frozenset[str] = frozenset()
    skipped: int = 0
    links: tuple[str, ...] = ()  # every feed item's link, newest first (parsed or skipped)
    keys: frozenset[str] | None = None  # identities of the parsed items (None: not known)


def read_source(
    kind: str,
    body: bytes,
    url: str,
    content_type: str | None = None,
    skip: frozenset[str] = frozenset(),
    keep: frozenset[str] | None = None,
) -> Parsed:
    """Parse a feed (only the items whose raw hash is not in ``skip`` and, given ``keep``,
    whose identity is in it) or extract a page.

    Whatever goes wrong comes out as a ParseError naming the URL: it runs in worker processes,
    and an exception of a parsing library may not survive the trip back (lxml's error logs do
    not pickle), nor say which source it was about.
    """
    try:
        return _read(kind, body, url, content_type, skip, keep)
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
) -> Parsed:
    if kind == "auto":
        kind = "feed" if looks_like_feed(body, content_type) else "page"
    if kind == "feed":
        feed = parse_feed(body, url, skip, keep)
        docs = feed.documents
        return Parsed(feed.title, docs, feed.item_hashes, feed.skipped, feed.links, feed.keys)
    from monitor.extract import extract_page  # only pages need the extractors: start-up time

    page = extract_page(body, url, content_type)
    # The page's id is the URL it is watched at: a canonical URL may change, the watch does not.
    doc = Document(
        id=url, url=page.url, title=page.title, blocks=page.blocks, published=page.published
    )
    return Parsed(page.title, (doc,))


def scan_source(body: bytes, url: str) -> Parsed | None:
    """A feed's item hashes and links without parsing any item; None if it must be parsed."""
    try:
        feed = scan_feed(body, url)
    except Exception:  # whatever lxml makes of it: the full parse will say what is wrong
        return None
    if feed is None:
        return None
    return Parsed(feed.title, (), feed.item_hashes, feed.skipped, feed.links, feed.keys)
