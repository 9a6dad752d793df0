"""``newsmon sources list|add|remove`` and ``newsmon status``: the sources stored in Redis.

``sources add`` validates exactly as the config file does (the same checks and messages) and
stores nothing when anything is wrong; running daemons pick a change up at their next claim.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from monitor.cli.common import aligned, config_of, report_done, report_removal
from monitor.config import Config, source_from_table
from monitor.sources import registry as sources
from monitor.store.backend import open_store


def _config(args: argparse.Namespace) -> Config:
    return config_of(args, missing_ok=True)


async def list_sources(args: argparse.Namespace) -> int:
    async with open_store(_config(args)) as store:
        listed = await sources.listing(store)
    if args.json:
        for item in listed:
            print(json.dumps(_listed_row(item)))
    elif not listed:
        print("no sources (add one with: newsmon sources add NAME URL)")
    for line in [] if args.json else aligned([_listed_cells(item) for item in listed]):
        print(line)
    return 0


def _listed_row(item: sources.Listed) -> dict[str, Any]:
    s = item.source
    return {
        "name": item.name,
        "url": s.url if s else None,
        "kind": s.kind if s else None,
        "interval": s.interval if s else None,
        "alert_on_first_poll": s.alert_on_first_poll if s else None,
        "follow_links": s.follow_links if s else None,
        "tier": s.tier if s else None,
        "origin": item.origin,
        "next_poll": item.next_poll,
        "polling": item.slot.leased,
        "error": item.error,
        "disabled": item.disabled,
    }


def _listed_cells(item: sources.Listed) -> list[str]:
    if item.source is None:
        return [item.name, f"INVALID: {item.error}"]
    s = item.source
    every = f"every {s.interval:g}s" if s.interval else "default interval"
    flags = [f for f, on in (("follow_links", s.follow_links),) if on]
    extra = f"[{', '.join(flags)}]" if flags else ""
    off = "DISABLED" if item.disabled else ""
    return [s.name, s.kind, f"tier {s.tier}", s.url, every, f"({item.origin})", extra, off]


async def add(args: argparse.Namespace) -> int:
    table: dict[str, Any] = {"name": args.name, "url": args.url, "kind": args.kind}
    if args.interval is not None:
        table["interval"] = args.interval
    if args.tier is not None:
        table["tier"] = args.tier  # a string: validated as the config file's, with its message
    table |= {"alert_on_first_poll": args.alert_on_first_poll, "follow_links": args.follow_links}
    source = source_from_table(table)  # refuses a bad source before anything is stored
    async with open_store(_config(args)) as store:
        changed = await sources.add(store, source)
    print(
        f"{'watching' if changed else 'unchanged, polled again now:'} {source.name}: {source.url}"
    )
    return 0


async def remove(args: argparse.Namespace) -> int:
    async with open_store(_config(args)) as store:
        removed = await sources.remove(store, args.name)
    return report_removal("source", args.name, removed)


async def disable(args: argparse.Namespace) -> int:
    async with open_store(_config(args)) as store:
        done = await sources.disable(store, args.name)
    said = f"{args.name}: disabled: not polled until `newsmon sources enable`"
    return report_done("source", args.name, done, said)


async def enable(args: argparse.Namespace) -> int:
    async with open_store(_config(args)) as store:
        done = await sources.enable(store, args.name)
    said = f"{args.name}: enabled: polled now, then at its interval"
    return report_done("source", args.name, done, said)


async def status(args: argparse.Namespace) -> int:
    """Every source's health: a table on a terminal, plain columns otherwise, or JSON lines."""
    config = _config(args)
    async with open_store(config) as store:
        rows = await sources.status_rows(store, config)
        daemons = await sources.live_daemons(store)
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    if not rows:
        print("no sources")
        return 0
    from monitor.cli.table import print_status  # rich, only for the readable form

    print_status(rows)
    print(_daemons_line(daemons))
    return 0


def _daemons_line(daemons: int) -> str:
    if not daemons:
        return "no daemon is running on this Redis: nothing is polled until `newsmon run`"
    return f"{daemons} daemon{'s' if daemons > 1 else ''} running on this Redis"
