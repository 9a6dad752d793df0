"""A consumer group on the alert stream: what ``newsmon forward`` reads alerts through.

Each entry is delivered to one consumer of the group; it stays pending until acknowledged, so
a forwarder that dies keeps nothing: a live one claims its idle entries (XAUTOCLAIM). Which of
an entry's targets already took it is recorded before the acknowledgement, so a redelivered
entry goes only to the targets that did not.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from monitor.errors import StoreError
from monitor.store.keys import Keys
from monitor.store.scripts import call

DONE_TTL = 7 * 86400  # seconds a delivery record outlives an entry never acknowledged


@dataclass(frozen=True, slots=True)
class Entry:
    """One stream entry: the alert, or why it could not be read (written by hand, say)."""

    id: str
    alert: dict[str, Any] | None
    problem: str | None = None


class Consumer:
    """One named consumer of one group on the stream."""

    def __init__(self, client: aioredis.Redis, keys: Keys, group: str, name: str) -> None:
        self.redis, self.keys, self.group, self.name = client, keys, group, name
        self._backlog = True  # entries delivered to this name before a restart come first

    async def join(self, start: str = "$") -> None:
        """Create the group (at ``start``: "$" for alerts from now on) unless it exists."""
        try:
            await self.redis.xgroup_create(self.keys.stream, self.group, start, mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise StoreError(f"Redis: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"Redis unreachable: {exc}") from exc

    async def read(self, block_ms: int, count: int = 20) -> list[Entry]:
        """This consumer's own pending entries first, then new ones (waiting ``block_ms``)."""
        if self._backlog:
            entries = await self._read("0", None, count)
            if entries:
                return entries
            self._backlog = False
        return await self._read(">", block_ms, count)

    def rewind(self) -> None:
        """Read this consumer's own pending entries again first (after an interruption)."""
        self._backlog = True

    async def reclaim(self, idle_ms: int, count: int = 20) -> list[Entry]:
        """Entries another consumer left pending for ``idle_ms`` (it died), now ours."""
        reply = await call(
            self.redis.xautoclaim(
                self.keys.stream, self.group, self.name, idle_ms, "0-0", count=count
            )
        )
        return [_entry(eid, fields) for eid, fields in reply[1] if fields is not None]

    async def keep(self, entry_id: str) -> None:
        """Reset an entry's idle time, so no one reclaims it while its delivery is retried."""
        await call(
            self.redis.xclaim(self.keys.stream, self.group, self.name, 0, [entry_id], justid=True)
        )

    async def delivered(self, entry_id: str) -> set[str]:
        """The targets that already took this entry."""
        names: set[str] = await call(self.redis.smembers(self.keys.forwarded(self.group, entry_id)))
        return names

    async def record(self, entry_id: str, target: str) -> None:
        """Remember that ``target`` took the entry (before it is acknowledged)."""
        key = self.keys.forwarded(self.group, entry_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.sadd(key, target)
        pipe.expire(key, DONE_TTL)
        await call(pipe.execute())

    async def ack(self, entry_id: str) -> None:
        """The entry is done with: acknowledged, and its delivery record dropped."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.xack(self.keys.stream, self.group, entry_id)
        pipe.delete(self.keys.forwarded(self.group, entry_id))
        await call(pipe.execute())

    async def _read(self, start: str, block_ms: int | None, count: int) -> list[Entry]:
        reply = await call(
            self.redis.xreadgroup(
                self.group, self.name, {self.keys.stream: start}, count=count, block=block_ms
            )
        )
        entries: Sequence[Any] = reply[0][1] if reply else []
        return [_entry(eid, fields) for eid, fields in entries]


def _entry(entry_id: str, fields: dict[str, str] | None) -> Entry:
    raw = (fields or {}).get("alert")
    if raw is None:
        return Entry(entry_id, None, "no alert field")
    try:
        alert = json.loads(raw)
    except ValueError as exc:
        return Entry(entry_id, None, f"not JSON: {exc}")
    except RecursionError:  # written by hand, or by someone hostile: skipped, not a crash loop
        return Entry(entry_id, None, "JSON nested too deeply")
    if not isinstance(alert, dict):
        return Entry(entry_id, None, "the alert is not a JSON object")
    return Entry(entry_id, alert)
