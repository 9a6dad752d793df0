"""Claims of the shared schedule turned into polls, with their leases kept alive.

Each tick of a daemon's clock claims its share of the due sources (one atomic script) and
starts a poll for each. A renewal task of its own (``renewing``) extends the leases of the
polls still running every ``RENEW_EVERY``, whatever the polls and the ticks are doing, so a
slow poll keeps its source as long as the event loop answers, while a dead daemon's sources
are free again ``LEASE`` seconds after its last renewal. A poll cannot keep its lease for
ever: the poller abandons one that passes its deadline. The poll's commit releases the lease
and sets the next due time, atomically.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass

import structlog

from monitor.config import SourceConfig
from monitor.errors import ConfigError, StoreError
from monitor.poll.outcome import PollResult
from monitor.poll.pipeline import Poller
from monitor.sources.registry import decode, now_ms
from monitor.store import Claim, Lease, Store

log = structlog.get_logger("newsmon.daemon")

TICK = 0.25  # seconds between claims: how late a due source may be polled
LEASE = 3.0  # seconds a claim holds without renewal: how soon a dead daemon's sources move on
RENEW_EVERY = 1.0  # seconds between renewals: three chances before a lease would expire
HEARTBEAT_TTL = 10.0  # seconds after its last claim a daemon stops counting as live
BUSY_WAIT = 0.2  # seconds ``run --once`` waits before asking again for a source held elsewhere


def daemon_id() -> str:
    """A name for this process in the schedule: host, pid and a random part."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True, slots=True)
class OnceReport:
    """What ``run --once`` polled, and what it could not."""

    results: list[PollResult]
    busy: list[str]  # held by another daemon's claim until the end
    unknown: list[str]  # not (or no longer) defined


class Claimer:
    """Claims due sources, polls them, and keeps their leases until they commit."""

    def __init__(self, store: Store, poller: Poller, capacity: int, name: str = "") -> None:
        self.store = store
        self.poller = poller
        self.capacity = capacity
        self.name = name or daemon_id()
        self.running: dict[str, tuple[Lease, asyncio.Task[PollResult]]] = {}
        self._seq = itertools.count()
        self._room = asyncio.Event()  # set when a finished poll leaves room for more

    async def tick(self) -> list[Claim]:
        """Claim this daemon's share of the due sources and start their polls."""
        room = self.capacity - len(self.running)
        claims = await self.store.schedule.claim_due(
            self.name, self._token(), now_ms(), _ms(LEASE), room, _ms(HEARTBEAT_TTL)
        )
        for claim in claims:
            self._start(claim)
        return claims

    @contextlib.asynccontextmanager
    async def renewing(self) -> AsyncIterator[None]:
        """Renew the running polls' leases every ``RENEW_EVERY`` while the block runs.

        A task of its own, not a step of the tick or of a poll: a tick waiting on a slow
        claim, or a poll busy in the worker pool, must not let the other polls' leases lapse.
        """
        task = asyncio.create_task(self._renew_forever())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def renew(self) -> None:
        """Extend the leases of the polls still running, now."""
        leases = [lease for lease, _task in self.running.values()]
        await self.store.schedule.renew(leases, now_ms() + _ms(LEASE))

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY)
            await _quietly(self.renew())

    async def drain(self, timeout: float) -> None:
        """Let running polls finish (within ``renewing``), then cancel the late ones."""
        await self._wait([task for _lease, task in self.running.values()], timeout)
        for _lease, task in list(self.running.values()):
            task.cancel()

    async def leave(self) -> None:
        """Stop counting as a live daemon, so the others take its share at once."""
        await self.store.schedule.leave(self.name)

    async def poll_named(self, names: Sequence[str], patience: float) -> OnceReport:
        """Poll each named source once now (``run --once``), waiting for ones held elsewhere.

        The sources are claimed a window at a time, as polls finish, so that the leases held
        (and renewed every second) are those of the polls under way, not of every source."""
        async with self.renewing():
            return await self._poll_named(names, patience)

    async def _poll_named(self, names: Sequence[str], patience: float) -> OnceReport:
        todo, tasks, unknown, busy = list(names), [], [], []
        while todo:
            await self._until_room()
            room = self.capacity - len(self.running)
            claims, held, missing = await self._claim_named(todo[:room])
            del todo[:room]
            tasks += claims
            unknown += missing
            busy += held
        deadline = asyncio.get_running_loop().time() + patience
        while busy and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(BUSY_WAIT)
            claims, busy, missing = await self._claim_named(busy)
            tasks += claims
            unknown += missing
        results = await self._finish(tasks)
        return OnceReport(results, busy, unknown)

    async def _claim_named(
        self, names: Sequence[str]
    ) -> tuple[list[asyncio.Task[PollResult]], list[str], list[str]]:
        """Claim and start the named sources: (their polls, names held elsewhere, unknown)."""
        claims, busy, unknown = await self.store.schedule.claim_named(
            names, self._token(), now_ms(), _ms(LEASE)
        )
        return [self._start(claim) for claim in claims], busy, unknown

    async def _until_room(self) -> None:
        """Wait until at most half the capacity is in flight."""
        while len(self.running) > self.capacity // 2:
            self._room.clear()
            await self._room.wait()

    async def _finish(self, tasks: list[asyncio.Task[PollResult]]) -> list[PollResult]:
        """Wait for polls."""
        await self._wait(tasks)
        return [task.result() for task in tasks]

    async def _wait(
        self, tasks: Sequence[asyncio.Task[PollResult]], timeout: float | None = None
    ) -> None:
        """Wait for ``tasks``, at most ``timeout`` seconds, on one gathered future (a callback
        on each of 10,000 polls, added and removed every tick, once cost more than the polls)."""
        if tasks:
            await asyncio.wait([asyncio.gather(*tasks, return_exceptions=True)], timeout=timeout)

    def _start(self, claim: Claim) -> asyncio.Task[PollResult]:
        task = asyncio.create_task(self._poll(claim))
        self.running[claim.lease.source] = (claim.lease, task)
        return task

    async def _poll(self, claim: Claim) -> PollResult:
        try:
            return await self._poll_claimed(claim)
        finally:
            held = self.running.get(claim.lease.source)
            if held is not None and held[0] == claim.lease:
                del self.running[claim.lease.source]
            if len(self.running) <= self.capacity // 2:
                self._room.set()

    async def _poll_claimed(self, claim: Claim) -> PollResult:
        lease = claim.lease
        try:
            source = decode(lease.source, claim.definition)
        except ConfigError as exc:
            log.error("source definition invalid", source=lease.source, error=str(exc))
            return await self.poller.refuse(SourceConfig(lease.source, ""), lease, str(exc))
        return await self.poller.poll(source, lease)

    def _token(self) -> str:
        return f"{self.name}:{next(self._seq)}"


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


async def _quietly(awaitable: Awaitable[object]) -> None:
    """Renewals are best effort: a lost one only lets another daemon poll the source too."""
    try:
        await awaitable
    except StoreError as exc:
        log.debug("lease renewal failed", error=str(exc))
