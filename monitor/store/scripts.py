"""The Lua scripts behind the shared schedule, and how they are run.

A script runs atomically, like MULTI/EXEC, and can also decide: the commit script applies a
poll's writes only while the daemon still holds the source's lease (a fencing token), so a
daemon that outlived its lease (a long GC pause, a stalled fetch) cannot commit a poll that
another daemon has since made. Scripts are sent by SHA (EVALSHA); a server that does not know
them (a restart, a failover) gets them loaded and the calls are sent again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, OutOfMemoryError, RedisError, ResponseError

from monitor.errors import StoreError

# KEYS: leases, schedule. ARGV: source, lease token ('' = none), next due ms ('' = keep),
# the writes as a JSON list of commands, '1' to release the lease (a poll's last piece) or '0'.
# Returns -1 when the lease was lost, else the reply of the last command.
COMMIT = """
local source, token, due = ARGV[1], ARGV[2], ARGV[3]
if token ~= '' then
  if redis.call('HGET', KEYS[1], source) ~= token then
    return -1
  end
  if ARGV[5] == '1' then
    redis.call('HDEL', KEYS[1], source)
  end
end
if due ~= '' then
  redis.call('ZADD', KEYS[2], 'XX', due, source)
end
local last = 0
for _, command in ipairs(cjson.decode(ARGV[4])) do
  last = redis.call(unpack(command))
end
return last
"""

# KEYS: schedule, leases, daemons, definitions. ARGV: now ms, lease ms, most to claim, daemon
# id, heartbeat ttl ms, a token prefix unique to this claim, grace ms. Registers the daemon's
# heartbeat, then claims due sources, most overdue first: those it owns (a stable hash of the
# name, modulo the live daemons ranked by id, is its rank), and anyone's overdue by more than
# the grace (their owner is slow or gone). Each claimed source's score becomes its lease's
# expiry, so a daemon that dies loses its claims when they expire. Returns name, due score,
# token and definition for each claim.
CLAIM_DUE = """
local now, lease, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local owner, grace = ARGV[4], tonumber(ARGV[7])
redis.call('ZADD', KEYS[3], now, owner)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[5]))
if limit <= 0 then
  return {}
end
local live = redis.call('ZRANGE', KEYS[3], 0, -1)
table.sort(live)
local rank = 0
for i, name in ipairs(live) do
  if name == owner then rank = i - 1 end
end
local function slot(name)
  local h = 0
  for i = 1, #name do
    h = (h * 48271 + string.byte(name, i)) % 2147483647
  end
  return h % #live
end
local scan = math.min(limit * #live * 2, 20000)
local found = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, scan)
local out, taken = {}, 0
for i = 1, #found, 2 do
  local name, due = found[i], tonumber(found[i + 1])
  if taken < limit and (slot(name) == rank or due < now - grace) then
    local definition = redis.call('HGET', KEYS[4], name)
    if definition then
      local token = ARGV[6] .. ':' .. i
      redis.call('ZADD', KEYS[1], now + lease, name)
      redis.call('HSET', KEYS[2], name, token)
      table.insert(out, name)
      table.insert(out, found[i + 1])
      table.insert(out, token)
      table.insert(out, definition)
      taken = taken + 1
    else
      redis.call('ZREM', KEYS[1], name)
    end
  end
end
return out
"""

# KEYS: schedule, leases, definitions. ARGV: now ms, lease ms, a token prefix unique to this
# claim, then names. Claims
# the named sources whatever their due time (``run --once``), except those another claim
# holds now. Returns name, due score, token ('' when busy) and definition ('' when unknown).
CLAIM_NAMED = """
local now, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for i = 4, #ARGV do
  local name = ARGV[i]
  local definition = redis.call('HGET', KEYS[3], name)
  local due = redis.call('ZSCORE', KEYS[1], name)
  local held = redis.call('HGET', KEYS[2], name)
  local token = ''
  if definition and not (held and due and tonumber(due) > now) then
    token = ARGV[3] .. ':' .. i
    redis.call('ZADD', KEYS[1], now + lease, name)
    redis.call('HSET', KEYS[2], name, token)
  end
  table.insert(out, name)
  table.insert(out, due or '')
  table.insert(out, token)
  table.insert(out, definition or '')
end
return out
"""

# KEYS: schedule, leases. ARGV: the new expiry (ms), then name and token pairs. Extends the
# leases this daemon still holds (a long poll keeps its source); returns how many it held.
RENEW = """
local kept = 0
for i = 2, #ARGV, 2 do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[i + 1] then
    redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[i])
    kept = kept + 1
  end
end
return kept
"""

# KEYS: source state hashes. Returns, for each source its failure policy holds back (failures
# counted, or gone), its position in KEYS and the reason given for its next due time ('' if
# none). Read-only: a server-side loop instead of one HMGET per source from the client.
HELD = """
local out = {}
for i, key in ipairs(KEYS) do
  local f = redis.call('HMGET', key, 'failures', 'gone', 'next_reason')
  if (f[1] and f[1] ~= '0') or f[2] == '1' then
    table.insert(out, i)
    table.insert(out, f[3] or '')
  end
end
return out
"""

# KEYS: story log, first counts, turn. ARGV: the id of the last log entry the caller applied
# ('0-0': none), its token, the ms of log to keep, then for each entry: its line, '1' if it
# starts a story (else '0'), its source. Refuses (appends nothing, returns {0, the log's last
# id}) when another assigner holds the turn, or when the log has an entry after the caller's
# last one (or lost it: a restart); else ends the caller's turn if it held it, appends every
# entry, trims what is older than the ms to keep (by Redis's clock, which also makes the ids),
# counts the story starts by source, and returns {1, id, ...}. The trim is exact (not '~',
# which drops only whole nodes of ~100 entries): it removes what expired since the last
# append, a few entries at a time.
STORY_APPEND = """
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local last = top[1] and top[1][1] or '0-0'
local holder = redis.call('GET', KEYS[3])
if (holder and holder ~= ARGV[2]) or (top[1] and last ~= ARGV[1]) then
  return {0, last}
end
if holder then
  redis.call('DEL', KEYS[3])
end
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local minid = string.format('%d', ms - tonumber(ARGV[3]))
local out = {1}
for i = 4, #ARGV, 3 do
  table.insert(out, redis.call('XADD', KEYS[1], 'MINID', minid, '*', 'e', ARGV[i]))
  if ARGV[i + 1] == '1' then
    redis.call('HINCRBY', KEYS[2], ARGV[i + 2], 1)
  end
end
return out
"""


@dataclass(frozen=True, slots=True)
class Script:
    """A Lua script known by its SHA."""

    source: str

    @property
    def sha(self) -> str:
        return hashlib.sha1(self.source.encode()).hexdigest()


async def run_many(
    client: aioredis.Redis, script: Script, calls: Sequence[tuple[Sequence[str], Sequence[Any]]]
) -> list[Any]:
    """EVALSHA once per (keys, args) in one pipeline round trip; replies (or errors) in order."""
    replies = await _send(client, script, calls)
    missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
    if missing:
        await client.script_load(script.source)
        again = await _send(client, script, [calls[i] for i in missing])
        for i, reply in zip(missing, again, strict=True):
            replies[i] = reply
    if any(_read_only(reply) for reply in replies):
        # A script that writes met a replica: a failover demoted the server that a pooled
        # connection still reaches (inside a script, READONLY comes back as a plain script
        # error, which the Sentinel connection does not recognise). Drop the pool's
        # connections, so the next call asks Sentinel for the master again.
        await client.connection_pool.disconnect()
    return replies


def _read_only(reply: object) -> bool:
    return isinstance(reply, ResponseError) and "READONLY" in str(reply)


async def run_one(
    client: aioredis.Redis, script: Script, keys: Sequence[str], args: Sequence[Any]
) -> Any:
    """One EVALSHA; raises StoreError with the Redis error of the call, if any."""
    (reply,) = await call(run_many(client, script, [(keys, args)]))
    return checked(reply)


def checked(reply: Any) -> Any:
    """A script's reply from ``run_many``; StoreError when it is the call's Redis error."""
    if isinstance(reply, Exception):
        raise StoreError(f"Redis: {reply}") from reply
    return reply


async def call(awaitable: Awaitable[Any]) -> Any:
    """Await a Redis call, translating its errors into StoreError."""
    try:
        return await awaitable
    except RedisError as exc:
        raise StoreError(f"Redis: {exc}") from exc
    except OSError as exc:
        raise StoreError(f"Redis unreachable: {exc}") from exc


def redis_trouble(exc: BaseException) -> str:
    """What a StoreError says of Redis, for a probe or a 503: out of memory (it answers, and
    refuses writes past ``maxmemory``), or not answering."""
    # A script's write past maxmemory comes back as a script error, not as OutOfMemoryError
    if isinstance(exc.__cause__, OutOfMemoryError) or _OOM in str(exc):
        return OUT_OF_MEMORY
    return "redis is not answering"


OUT_OF_MEMORY = "redis is out of memory: it answers but refuses writes (maxmemory)"
_OOM = "command not allowed when used memory > 'maxmemory'"  # Redis's words, in either case


async def _send(
    client: aioredis.Redis, script: Script, calls: Sequence[tuple[Sequence[str], Sequence[Any]]]
) -> list[Any]:
    pipe = client.pipeline(transaction=False)
    for keys, args in calls:
        pipe.evalsha(script.sha, len(keys), *keys, *args)
    return list(await pipe.execute(raise_on_error=False))


COMMIT_SCRIPT = Script(COMMIT)
CLAIM_DUE_SCRIPT = Script(CLAIM_DUE)
CLAIM_NAMED_SCRIPT = Script(CLAIM_NAMED)
RENEW_SCRIPT = Script(RENEW)
HELD_SCRIPT = Script(HELD)
STORY_APPEND_SCRIPT = Script(STORY_APPEND)
