"""Group commit: calls made at about the same moment share one Redis round trip.

A thousand polls that start together each ask for their source's state; a thousand polls that
finish at different moments each commit. Each caller awaits its own result as if alone, while
the calls waiting when a round trip starts go out together in one pipeline, and those that
arrive while it is in flight go in the next. So a cycle costs a few round trips, not two per
source, and no poll waits for a slow neighbour's fetch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")

Flush = Callable[[Sequence[In]], Awaitable[Sequence[Out | BaseException]]]

MAX_GROUP = 1000  # calls per round trip: bounds a reply's size and the wait of the last caller


class Grouped(Generic[In, Out]):
    """Calls ``flush`` with every item waiting, one group per round trip."""

    def __init__(self, flush: Flush[In, Out], max_group: int = MAX_GROUP) -> None:
        self._flush = flush
        self._max_group = max_group
        self._waiting: list[tuple[In, asyncio.Future[Out]]] = []
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, item: In) -> Out:
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._task is None or self._task.done():
            # Started on the next turn of the loop, so callers of this turn join the group.
            self._task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            group = self._waiting[: self._max_group]
            del self._waiting[: self._max_group]
            try:
                results = await self._flush([item for item, _ in group])
            except asyncio.CancelledError:
                group += self._waiting
                self._waiting = []
                _settle(group, [asyncio.CancelledError()] * len(group))
                raise
            except Exception as exc:
                results = [exc] * len(group)
            _settle(group, results)


def _settle(
    group: Sequence[tuple[object, asyncio.Future[Out]]], results: Sequence[Out | BaseException]
) -> None:
    for (_item, future), result in zip(group, results, strict=True):
        if future.done():
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)
