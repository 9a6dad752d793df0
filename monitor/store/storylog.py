"""The story log in Redis: one stream entry per report, in the order every daemon decided them.

Every daemon on one Redis keeps a mirror of this log (``monitor.stories.mirror``) and decides
a report's story against it, so the decisions must be serialised: an assigner takes the turn
(a key with a token and a TTL), reads what was appended since its last entry, decides, and
appends with ``STORY_APPEND``, which refuses when the log has grown past the caller's last
entry meanwhile (a turn that expired). The turn keeps refusals rare, and a refusal costs the
refused mirror a rebuild: entries applied to an index cannot be taken back. A lone report
needs no turn: it is decided without applying anything, and its append is refused while
another assigner holds the turn, so it never cuts into someone else's. The log is trimmed
by MINID (Redis's clock) to the window and a margin, so the stories expire with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from monitor.store.keys import Keys
from monitor.store.scripts import STORY_APPEND_SCRIPT, call, run_one

FIELD = "e"  # an entry's one field: short, it is stored once per report
PAGE = 5000  # entries per XRANGE when the whole window is read


@dataclass(frozen=True, slots=True)
class Line:
    """One line to append: an encoded entry, whether it starts a story, and its source."""

    text: str
    starts: bool
    source: str


@dataclass(frozen=True, slots=True)
class Turn:
    """What asking for the turn gave: whether it is ours, how long the holder keeps it
    otherwise (ms), and the log's entries after the caller's last one, in order."""

    held: bool
    wait_ms: int
    entries: list[tuple[str, str]]


class StoryLog:
    """The story log, its first counts and its turn, on one Redis."""

    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    async def read(self, after: str, count: int = PAGE) -> list[tuple[str, str]]:
        """Up to ``count`` entries after id ``after`` ("0-0": from the start), as (id, line)."""
        entries = await call(self.redis.xrange(self.keys.stories, _after(after), "+", count))
        return _lines(entries)

    async def take_turn(self, token: str, ttl_ms: int, after: str, count: int = PAGE) -> Turn:
        """Ask for the turn to decide, and read the entries after ``after``, in one round trip
        (read whether or not the turn is ours: they are the log all the same)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self.keys.story_turn, token, nx=True, px=ttl_ms)
        pipe.get(self.keys.story_turn)
        pipe.pttl(self.keys.story_turn)
        pipe.xrange(self.keys.stories, _after(after), "+", count)
        took, holder, ttl, entries = await call(pipe.execute())
        # Its own turn, left by an append whose reply was lost, is the caller's to take again.
        return Turn(bool(took) or holder == token, max(int(ttl), 0), _lines(entries))

    async def append(
        self, after: str, token: str, keep_ms: int, lines: Sequence[Line]
    ) -> list[str] | None:
        """Append ``lines`` if ``after`` is still the log's last entry and no other assigner
        holds the turn, ending the caller's: their ids, or None when refused."""
        args: list[Any] = [after, token, str(keep_ms)]
        for line in lines:
            args += [line.text, "1" if line.starts else "0", line.source]
        keys = [self.keys.stories, self.keys.story_firsts, self.keys.story_turn]
        reply = await run_one(self.redis, STORY_APPEND_SCRIPT, keys, args)
        if int(reply[0]) != 1:
            return None
        return [str(i) for i in reply[1:]]

    async def firsts(self) -> dict[str, int]:
        """How many stories each source reported first (sources that never were: absent)."""
        raw: dict[str, str] = await call(self.redis.hgetall(self.keys.story_firsts))
        return {name: int(count) for name, count in raw.items()}

    async def length(self) -> int:
        """How many entries the log holds."""
        return int(await call(self.redis.xlen(self.keys.stories)))


def _after(stream_id: str) -> str:
    return "-" if stream_id in ("0-0", "0") else f"({stream_id}"


def _lines(entries: Sequence[tuple[str, dict[str, str]]]) -> list[tuple[str, str]]:
    return [(eid, fields.get(FIELD, "")) for eid, fields in entries]
