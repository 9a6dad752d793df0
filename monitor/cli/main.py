"""The ``newsmon`` command: run, subscribe, keywords, check (sources and status: ``sources``).

Exit status: 0 success, 1 a runtime failure (Redis unreachable, a source failed with --once,
nothing matched for ``keywords test``), 2 a usage or config error (named file, key and reason).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import structlog

from monitor import daemon, logs
from monitor.cli import sources as sources_cli
from monitor.cli.common import config_of, report_removal
from monitor.client import alert_filter, follow
from monitor.config import NAME_PATTERN, Config
from monitor.documents import Parsed, read_source
from monitor.errors import ConfigError, NewsmonError, QueryError, StoreError
from monitor.fetch import Failed, Fetched, Fetcher
from monitor.query import KeywordSpec, Matcher, compile_keyword, snippets
from monitor.render import alert_text
from monitor.snapshots import OfflineMonitor
from monitor.store import Store

log = structlog.get_logger("newsmon")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``newsmon`` console script."""
    args = _parser().parse_args(argv)
    logs.configure(getattr(args, "log_level", None) or os.environ.get("NEWSMON_LOG_LEVEL", "info"))
    try:
        return int(asyncio.run(args.handler(args)))
    except (ConfigError, QueryError) as exc:
        what = "config error" if isinstance(exc, ConfigError) else "invalid query"
        print(f"newsmon: {what}: {exc}", file=sys.stderr)
        return 2
    except NewsmonError as exc:  # Redis unreachable, a snapshot that cannot be read, ...
        print(f"newsmon: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        help="config file (default: $NEWSMON_CONFIG or config/monitor.toml)",
    )
    common.add_argument(
        "--log-level", default=argparse.SUPPRESS, help="debug, info, warning, error"
    )
    parser = argparse.ArgumentParser(
        prog="newsmon",
        parents=[common],
        description="Watch news feeds and live blogs; publish an alert per change to Redis.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", parents=[common], help="run the monitor daemon")
    run.add_argument("--once", action="store_true", help="poll every source once and exit")
    run.add_argument(
        "--force",
        action="store_true",
        help="with --once: also poll sources that are backing off, rate-limited or gone",
    )
    run.set_defaults(handler=_run)

    subscribe = sub.add_parser("subscribe", parents=[common], help="print alerts as they come")
    subscribe.add_argument("--json", action="store_true", help="one JSON object a line")
    subscribe.add_argument("--term", action="append", default=[], metavar="NAME")
    subscribe.add_argument("--source", action="append", default=[], metavar="NAME")
    subscribe.add_argument("--replay", type=_count, default=0, metavar="N")
    subscribe.add_argument("--count", type=_count, default=0, metavar="N", help="stop after N")
    subscribe.set_defaults(handler=_subscribe)

    _keywords_parser(sub, common)

    check = sub.add_parser(
        "check", parents=[common], help="diff two snapshots offline and print the alerts"
    )
    check.add_argument("old", help="path or URL of the earlier snapshot")
    check.add_argument("new", help="path or URL of the later snapshot")
    check.add_argument("--kind", choices=["auto", "feed", "page"], default="auto")
    check.add_argument(
        "--keyword", action="append", default=[], metavar="NAME=QUERY", help="also watch this"
    )
    check.add_argument("--json", action="store_true", help="one JSON object a line")
    check.set_defaults(handler=_check)

    sources_cli.add_commands(sub, common)
    return parser


def _keywords_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    keywords = sub.add_parser("keywords", parents=[common], help="manage the watched keywords")
    ksub = keywords.add_subparsers(dest="action", required=True, metavar="ACTION")
    klist = ksub.add_parser("list", parents=[common], help="list the watched keywords")
    klist.add_argument("--json", action="store_true")
    klist.set_defaults(handler=_keywords_list)
    add = ksub.add_parser("add", parents=[common], help="watch a keyword (or change its query)")
    add.add_argument("name")
    add.add_argument("query")
    add.add_argument("--language", default="english", help='stemming language, or "none"')
    add.set_defaults(handler=_keywords_add)
    remove = ksub.add_parser("remove", parents=[common], help="stop watching a keyword")
    remove.add_argument("name")
    remove.set_defaults(handler=_keywords_remove)
    test = ksub.add_parser("test", parents=[common], help="show what a query matches")
    test.add_argument("query")
    test.add_argument("text", nargs="?", help="text to match (or --file / --url)")
    test.add_argument("--file", type=Path, help="a page, feed or text file")
    test.add_argument("--url", help="a page or feed to fetch")
    test.add_argument("--language", default="english")
    test.set_defaults(handler=_keywords_test)


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


def _config(args: argparse.Namespace, *, missing_ok: bool = False) -> Config:
    return config_of(args, missing_ok=missing_ok)


# run -------------------------------------------------------------------------------------


async def _run(args: argparse.Namespace) -> int:
    config = _config(args)
    if not config.sources:
        log.warning("no sources configured", config=str(config.path))
    return await daemon.run(config, once=args.once, force=args.force)


# subscribe -------------------------------------------------------------------------------


async def _subscribe(args: argparse.Namespace) -> int:
    config = _config(args, missing_ok=True)
    async with daemon.open_store(config) as store:
        return await _follow(store, args)


async def _follow(store: Store, args: argparse.Namespace) -> int:
    wanted = alert_filter(args.term, args.source)
    shown = 0
    async for alert in follow(store, replay=args.replay, on_error=_reconnecting):
        if wanted(alert):
            _print_alert(alert, args.json)
            shown += 1
            if args.count and shown >= args.count:
                return 0
    return 0


def _reconnecting(exc: StoreError, delay: float) -> None:
    print(f"newsmon: {exc}; reconnecting in {delay:.1f}s", file=sys.stderr, flush=True)


def _print_alert(alert: dict[str, Any], as_json: bool) -> None:
    text = json.dumps(alert, ensure_ascii=False) if as_json else alert_text(alert) + "\n"
    print(text, flush=True)


# keywords --------------------------------------------------------------------------------


async def _keywords_list(args: argparse.Namespace) -> int:
    config = _config(args, missing_ok=True)
    async with daemon.open_store(config) as store:
        specs = await store.keywords()
    if args.json:
        for s in specs:
            print(json.dumps({"name": s.name, "query": s.query, "language": s.language}))
    elif not specs:
        print("no keywords (add one with: newsmon keywords add NAME QUERY)")
    else:
        width = max(len(s.name) for s in specs)
        for s in specs:
            lang = "" if s.language == "english" else f"  [{s.language}]"
            print(f"{s.name:<{width}}  {s.query}{lang}")
    return 0


async def _keywords_add(args: argparse.Namespace) -> int:
    if not NAME_PATTERN.match(args.name):
        raise ConfigError(f"keyword name {args.name!r} must be letters, digits, '-', '_' or '.'")
    spec = KeywordSpec(args.name, args.query, args.language)
    compile_keyword(spec)  # refuses an invalid query before anything is stored
    config = _config(args, missing_ok=True)
    async with daemon.open_store(config) as store:
        await store.put_keywords([spec], announce="add")
    print(f"watching {spec.name}: {spec.query}")
    return 0


async def _keywords_remove(args: argparse.Namespace) -> int:
    config = _config(args, missing_ok=True)
    async with daemon.open_store(config) as store:
        removed = await store.remove_keyword(args.name)
    return report_removal("keyword", args.name, removed)


async def _keywords_test(args: argparse.Namespace) -> int:
    matcher = Matcher([KeywordSpec("query", args.query, args.language)])
    config = _config(args, missing_ok=True)
    if args.text is not None:
        texts = [("text", args.text)]
    elif args.file or args.url:
        parsed = await _snapshot(config, str(args.file or args.url), "auto")
        texts = [
            (b.headline or doc.title or doc.id, f"{b.headline}\n{b.text}")
            for doc in parsed.documents
            for b in doc.blocks
        ]
    else:
        raise ConfigError("give the TEXT to match, or --file PATH, or --url URL")
    found = 0
    for label, text in texts:
        hits = matcher.match(text).get("query")
        if hits is None:
            continue
        found += hits.count
        print(f"{label}: {hits.count} match{'es' if hits.count != 1 else ''}")
        for snippet in snippets(text, hits.spans):
            print(f"    {snippet}")
    if not found:
        print("no match")
    return 0 if found else 1


# check -----------------------------------------------------------------------------------


async def _check(args: argparse.Namespace) -> int:
    config = _config(args, missing_ok=True)
    specs = list(config.keywords) + [_keyword_option(k) for k in args.keyword]
    monitor = OfflineMonitor(Matcher(specs))
    # Both snapshots are versions of one document: the NEW location names it.
    monitor.feed(await _snapshot(config, args.old, args.kind, as_url=args.new))
    alerts = monitor.feed(await _snapshot(config, args.new, args.kind))
    for alert in alerts:
        _print_alert(alert, args.json)
    if not args.json:
        print(f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''}")
    return 0


def _keyword_option(value: str) -> KeywordSpec:
    name, sep, query = value.partition("=")
    if not sep or not name.strip() or not query.strip():
        raise ConfigError(f"--keyword {value!r}: must be NAME=QUERY")
    return KeywordSpec(name.strip(), query.strip())


async def _snapshot(config: Config, where: str, kind: str, as_url: str | None = None) -> Parsed:
    m = config.monitor
    async with Fetcher(timeout=m.timeout, max_bytes=m.max_bytes, user_agent=m.user_agent) as f:
        got = await f.fetch(where)
    if isinstance(got, Failed):
        raise NewsmonError(f"{where}: {got.error}")
    if not isinstance(got, Fetched):  # no validators were sent, so never a 304
        raise NewsmonError(f"{where}: unexpected answer")
    url = as_url or where
    return await asyncio.to_thread(read_source, kind, got.body, url, got.content_type)
