"""``newsmon check OLD NEW``: diff two snapshots offline and print the alerts they make."""

from __future__ import annotations

import argparse
import asyncio

from monitor.cli.common import config_of
from monitor.cli.subscribe import print_alert
from monitor.config import Config
from monitor.documents import Parsed, read_source
from monitor.errors import ConfigError, NewsmonError
from monitor.fetch import Failed, Fetched, Fetcher
from monitor.query import KeywordSpec, Matcher
from monitor.snapshots import OfflineMonitor


async def check(args: argparse.Namespace) -> int:
    """The alerts NEW makes after OLD, with the config's keywords and the ``--keyword`` ones."""
    config = config_of(args, missing_ok=True)
    specs = {k.name: k for k in config.keywords}
    # Trying a changed version of a watched keyword is what check is for: the option wins.
    specs |= {spec.name: spec for spec in map(_keyword_option, args.keyword)}
    monitor = OfflineMonitor(Matcher(list(specs.values())))
    # Both snapshots are versions of one document: the NEW location names it.
    monitor.feed(await snapshot(config, args.old, args.kind, as_url=args.new))
    alerts = monitor.feed(await snapshot(config, args.new, args.kind))
    for alert in alerts:
        print_alert(alert, args.json)
    if not args.json:
        print(f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''}")
    return 0


def _keyword_option(value: str) -> KeywordSpec:
    name, sep, query = value.partition("=")
    if not sep or not name.strip() or not query.strip():
        raise ConfigError(f"--keyword {value!r}: must be NAME=QUERY")
    return KeywordSpec(name.strip(), query.strip())


async def snapshot(config: Config, where: str, kind: str, as_url: str | None = None) -> Parsed:
    """A path or URL fetched once and read as ``kind`` (feed, page or auto)."""
    m = config.monitor
    async with Fetcher(timeout=m.timeout, max_bytes=m.max_bytes, user_agent=m.user_agent) as f:
        got = await f.fetch(where)
    if isinstance(got, Failed):
        raise NewsmonError(f"{where}: {got.error}")
    if not isinstance(got, Fetched):  # no validators were sent, so never a 304
        raise NewsmonError(f"{where}: unexpected answer")
    url = as_url or where
    return await asyncio.to_thread(read_source, kind, got.body, url, got.content_type)
