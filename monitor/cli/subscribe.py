"""``newsmon subscribe``: print alerts as they reach the stream, resuming after outages; with
``--stories``, a story's copies as one opening line and short lines as outlets join
(cli/storylines.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from monitor.cli.common import config_of
from monitor.cli.storylines import StoryLines
from monitor.client import alert_filter, follow
from monitor.config import Config
from monitor.errors import StoreError
from monitor.render import alert_text
from monitor.store import Store
from monitor.store.backend import open_store


async def subscribe(args: argparse.Namespace) -> int:
    """Print the alerts that pass the ``--term``/``--source`` filters (``--count`` of them)."""
    config = config_of(args, missing_ok=True)
    async with open_store(config) as store:
        if not args.json and sys.stdout.isatty():
            print(_connected(config, args.replay), file=sys.stderr, flush=True)
        if args.stories:
            return await _follow_stories(store, args)
        return await _follow(store, args)


def _connected(config: Config, replay: int) -> str:
    """The one line a person watching sees first: that it works, where, and from when."""
    start = f"the newest {replay} alerts, then new ones" if replay else "new alerts from now on"
    where = f"{config.redis_label()}, key prefix {config.redis.prefix!r}"
    return f"newsmon: connected to {where}; showing {start} (Ctrl-C to stop)"


async def _follow(store: Store, args: argparse.Namespace) -> int:
    wanted = alert_filter(args.term, args.source)
    shown = 0
    async for alert in follow(store, replay=args.replay, on_error=_reconnecting):
        if wanted(alert):
            print_alert(alert, args.json)
            shown += 1
            if args.count and shown >= args.count:
                return 0
    return 0


async def _follow_stories(store: Store, args: argparse.Namespace) -> int:
    """As ``_follow``, but alerts of a story go through ``StoryLines``: a reader task fills a
    queue so that a group of joins is printed when it is due even while no alert comes."""
    queue: asyncio.Queue[dict[str, Any] | BaseException] = asyncio.Queue(1000)
    reader = asyncio.create_task(_read_into(store, args, queue))
    lines, taken = StoryLines(args.json), 0
    try:
        while not args.count or taken < args.count:
            item = await _next(queue, lines.next_due())
            if isinstance(item, BaseException):
                raise item
            if item is not None:
                _show(lines, item, args.json)
                taken += 1
            _print_lines(lines.due(time.monotonic()))
        return 0
    finally:
        reader.cancel()
        _print_lines(lines.flush())  # a join waiting in its group is printed all the same


async def _read_into(
    store: Store, args: argparse.Namespace, queue: asyncio.Queue[dict[str, Any] | BaseException]
) -> None:
    wanted = alert_filter(args.term, args.source)
    try:
        async for alert in follow(store, replay=args.replay, on_error=_reconnecting):
            if wanted(alert):
                await queue.put(alert)
    except Exception as exc:  # handed to the printing loop, which raises it
        await queue.put(exc)


async def _next(
    queue: asyncio.Queue[dict[str, Any] | BaseException], due: float | None
) -> dict[str, Any] | BaseException | None:
    """The next alert, or None when the next group falls due first."""
    wait = None if due is None else max(due - time.monotonic(), 0.0)
    try:
        return await asyncio.wait_for(queue.get(), wait)
    except TimeoutError:
        return None


def _show(lines: StoryLines, alert: dict[str, Any], as_json: bool) -> None:
    found = lines.take(alert, time.monotonic())
    if found is None:
        print_alert(alert, as_json)
    else:
        _print_lines(found)


def _print_lines(lines: list[str]) -> None:
    for line in lines:
        print(line, flush=True)


def _reconnecting(exc: StoreError, delay: float) -> None:
    print(f"newsmon: {exc}; reconnecting in {delay:.1f}s", file=sys.stderr, flush=True)


def print_alert(alert: dict[str, Any], as_json: bool) -> None:
    """One alert: a JSON line, or readable text (in colour on a terminal)."""
    if not as_json and sys.stdout.isatty():
        from monitor.cli.show import print_styled  # rich, only for a person watching

        print_styled(alert)
        return
    text = json.dumps(alert, ensure_ascii=False) if as_json else alert_text(alert) + "\n"
    print(text, flush=True)
