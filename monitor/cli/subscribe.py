"""``newsmon subscribe``: print alerts as they reach the stream, resuming after outages."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from monitor.cli.common import config_of
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
