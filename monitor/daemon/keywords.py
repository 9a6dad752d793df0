"""Live keywords: the current matcher, rebuilt whenever the keywords in Redis change.

Keywords live in Redis; a daemon loads them at start (after storing the config file's) and
reloads them whenever an announcement arrives on ``<prefix>:control`` (``newsmon keywords add``
sends one), so every running daemon applies a change within a second, with no restart. A
reconnecting control listener reloads on every reconnect, so no announcement is missed for long.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Any

import structlog

from monitor.errors import QueryError, StoreError
from monitor.query import KeywordSpec, Matcher, compile_keyword
from monitor.store import Store

log = structlog.get_logger("newsmon.daemon")


def compile_keywords(specs: Sequence[KeywordSpec]) -> Matcher:
    """A matcher of every valid keyword; an invalid one (written to Redis by hand) is skipped."""
    try:
        return Matcher(specs)
    except QueryError:
        pass  # rare: find the bad ones, one by one, and build without them
    good = []
    for spec in specs:
        try:
            compile_keyword(spec)
        except QueryError as exc:
            log.error("keyword skipped", keyword=spec.name, error=str(exc))
            continue
        good.append(spec)
    return Matcher(good)


class Keywords:
    """The current matcher, rebuilt whenever the keywords in Redis change."""

    def __init__(self, store: Store, on_load: Callable[[int], None] | None = None) -> None:
        self.store = store
        self.matcher = Matcher([])
        self._on_load = on_load
        self._specs: list[KeywordSpec] | None = None  # what the matcher was built from

    def current(self) -> Matcher:
        return self.matcher

    async def reload(self) -> None:
        """Rebuild the matcher if the stored keywords changed (a start, and every reconnect
        of the control channel, reload too: those usually change nothing, and say nothing)."""
        specs = await self.store.keywords()
        if specs == self._specs:
            return
        self._specs = specs
        self.matcher = await asyncio.to_thread(compile_keywords, specs)
        log.info("keywords loaded", count=len(self.matcher.names))
        if self._on_load is not None:
            self._on_load(len(self.matcher.names))

    async def watch(self, stopping: asyncio.Event) -> None:
        """Follow the control channel until ``stopping`` is set, reconnecting as needed."""
        while not stopping.is_set():
            try:
                await self._listen(stopping)
            except (StoreError, OSError, ConnectionError) as exc:
                log.warning("control channel lost", error=str(exc))
            except Exception as exc:
                # redis-py raises its own ConnectionError family here, not ours.
                log.warning("control channel lost", error=repr(exc))
            with suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=1.0)

    async def _listen(self, stopping: asyncio.Event) -> None:
        pubsub = self.store.redis.pubsub()
        try:
            await pubsub.subscribe(self.store.keys.control)
            await self.reload()  # whatever was announced while we were not listening
            while not stopping.is_set():
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
                if message and _is_keyword_event(message.get("data")):
                    await self.reload()
        finally:
            with suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]


def _is_keyword_event(data: Any) -> bool:
    try:
        return bool(json.loads(data).get("event") == "keywords")
    except (TypeError, ValueError, AttributeError):
        return False
