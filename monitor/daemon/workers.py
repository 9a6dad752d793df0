"""Parse worker processes, started only when a body is big enough to need them.

Most polls parse a few KB (a 304 parses nothing; a changed feed, its new items), which costs
less on the event loop than a hop to another process. A process pool costs about a second of
CPU to start, so it starts on the first big body, and a ``run --once`` that meets none starts
no process at all.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import ParamSpec, TypeVar

from monitor.daemon.lifeline import die_with_parent

P = ParamSpec("P")
T = TypeVar("T")


class LazyPool(Executor):
    """A process pool that starts on its first task."""

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        if self._pool is None:
            self._pool = _process_pool(self._workers)
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def make_executor(workers: int) -> Executor | None:
    """Worker processes for big parses (None: the event loop's default thread pool)."""
    if workers == 1:
        return None
    return LazyPool(workers or os.cpu_count() or 1)


def _process_pool(workers: int) -> ProcessPoolExecutor:
    ctx = multiprocessing.get_context("forkserver")
    # The forkserver and the workers die with their parent: nothing outlives a killed daemon.
    ctx.set_forkserver_preload(["monitor.daemon._forkserver", "monitor.poll.documents"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=die_with_parent)
