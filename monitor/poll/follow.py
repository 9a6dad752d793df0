"""Following a feed's links to live pages (``follow_links = true`` on a feed source).

A live blog's feed item keeps its guid and rarely changes while the page grows, and many
publishers start a new page (a new item) every day. So on every poll, the pages of the feed's
newest items are fetched too (conditional GET, bounded by the shared fetcher) and diffed
block by block like a ``kind = "page"`` source. A page seen for the first time is recorded as
its baseline: the feed item's own ``item.new`` alert already announced it.

Each followed page is a document ``page:<url>`` of the feed source. Its validators and body
hash are kept in the source state under ``page:<url>``; the links followed, under ``follow``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from monitor.errors import NewsmonError
from monitor.poll.documents import Parsed
from monitor.poll.fetch import Failed, Fetched, FetchResult, NotModified, Validators

FOLLOW_LATEST = 5  # pages of the newest items followed on every poll
PAGE_FIELD = "page:"
LINKS_FIELD = "follow"

log = structlog.get_logger("newsmon.follow")


@dataclass
class PageWork:
    """What following a source's pages found, to go into the poll's one commit."""

    parsed: list[Parsed] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    cleared: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def page_id(url: str) -> str:
    """The document id of a followed page (distinct from the feed item's own id)."""
    return f"page:{url}"


def stored_pages(raw: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The followed pages' validators and hashes, from the source state's fields."""
    pages = {}
    for key, value in raw.items():
        if key.startswith(PAGE_FIELD):
            try:
                pages[key[len(PAGE_FIELD) :]] = dict(json.loads(value))
            except (ValueError, TypeError):
                continue  # a damaged record: the page is simply fetched in full again
    return pages


def stored_links(raw: Mapping[str, str]) -> list[str]:
    """The links followed at the last poll."""
    try:
        links = json.loads(raw.get(LINKS_FIELD, "[]"))
    except ValueError:
        return []
    return [str(link) for link in links] if isinstance(links, list) else []


async def follow_pages(
    links: Sequence[str],
    pages: Mapping[str, Mapping[str, str]],
    fetch: Callable[[str, Validators], Awaitable[FetchResult]],
    extract: Callable[[Fetched], Awaitable[Parsed]],
) -> PageWork:
    """Fetch the newest ``links`` (conditional GET) and extract the pages that changed."""
    chosen = list(dict.fromkeys(link for link in links if link))[:FOLLOW_LATEST]
    work = PageWork()
    work.fields[LINKS_FIELD] = json.dumps(chosen)
    work.cleared = [PAGE_FIELD + url for url in pages if url not in chosen]
    results = await asyncio.gather(
        *(_one(url, pages.get(url, {}), fetch, extract) for url in chosen)
    )
    for url, (parsed, record, error) in zip(chosen, results, strict=True):
        if parsed is not None:
            work.parsed.append(parsed)
        if record is not None:
            work.fields[PAGE_FIELD + url] = json.dumps(record)
        if error is not None:
            work.failures.append(f"{url}: {error}")
    return work


async def _one(
    url: str,
    record: Mapping[str, str],
    fetch: Callable[[str, Validators], Awaitable[FetchResult]],
    extract: Callable[[Fetched], Awaitable[Parsed]],
) -> tuple[Parsed | None, dict[str, Any] | None, str | None]:
    got = await fetch(url, Validators(record.get("etag"), record.get("last_modified")))
    if isinstance(got, Failed):
        log.warning("followed page failed", url=url, error=got.error)
        return None, None, got.error
    if isinstance(got, NotModified):
        return None, None, None
    body_hash = hashlib.sha256(got.body).hexdigest()[:32]
    new_record = {
        "etag": got.validators.etag,
        "last_modified": got.validators.last_modified,
        "body_hash": body_hash,
    }
    if body_hash == record.get("body_hash"):
        return None, new_record, None
    try:
        return await extract(got), new_record, None
    except NewsmonError as exc:
        log.warning("followed page unreadable", url=url, error=str(exc))
        return None, None, str(exc)
