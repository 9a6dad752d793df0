"""The shared schedule: source definitions, due times, leases and the live daemons, in Redis.

Any number of identical daemons share the sources this way. Each tick, a daemon claims its
fair share of the due sources in one atomic script (``scripts.CLAIM_DUE``): a claimed source's
due time becomes its lease's expiry and the lease's token is recorded. The poll's commit
checks the token, writes, and sets the next due time, all at once. A daemon that dies leaves
its claims to expire; the sources are then due again and another daemon claims them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis

from monitor.store.keys import Keys
from monitor.store.records import Claim, Lease
from monitor.store.scripts import (
    CLAIM_DUE_SCRIPT,
    CLAIM_NAMED_SCRIPT,
    RENEW_SCRIPT,
    Script,
    call,
    run_one,
)


@dataclass(frozen=True, slots=True)
class Slot:
    """Where one source stands in the schedule."""

    due: float | None  # ms since the epoch; a claimed source's is its lease's expiry
    leased: bool


class Schedule:
    """Source definitions, due times and leases under one prefix."""

    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    async def claim_due(
        self,
        daemon: str,
        token: str,
        now_ms: int,
        lease_ms: int,
        limit: int,
        ttl_ms: int,
        grace_ms: int = 1000,
    ) -> list[Claim]:
        """Claim the due sources this daemon owns, and any overdue by more than ``grace_ms``
        (at most ``limit``); a heartbeat too."""
        k = self.keys
        keys = [k.schedule, k.leases, k.daemons, k.definitions]
        args: list[object] = [now_ms, lease_ms, limit, daemon, ttl_ms, token, grace_ms]
        return _claims(await _script(self.redis, CLAIM_DUE_SCRIPT, keys, args))

    async def claim_named(
        self, names: Sequence[str], token: str, now_ms: int, lease_ms: int
    ) -> tuple[list[Claim], list[str], list[str]]:
        """Claim the named sources now: (claims, names held by another claim, unknown names)."""
        k = self.keys
        keys = [k.schedule, k.leases, k.definitions]
        args: list[object] = [now_ms, lease_ms, token, *names]
        reply = await _script(self.redis, CLAIM_NAMED_SCRIPT, keys, args)
        claims, busy, unknown = [], [], []
        for name, due, held, definition in _quads(reply):
            if not definition:
                unknown.append(name)
            elif not held:
                busy.append(name)
            else:
                # Claimed ahead of its time: the schedule goes on from now.
                start = min(float(due or now_ms), float(now_ms))
                claims.append(Claim(Lease(name, held, start), definition))
        return claims, busy, unknown

    async def renew(self, leases: Sequence[Lease], expiry_ms: int) -> int:
        """Extend the leases still held to ``expiry_ms``; returns how many were still held."""
        if not leases:
            return 0
        args: list[object] = [expiry_ms]
        for lease in leases:
            args += [lease.source, lease.token]
        keys = [self.keys.schedule, self.keys.leases]
        return int(await call(run_one(self.redis, RENEW_SCRIPT, keys, args)))

    async def leave(self, daemon: str) -> None:
        """Take a stopping daemon out of the count of live ones (its share goes to others)."""
        await call(self.redis.zrem(self.keys.daemons, daemon))

    async def live_daemons(self, since_ms: int) -> int:
        """How many daemons claimed (a heartbeat) since ``since_ms``."""
        return int(await call(self.redis.zcount(self.keys.daemons, since_ms, "+inf")))

    async def names(self) -> list[str]:
        """The names of every defined source, sorted."""
        return sorted(await call(self.redis.hkeys(self.keys.definitions)))

    async def definitions(self) -> dict[str, dict[str, object]]:
        """Every source definition, by name (a damaged one reads as an empty mapping)."""
        raw: dict[str, str] = await call(self.redis.hgetall(self.keys.definitions))
        return {name: _object(value) for name, value in raw.items()}

    async def put(
        self, definitions: Mapping[str, str], now_ms: int, *, due_now: bool = False
    ) -> list[str]:
        """Store definitions; new or changed ones (with ``due_now``, all given) are due now,
        unless switched off. Returns the names that changed."""
        current: dict[str, str] = await call(self.redis.hgetall(self.keys.definitions))
        changed = {n: d for n, d in definitions.items() if not _same(current.get(n), d)}
        off = await self.disabled()
        due = {n: now_ms for n in (definitions if due_now else changed) if n not in off}
        if changed or due:
            pipe = self.redis.pipeline(transaction=True)
            if changed:
                pipe.hset(self.keys.definitions, mapping=changed)  # type: ignore[arg-type]
            if due:
                pipe.zadd(self.keys.schedule, due)
            await call(pipe.execute())
        return sorted(changed)

    async def disable(self, name: str) -> bool:
        """Switch a defined source off: out of the schedule, its lease void (a poll in flight
        commits nothing). False if no source has that name."""
        if not await call(self.redis.hexists(self.keys.definitions, name)):
            return False
        pipe = self.redis.pipeline(transaction=True)
        pipe.sadd(self.keys.disabled, name)
        pipe.zrem(self.keys.schedule, name)
        pipe.hdel(self.keys.leases, name)
        await call(pipe.execute())
        return True

    async def enable(self, name: str, now_ms: int) -> bool:
        """Switch a source back on, due now. False if no source has that name."""
        if not await call(self.redis.hexists(self.keys.definitions, name)):
            return False
        pipe = self.redis.pipeline(transaction=True)
        pipe.srem(self.keys.disabled, name)
        pipe.zadd(self.keys.schedule, {name: now_ms}, nx=True)
        await call(pipe.execute())
        return True

    async def enabled_names(self) -> list[str]:
        """The names of the defined sources not switched off, sorted (one round trip)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hkeys(self.keys.definitions)
        pipe.smembers(self.keys.disabled)
        names, off = await call(pipe.execute())
        return sorted(n for n in names if n not in off)

    async def disabled(self) -> frozenset[str]:
        """The names of the sources switched off."""
        return frozenset(await call(self.redis.smembers(self.keys.disabled)))

    async def remove(self, names: Sequence[str]) -> list[str]:
        """Remove definitions, their schedule and leases; returns the names that existed."""
        if not names:
            return []
        pipe = self.redis.pipeline(transaction=True)
        for name in names:
            pipe.hdel(self.keys.definitions, name)
        pipe.zrem(self.keys.schedule, *names)
        pipe.hdel(self.keys.leases, *names)
        pipe.srem(self.keys.disabled, *names)
        replies = await call(pipe.execute())
        return [n for n, gone in zip(names, replies, strict=False) if gone]

    async def repair(self, now_ms: int) -> list[str]:
        """Put every defined source missing from the schedule back in it, due now (the ones
        switched off stay out)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hlen(self.keys.definitions)
        pipe.zcard(self.keys.schedule)
        pipe.scard(self.keys.disabled)
        defined, scheduled, off = await call(pipe.execute())
        if int(defined) - int(off) <= int(scheduled):
            return []  # the usual case, in one round trip: nothing is missing
        names = await self.enabled_names()
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.zadd(self.keys.schedule, {name: now_ms}, nx=True)
        added = await call(pipe.execute())
        return [n for n, a in zip(names, added, strict=True) if a]

    async def slots(self, names: Sequence[str]) -> dict[str, Slot]:
        """The due time and lease of each named source."""
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.zscore(self.keys.schedule, name)
            pipe.hexists(self.keys.leases, name)
        replies = await call(pipe.execute())
        pairs = zip(replies[::2], replies[1::2], strict=True)
        return {n: Slot(d, bool(h)) for n, (d, h) in zip(names, pairs, strict=True)}


def _claims(reply: Sequence[str]) -> list[Claim]:
    return [Claim(Lease(n, t, float(d)), definition) for n, d, t, definition in _quads(reply)]


def _quads(reply: Sequence[str]) -> list[tuple[str, str, str, str]]:
    items = [str(x) for x in reply]
    return list(zip(items[0::4], items[1::4], items[2::4], items[3::4], strict=True))


def _same(stored: str | None, new: str) -> bool:
    # Definitions are written with sorted keys: equal text is the usual case, and cheap.
    return stored is not None and (stored == new or _object(stored) == _object(new))


def _object(value: str) -> dict[str, object]:
    try:
        found = json.loads(value)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


async def _script(
    client: aioredis.Redis, script: Script, keys: list[str], args: list[object]
) -> list[str]:
    return list(await run_one(client, script, keys, args))
