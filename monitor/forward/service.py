"""The forwarder's loop: read the group, deliver to every target, then acknowledge.

An entry is acknowledged only after every target took it. A target that fails is retried with
backoff (doubling to ``MAX_BACKOFF``) while the entry's idle time is reset, so no other
forwarder of the group reclaims it meanwhile; one that is dead for good leaves the entry
pending, and a live forwarder reclaims it after ``claim_idle``. What a target already took is
recorded first, so a redelivery after a crash skips it. Nothing is lost, but delivery is
at-least-once: a target that took an alert just before a crash (or answered after the timeout)
gets it again, with the same ``Idempotency-Key`` to deduplicate on.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from monitor.errors import StoreError
from monitor.forward.targets import DeliveryError, Target
from monitor.store import Consumer, Entry, Store

log = structlog.get_logger("newsmon.forward")

FIRST_BACKOFF = 0.5
MAX_BACKOFF = 30.0
READ_BLOCK_MS = 1000
Wanted = Callable[[dict[str, Any]], bool]


@dataclass
class Route:
    """A consumer group: its targets and which alerts it wants."""

    group: str
    targets: Sequence[Target]
    wanted: Wanted
    delivered: int = field(default=0)  # alerts fully delivered by this process


def consumer_name() -> str:
    """This process in the group: host and pid (a restarted one reclaims what it left)."""
    return f"{socket.gethostname()}/{os.getpid()}"


class Forwarder:
    """Delivers one route's alerts until ``stop`` (or ``count`` alerts, for scripts)."""

    def __init__(
        self, store: Store, route: Route, *, claim_idle: float = 60.0, name: str = ""
    ) -> None:
        self.route = route
        self.consumer: Consumer = store.consumer(route.group, name or consumer_name())
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
        for entry in entries:
            if self.stopping.is_set():
                return
            await self._handle(entry)

    async def _handle(self, entry: Entry) -> None:
        if entry.alert is None:
            log.warning("stream entry skipped", id=entry.id, problem=entry.problem)
        elif self.route.wanted(entry.alert):
            done = await self.consumer.delivered(entry.id)
            for target in self.route.targets:
                if target.name not in done and not await self._deliver(entry, target):
                    return  # stopping: the entry stays pending, for the next start
            self.route.delivered += 1
            log.info("alert forwarded", group=self.route.group, alert=entry.alert.get("id"))
        await self.consumer.ack(entry.id)

    async def _deliver(self, entry: Entry, target: Target) -> bool:
        """Deliver until it works (True) or the forwarder stops (False)."""
        assert entry.alert is not None
        delay = FIRST_BACKOFF
        while True:
            try:
                await target.deliver(entry.alert)
                await self.consumer.record(entry.id, target.name)
                return True
            except DeliveryError as exc:
                log.warning("delivery failed", target=target.name, error=str(exc), retry_in=delay)
            if not await self._pause(delay):
                return False
            await self.consumer.keep(entry.id)
            delay = min(delay * 2, MAX_BACKOFF)

    async def _pause(self, seconds: float) -> bool:
        """Sleep unless stopped meanwhile; False when stopping."""
        try:
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False


async def forward(
    store: Store, routes: Sequence[Route], *, claim_idle: float, count: int = 0
) -> None:
    """Run one forwarder per route until SIGINT/SIGTERM (or ``count`` alerts each)."""
    import signal

    forwarders = [Forwarder(store, route, claim_idle=claim_idle) for route in routes]
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for forwarder in forwarders:
            forwarder.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    log.info("forwarding", groups=[r.group for r in routes])
    await asyncio.gather(*(f.run(count) for f in forwarders))
    log.info("forwarder stopped")
