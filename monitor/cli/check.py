"""``newsmon check OLD NEW``: diff two snapshots offline and print the alerts they make."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from monitor.cli.common import config_of
from monitor.cli.subscribe import print_alert
from monitor.config import Config
from monitor.errors import ConfigError, NewsmonError, UsageError
from monitor.poll.documents import Parsed, read_source
from monitor.poll.fetch import Failed, Fetched, Fetcher
from monitor.poll.parse import looks_like_feed
from monitor.poll.snapshots import OfflineMonitor
from monitor.query import KeywordSpec, Matcher


async def check(args: argparse.Namespace) -> int:
    """The alerts NEW makes after OLD, with the config's keywords and the ``--keyword`` ones."""
    config = config_of(args, missing_ok=True)
    specs = {k.name: k for k in config.keywords}
    # Trying a changed version of a watched keyword is what check is for: the option wins.
    specs |= {spec.name: spec for spec in map(_keyword_option, args.keyword)}
    monitor = OfflineMonitor(Matcher(list(specs.values())))
    old, new = await fetched(config, args.old), await fetched(config, args.new)
    old_kind, new_kind = kind_of(args.kind, old), kind_of(args.kind, new)
    if old_kind != new_kind:
        print(_MIXED.format(old=old_kind, new=new_kind), file=sys.stderr)
    # Both snapshots are versions of one document: the NEW location names it.
    monitor.feed(await _read(old, old_kind, args.new))
    alerts = monitor.feed(await _read(new, new_kind, args.new))
    for alert in alerts:
        print_alert(alert, args.json)
    if not args.json:
        print(f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''}")
    return 0


_MIXED = (
    "newsmon: warning: OLD is a {old} and NEW a {new}: they are not two versions of one "
    "source, so all of NEW reads as new"
)


def _keyword_option(value: str) -> KeywordSpec:
    name, sep, query = value.partition("=")
    if not sep or not name.strip() or not query.strip():
        raise ConfigError(f"--keyword {value!r}: must be NAME=QUERY")
    return KeywordSpec(name.strip(), query.strip())


async def fetched(config: Config, where: str) -> Fetched:
    """A path or URL fetched once; a local path that does not exist is a usage error."""
    if "://" not in where and not Path(where).exists():
        raise UsageError(f"{where}: no such file")
    m = config.monitor
    async with Fetcher(timeout=m.timeout, max_bytes=m.max_bytes, user_agent=m.user_agent) as f:
        got = await f.fetch(where)
    if isinstance(got, Failed):
        raise NewsmonError(f"{where}: {got.error}")
    if not isinstance(got, Fetched):  # no validators were sent, so never a 304
        raise NewsmonError(f"{where}: unexpected answer")
    return got


def kind_of(kind: str, got: Fetched) -> str:
    """``feed`` or ``page``: as asked, or as the body looks."""
    if kind != "auto":
        return kind
    return "feed" if looks_like_feed(got.body, got.content_type) else "page"


async def snapshot(config: Config, where: str, kind: str) -> Parsed:
    """A path or URL fetched once and read as ``kind`` (feed, page or auto)."""
    got = await fetched(config, where)
    return await _read(got, kind_of(kind, got), where)


async def _read(got: Fetched, kind: str, url: str) -> Parsed:
    return await asyncio.to_thread(read_source, kind, got.body, url, got.content_type)
