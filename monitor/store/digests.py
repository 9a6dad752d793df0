"""A forwarder group's held alerts: what a desk's rules (per-story digests, quiet hours, a
throttle) keep back, and the digests that carry them out later.

Holding is one Lua script with the acknowledgement: it decides (is the story new to the group,
is it quiet, is the keyword over its throttle), and either appends the alert to a bin and
XACKs the entry, or marks the entry "to send" in its delivery record, all at once. A SIGKILL
before the script leaves the entry pending (decided again when redelivered); after it, the
entry is acknowledged and held, or marked, so a redelivery sends it without deciding again.

A bin whose due time comes is claimed atomically: renamed into a digest with a stable id (the
group and the first held entry's id), recorded in ``sending`` with its sender's last sign of
life. A sender that dies leaves the digest there; a live one takes it over after the claim
idle, like a pending stream entry, and delivers the same digest (same id) again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from monitor.store.consumer import DONE_TTL
from monitor.store.keys import HeldKeys, Keys
from monitor.store.scripts import Script, call, run_one

STORY_MEMORY_MS = 7 * 86_400_000  # how long a group remembers a story it has sent
SEND = "@send"  # the delivery record's mark of an entry decided "send" (no target's name)

# KEYS: stream, the entry's delivery record, stories, due, this throttle window's counts.
# ARGV: group, consumer, entry id, held item JSON, now ms, story id ('' none), story digest
# ms, '1' for tier 1, quiet end ms ('' not quiet), throttle limit ('' none), window end ms,
# window ms, held prefix, record ttl s, story memory ms, then the alert's keywords.
# Returns {'send'}, {'held', bin} or {'gone'} (the entry is no longer pending for us).
DECIDE = """
local rec, now, story = KEYS[2], tonumber(ARGV[5]), ARGV[6]
if redis.call('SISMEMBER', rec, '@send') == 1 then return {'send'} end
if #redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2]) == 0 then
  return {'gone'}
end
local tier1, quiet, limit = ARGV[8] == '1', ARGV[9], ARGV[10]
local function seen()
  if story ~= '' then redis.call('ZADD', KEYS[3], 'GT', now, story) end
end
local function hold(bin, due)
  redis.call('RPUSH', ARGV[13] .. bin, ARGV[4])
  redis.call('ZADD', KEYS[4], 'NX', due, bin)
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
  redis.call('DEL', rec)
  return {'held', bin}
end
local last = false
if story ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[15]))
  last = redis.call('ZSCORE', KEYS[3], story)
end
if quiet ~= '' and not tier1 then
  seen()
  return hold('quiet', quiet)
end
if last then
  return hold('story:' .. story, math.max(now, tonumber(last) + tonumber(ARGV[7])))
end
if limit ~= '' and not tier1 then
  for i = 16, #ARGV do
    if tonumber(redis.call('HGET', KEYS[5], ARGV[i]) or '0') >= tonumber(limit) then
      seen()
      return hold('throttle:' .. ARGV[i], ARGV[11])
    end
  end
end
seen()
if limit ~= '' then
  for i = 16, #ARGV do redis.call('HINCRBY', KEYS[5], ARGV[i], 1) end
  redis.call('PEXPIRE', KEYS[5], tonumber(ARGV[11]) - now + tonumber(ARGV[12]))
end
redis.call('SADD', rec, '@send')
redis.call('EXPIRE', rec, ARGV[14])
return {'send'}
"""

# KEYS: due, the bin, digests, sending, stories. ARGV: bin, now ms, digest prefix, group.
# Returns {digest id, meta JSON}, or nil when the bin is not due (or another sender has it).
CLAIM = """
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) > tonumber(ARGV[2]) then return false end
redis.call('ZREM', KEYS[1], ARGV[1])
local first = redis.call('LINDEX', KEYS[2], 0)
if not first then return false end
local id = 'd-' .. ARGV[4] .. '-' .. cjson.decode(first)['entry']
redis.call('RENAME', KEYS[2], ARGV[3] .. id)
local meta = cjson.encode({bin = ARGV[1], due = tonumber(due), created = tonumber(ARGV[2])})
redis.call('HSET', KEYS[3], id, meta)
redis.call('ZADD', KEYS[4], ARGV[2], id)
if string.sub(ARGV[1], 1, 6) == 'story:' then
  redis.call('ZADD', KEYS[5], 'GT', ARGV[2], string.sub(ARGV[1], 7))
end
return {id, meta}
"""

# KEYS: due, the bin, the quiet bin. ARGV: bin, quiet end ms. A bin due in quiet hours joins
# the quiet bin, so what quiet hours held goes out as one digest when they end.
DEFER = """
if ARGV[1] == 'quiet' then return redis.call('ZADD', KEYS[1], 'XX', ARGV[2], 'quiet') end
while redis.call('LMOVE', KEYS[2], KEYS[3], 'LEFT', 'RIGHT') do end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], 'NX', ARGV[2], 'quiet')
return 1
"""

# KEYS: sending, digests. ARGV: digest id, idle threshold ms, now ms. A digest whose sender
# gave no sign of life since the threshold becomes ours; returns its meta JSON, or nil.
TAKE = """
local beat = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not beat or tonumber(beat) > tonumber(ARGV[2]) then return false end
redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
return redis.call('HGET', KEYS[2], ARGV[1])
"""

DECIDE_SCRIPT, CLAIM_SCRIPT = Script(DECIDE), Script(CLAIM)
DEFER_SCRIPT, TAKE_SCRIPT = Script(DEFER), Script(TAKE)


@dataclass(frozen=True, slots=True)
class Ask:
    """What the forwarder's rules say of one alert at one moment, in numbers for the script."""

    now_ms: int
    story: str = ""  # "" when the alert has none or the section is not per story
    story_digest_ms: int = 0
    tier_one: bool = False
    quiet_end_ms: int | None = None  # when the quiet hours we are in end
    limit: int | None = None  # the throttle, if any
    window: int = 0  # the throttle window's number
    window_end_ms: int = 0
    window_ms: int = 0
    keywords: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Digest:
    """Held alerts on their way out: a stable id, the bin they were held in, and the items
    (``{"entry": stream id, "alert": {...}}``) oldest first."""

    id: str
    bin: str
    created_ms: int
    items: list[dict[str, Any]]


class Digests:
    """A group's held alerts and digests in Redis."""

    def __init__(self, client: aioredis.Redis, keys: Keys, group: str, consumer: str) -> None:
        self.redis, self.keys, self.group, self.consumer = client, keys, group, consumer
        self.k: HeldKeys = keys.held(group)

    async def decide(self, entry_id: str, alert: dict[str, Any], ask: Ask) -> list[str]:
        """Hold (and acknowledge) the entry, or mark it to send: ['send'], ['held', bin] or
        ['gone'] when it is no longer pending for this consumer."""
        item = json.dumps({"entry": entry_id, "alert": alert}, ensure_ascii=False)
        keys = [self.keys.stream, self.keys.forwarded(self.group, entry_id), self.k.stories,
                self.k.due, self.k.sent(ask.window)]  # fmt: skip
        quiet = "" if ask.quiet_end_ms is None else ask.quiet_end_ms
        limit = "" if ask.limit is None else ask.limit
        args = [self.group, self.consumer, entry_id, item, ask.now_ms, ask.story,
                ask.story_digest_ms, int(ask.tier_one), quiet, limit, ask.window_end_ms,
                ask.window_ms, self.k.held_prefix, DONE_TTL, STORY_MEMORY_MS,
                *ask.keywords]  # fmt: skip
        reply: list[str] = await run_one(self.redis, DECIDE_SCRIPT, keys, args)
        return reply

    async def due(self, now_ms: int, count: int = 20) -> list[str]:
        """The bins whose digests are due."""
        names: list[str] = await call(
            self.redis.zrangebyscore(self.k.due, "-inf", now_ms, start=0, num=count)
        )
        return names

    async def defer(self, name: str, quiet_end_ms: int) -> None:
        """A bin come due in quiet hours: into the quiet bin, due when they end."""
        keys = [self.k.due, self.k.bin(name), self.k.bin("quiet")]
        await run_one(self.redis, DEFER_SCRIPT, keys, [name, quiet_end_ms])

    async def claim(self, name: str, now_ms: int) -> Digest | None:
        """The due bin as a digest of ours, or None if it is not due (or someone has it)."""
        keys = [self.k.due, self.k.bin(name), self.k.digests, self.k.sending, self.k.stories]
        args = [name, now_ms, self.k.digest_prefix, self.group]
        reply = await run_one(self.redis, CLAIM_SCRIPT, keys, args)
        return None if not reply else await self._digest(reply[0], reply[1])

    async def orphans(self, idle_before_ms: int, now_ms: int, count: int = 10) -> list[Digest]:
        """Digests whose sender gave no sign of life since ``idle_before_ms``, now ours."""
        ids: list[str] = await call(
            self.redis.zrangebyscore(self.k.sending, "-inf", idle_before_ms, start=0, num=count)
        )
        found = []
        for digest_id in ids:
            keys = [self.k.sending, self.k.digests]
            meta = await run_one(self.redis, TAKE_SCRIPT, keys, [digest_id, idle_before_ms, now_ms])
            if meta:
                found.append(await self._digest(digest_id, meta))
        return found

    async def keep(self, digest_id: str, now_ms: int) -> None:
        """A sign of life while a digest's delivery is retried (no one takes it over)."""
        await call(self.redis.zadd(self.k.sending, {digest_id: now_ms}, xx=True))

    async def finish(self, digest: Digest, now_ms: int, stories: set[str]) -> None:
        """Every target took the digest: it and its delivery record go; its stories were just
        sent, so their next story digest waits a full interval."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.k.digest(digest.id), self.keys.forwarded(self.group, digest.id))
        pipe.hdel(self.k.digests, digest.id)
        pipe.zrem(self.k.sending, digest.id)
        if stories:
            pipe.zadd(self.k.stories, dict.fromkeys(stories, now_ms), xx=True, gt=True)
        await call(pipe.execute())

    async def _digest(self, digest_id: str, meta: str) -> Digest:
        raw: list[str] = await call(self.redis.lrange(self.k.digest(digest_id), 0, -1))
        info = json.loads(meta)
        items = sorted(map(json.loads, raw), key=lambda item: _entry_order(item["entry"]))
        return Digest(digest_id, str(info["bin"]), int(info["created"]), items)


def _entry_order(entry_id: str) -> tuple[int, int]:
    """A stream id as numbers, so a digest's alerts keep the stream's order."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
