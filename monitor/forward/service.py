"""The forwarder's loop: read the group, deliver to every target, then acknowledge.

An entry is acknowledged only after every target took it. A target that fails is retried with
backoff (doubling to ``MAX_BACKOFF``) while the entry's idle time is reset, so no other
forwarder of the group reclaims it meanwhile; one that is dead for good leaves the entry
pending, and a live forwarder reclaims it after ``claim_idle``. What a target already took is
recorded first, so a redelivery after a crash skips it. Nothing is lost, but delivery is
at-least-once: a target that took an alert just before a crash (or answered after the timeout)
gets it again, with the same ``Idempotency-Key`` to deduplicate on.

A route with desk rules (``DeskRules``: per-story digests, quiet hours, a throttle) first asks
the store whether to send or hold each alert: holding acknowledges the entry in the same step
(``monitor.store.digests``). Between entries the forwarder sends the digests that are due,
with the same retries and the same per-target records as an alert.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from monitor.desk import DeskRules, story_of
from monitor.errors import StoreError
from monitor.forward.digest import ask_of, digest_payload, ms, reason_of
from monitor.forward.targets import DeliveryError, Target
from monitor.store import Consumer, Digest, Entry, Store

log = structlog.get_logger("newsmon.forward")

FIRST_BACKOFF = 0.5
MAX_BACKOFF = 30.0
READ_BLOCK_MS = 1000
Wanted = Callable[[dict[str, Any]], bool]
Clock = Callable[[], float]  # seconds since the epoch
Keep = Callable[[], Awaitable[None]]


@dataclass
class Route:
    """A consumer group: its targets and which alerts it wants."""

    group: str
    targets: Sequence[Target]
    wanted: Wanted
    rules: DeskRules = field(default=DeskRules())
    delivered: int = field(default=0)  # alerts fully delivered by this process, digests too


def consumer_name() -> str:
    """This process in the group: host and pid (a restarted one reclaims what it left)."""
    return f"{socket.gethostname()}/{os.getpid()}"


class Forwarder:
    """Delivers one route's alerts until ``stop`` (or ``count`` alerts, for scripts)."""

    def __init__(
        self,
        store: Store,
        route: Route,
        *,
        claim_idle: float = 60.0,
        name: str = "",
        clock: Clock = time.time,
    ) -> None:
        self.route, self.clock = route, clock
        self.consumer: Consumer = store.consumer(route.group, name or consumer_name())
        self.digests = store.digests(route.group, self.consumer.name)
        self.claim_idle_ms = int(claim_idle * 1000)
        self.stopping = asyncio.Event()

    async def run(self, count: int = 0) -> None:
        """Forward until stopped, riding out Redis outages."""
        delay = FIRST_BACKOFF
        while not self.stopping.is_set() and not (count and self.route.delivered >= count):
            try:
                await self._round()
                delay = FIRST_BACKOFF
            except StoreError as exc:
                log.warning("redis unavailable", group=self.route.group, error=str(exc))
                self.consumer.rewind()  # what it was handing over is still pending: ours
                await self._pause(delay)
                delay = min(delay * 2, MAX_BACKOFF)

    def stop(self) -> None:
        """Finish the alert in hand, then stop."""
        self.stopping.set()

    async def _round(self) -> None:
        await self.consumer.join()
        entries = await self.consumer.reclaim(self.claim_idle_ms)
        entries += await self.consumer.read(READ_BLOCK_MS, count=1)  # the group shares fairly
        # What XAUTOCLAIM just took is pending for us, so a first read of our own backlog
        # returns it again: handled twice, it was delivered again once acknowledged.
        entries = list({entry.id: entry for entry in entries}.values())
        for entry in entries:
            if self.stopping.is_set():
                return
            await self._handle(entry)
        await self._flush()

    async def _handle(self, entry: Entry) -> None:
        alert = entry.alert
        if alert is None:
            log.warning("stream entry skipped", id=entry.id, problem=entry.problem)
        elif self.route.wanted(alert):
            if self.route.rules.active and not await self._goes_now(entry.id, alert):
                return  # held (and so acknowledged), or no longer ours
            if not await self._deliver_all(alert, entry.id, lambda: self.consumer.keep(entry.id)):
                return  # stopping: the entry stays pending, for the next start
            self.route.delivered += 1
            log.info("alert forwarded", group=self.route.group, alert=alert.get("id"))
        await self.consumer.ack(entry.id)

    async def _goes_now(self, entry_id: str, alert: dict[str, Any]) -> bool:
        """Whether the rules send the alert now; if not, the store held and acknowledged it."""
        ask = ask_of(self.route.rules, alert, self.clock())
        verdict = await self.digests.decide(entry_id, alert, ask)
        if verdict[0] == "held":
            log.info("alert held", group=self.route.group, alert=alert.get("id"), bin=verdict[1])
        return verdict[0] == "send"

    async def _flush(self) -> None:
        """Send the digests that are due (in quiet hours their bins join the quiet one), and
        those a dead forwarder left half-sent."""
        now = self.clock()
        quiet = self.route.rules.quiet
        quiet_end = quiet.end_of(now) if quiet else None
        for name in await self.digests.due(ms(now)):
            if quiet_end is not None:
                await self.digests.defer(name, ms(quiet_end))
                continue
            digest = await self.digests.claim(name, ms(now))
            if digest is not None and not await self._send_digest(digest):
                return
        for digest in await self.digests.orphans(ms(now) - self.claim_idle_ms, ms(now)):
            if not await self._send_digest(digest):
                return

    async def _send_digest(self, digest: Digest) -> bool:
        """Deliver a claimed digest to every target, then drop it; False when stopping."""

        async def keep() -> None:
            await self.digests.keep(digest.id, ms(self.clock()))

        if not await self._deliver_all(digest_payload(self.route.group, digest), digest.id, keep):
            return False
        stories = {story_of(item["alert"]) for item in digest.items} - {""}
        await self.digests.finish(digest, ms(self.clock()), stories)
        self.route.delivered += len(digest.items)
        log.info("digest forwarded", group=self.route.group, digest=digest.id,
                 reason=reason_of(digest.bin), alerts=len(digest.items))  # fmt: skip
        return True

    async def _deliver_all(self, payload: dict[str, Any], record_id: str, keep: Keep) -> bool:
        """Deliver to every target that has not taken it yet; False when stopping first."""
        done = await self.consumer.delivered(record_id)
        for target in self.route.targets:
            if target.name in done:
                continue
            if not await self._deliver(payload, target, record_id, keep):
                return False
        return True

    async def _deliver(
        self, payload: dict[str, Any], target: Target, record_id: str, keep: Keep
    ) -> bool:
        """Deliver until it works (True) or the forwarder stops (False)."""
        delay = FIRST_BACKOFF
        while True:
            try:
                await target.deliver(payload)
                await self.consumer.record(record_id, target.name)
                return True
            except DeliveryError as exc:
                log.warning("delivery failed", target=target.name, error=str(exc), retry_in=delay)
            if not await self._pause(delay):
                return False
            await keep()
            delay = min(delay * 2, MAX_BACKOFF)

    async def _pause(self, seconds: float) -> bool:
        """Sleep unless stopped meanwhile; False when stopping."""
        try:
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False


async def forward(
    store: Store,
    routes: Sequence[Route],
    *,
    claim_idle: float,
    count: int = 0,
    clock: Clock = time.time,
) -> None:
    """Run one forwarder per route until SIGINT/SIGTERM (or ``count`` alerts each)."""
    import signal

    forwarders = [Forwarder(store, r, claim_idle=claim_idle, clock=clock) for r in routes]
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for forwarder in forwarders:
            forwarder.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    log.info("forwarding", groups=[r.group for r in routes])
    await asyncio.gather(*(f.run(count) for f in forwarders))
    log.info("forwarder stopped")
