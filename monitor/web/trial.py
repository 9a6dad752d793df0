"""The documents the workbench tries a query on: those stored, and the items of a feed's first
poll. A first poll keeps the feed's body compressed in Redis without parsing an item (the
cheap baseline, docs/architecture.md), so until a later poll its items were in no document
and a query tried "on what was already seen" missed them. They are parsed here when a test
asks, on the test's worker thread, within a byte budget, and kept parsed for the next
keystrokes while the kept body is the same."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from monitor.errors import NewsmonError
from monitor.models import DocState
from monitor.poll.diff import diff_document
from monitor.poll.documents import read_source
from monitor.store import Store

PENDING_BYTES = 32_000_000  # kept bodies (decompressed) one test parses at most
ITEMS = 500  # items of a kept body remembered: the most a test asks of a source
_KEEP = 16  # parsed kept bodies remembered
_parsed: OrderedDict[tuple[str, str], tuple[DocState, ...]] = OrderedDict()
Run = Callable[..., Awaitable[Any]]  # runs a function off the event loop


async def documents(store: Store, per_source: int, run: Run) -> list[tuple[str, DocState]]:
    """The ``per_source`` newest stored documents of each source, and of each source whose
    first poll's body still waits unparsed, its first ``per_source`` items not stored."""
    found = await store.newest_documents(per_source)
    names = await store.source_names()
    waiting = [n for n, s in zip(names, await store.load_sources(names), strict=True) if s.pending]
    if not waiting:
        return found
    stored = {(name, doc.id) for name, doc in found}
    urls = await store.schedule.definitions()
    budget = PENDING_BYTES
    for name in waiting:
        kept = await store.load_pending(name)
        if kept is None or len(kept.body) > budget:
            continue
        budget -= len(kept.body)
        url = str(urls.get(name, {}).get("url") or "")
        docs = await _items(name, kept.body, url, per_source, run)
        found += [(name, doc) for doc in docs if (name, doc.id) not in stored]
    return found


async def _items(
    name: str, body: bytes, url: str, per_source: int, run: Run
) -> tuple[DocState, ...]:
    key = (name, hashlib.sha256(body).hexdigest())
    docs = _parsed.get(key)
    if docs is None:
        docs = await run(_parse, body, url)
        _parsed[key] = docs
        while len(_parsed) > _KEEP:
            _parsed.popitem(last=False)
    return docs[:per_source]


def _parse(body: bytes, url: str) -> tuple[DocState, ...]:
    """A kept feed body's items as documents, in feed order (none if it cannot be read)."""
    try:
        parsed = read_source("feed", body, url)
    except NewsmonError:
        return ()
    docs = parsed.documents[:ITEMS]
    return tuple(diff_document(None, doc, baseline=True).state for doc in docs)


def runner(executor: Any) -> Run:
    """``run`` for ``documents``: the function on ``executor``'s threads."""

    async def run(function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(executor, function, *args)

    return run
