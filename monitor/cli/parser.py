"""The command line of ``newsmon``, and nothing else: building it imports no command.

Each command names its handler as ``module:function`` under ``monitor.cli``; ``main`` imports
that module only when the command runs, so ``newsmon --help`` or ``keywords list`` never load
the fetcher, the parsers or the scheduler.
"""

from __future__ import annotations

import argparse
from typing import Any


def build() -> argparse.ArgumentParser:
    """The ``newsmon`` parser with every command."""
    common = _common()
    parser = argparse.ArgumentParser(
        prog="newsmon",
        parents=[common],
        description="Watch news feeds and live blogs; publish an alert per change to Redis.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _run(sub, common)
    _subscribe(sub, common)
    _keywords(sub, common)
    _check(sub, common)
    _sources(sub, common)
    _config_commands(sub, common)
    _forward(sub, common)
    _web(sub, common)
    _redis(sub, common)
    _stories(sub, common)
    status = sub.add_parser("status", parents=[common], help="every source's health, as a table")
    status.add_argument("--json", action="store_true", help="one JSON object a line")
    status.set_defaults(handler="sources:status")
    return parser


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        help="config file (default: $NEWSMON_CONFIG or config/monitor.toml)",
    )
    common.add_argument(
        "--log-level", default=argparse.SUPPRESS, help="debug, info, warning, error"
    )
    return common


def _run(sub: Any, common: argparse.ArgumentParser) -> None:
    run = sub.add_parser("run", parents=[common], help="run the monitor daemon")
    run.add_argument("--once", action="store_true", help="poll every source once and exit")
    run.add_argument(
        "--force",
        action="store_true",
        help="with --once: also poll sources that are backing off, rate-limited or gone",
    )
    run.add_argument(
        "--metrics-port",
        type=_port,
        metavar="N",
        help="serve Prometheus /metrics, /healthz and /readyz on this port (off by default)",
    )
    run.add_argument(
        "--metrics-host", default="127.0.0.1", help="the address to serve them on (127.0.0.1)"
    )
    run.add_argument("--token", help=_TOKEN_HELP + "; off loopback the pages need one")
    run.set_defaults(handler="run:run")


_TOKEN_HELP = "the web pages' and API's token (default: $NEWSMON_WEB_TOKEN)"


def _web(sub: Any, common: argparse.ArgumentParser) -> None:
    web = sub.add_parser(
        "web", parents=[common], help="serve the alert wall, keyword workbench and sources pages"
    )
    web.add_argument("--host", default="127.0.0.1", help="the address to listen on (127.0.0.1)")
    web.add_argument("--port", type=_port, default=8477, help="the port (8477)")
    web.add_argument("--token", help=_TOKEN_HELP + "; required off loopback")
    web.set_defaults(handler="web:web")


def _redis(sub: Any, common: argparse.ArgumentParser) -> None:
    redis = sub.add_parser("redis", parents=[common], help="how to reach the Redis in use")
    rsub = redis.add_subparsers(dest="action", required=True, metavar="ACTION")
    url = rsub.add_parser(
        "url", parents=[common], help="print its URL (the embedded server's, with its password)"
    )
    url.add_argument("--cli", action="store_true", help="print a redis-cli command line instead")
    url.set_defaults(handler="redisinfo:url")


def _subscribe(sub: Any, common: argparse.ArgumentParser) -> None:
    subscribe = sub.add_parser("subscribe", parents=[common], help="print alerts as they come")
    subscribe.add_argument("--json", action="store_true", help="one JSON object a line")
    subscribe.add_argument("--term", action="append", default=[], metavar="NAME")
    subscribe.add_argument("--source", action="append", default=[], metavar="NAME")
    subscribe.add_argument("--replay", type=count, default=0, metavar="N")
    subscribe.add_argument("--count", type=count, default=0, metavar="N", help="stop after N")
    subscribe.add_argument(
        "--stories",
        action="store_true",
        help="a story's first report as one line, then one short line as outlets join it",
    )
    subscribe.set_defaults(handler="subscribe:subscribe")


def _keywords(sub: Any, common: argparse.ArgumentParser) -> None:
    keywords = sub.add_parser("keywords", parents=[common], help="manage the watched keywords")
    ksub = keywords.add_subparsers(dest="action", required=True, metavar="ACTION")
    klist = ksub.add_parser("list", parents=[common], help="list the watched keywords")
    klist.add_argument("--json", action="store_true")
    klist.set_defaults(handler="keywords:list_keywords")
    add = ksub.add_parser("add", parents=[common], help="watch a keyword (or change its query)")
    add.add_argument("name")
    add.add_argument("query")
    add.add_argument(
        "--language",
        default="auto",
        help='stemming language, "none", or "auto" (the default: each text in its own language)',
    )
    add.set_defaults(handler="keywords:add")
    remove = ksub.add_parser("remove", parents=[common], help="stop watching a keyword")
    remove.add_argument("name")
    remove.set_defaults(handler="keywords:remove")
    test = ksub.add_parser("test", parents=[common], help="show what a query matches")
    test.add_argument("query")
    test.add_argument("text", nargs="?", help="text to match (or --file / --url)")
    test.add_argument("--file", help="a page, feed or text file")
    test.add_argument("--url", help="a page or feed to fetch")
    test.add_argument("--language", default="auto")
    test.set_defaults(handler="keywords:test")


def _check(sub: Any, common: argparse.ArgumentParser) -> None:
    check = sub.add_parser(
        "check", parents=[common], help="diff two snapshots offline and print the alerts"
    )
    check.add_argument("old", help="path or URL of the earlier snapshot")
    check.add_argument("new", help="path or URL of the later snapshot")
    check.add_argument("--kind", choices=["auto", "feed", "page"], default="auto")
    check.add_argument(
        "--keyword",
        action="append",
        default=[],
        metavar="NAME=QUERY",
        help="also watch this; a config keyword of the same name is replaced by it",
    )
    check.add_argument("--json", action="store_true", help="one JSON object a line")
    check.set_defaults(handler="check:check")


def _sources(sub: Any, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("sources", parents=[common], help="manage the watched sources")
    ssub = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = ssub.add_parser("list", parents=[common], help="list the watched sources")
    listing.add_argument("--json", action="store_true", help="one JSON object a line")
    listing.set_defaults(handler="sources:list_sources")
    add = ssub.add_parser("add", parents=[common], help="watch a source (or change it)")
    add.add_argument("name")
    add.add_argument("url", help="http(s)://, file:// or a path")
    add.add_argument("--kind", default="feed", help='"feed" (default) or "page"')
    add.add_argument("--interval", help='e.g. "90s" or "5m" (default: [monitor] interval)')
    add.add_argument("--alert-on-first-poll", action="store_true")
    add.add_argument("--follow-links", action="store_true", help="feeds: poll the items' pages")
    add.add_argument(
        "--tier", default=None, metavar="N", help="1 official/wire, 2 default, 3 low (default 2)"
    )
    add.set_defaults(handler="sources:add")
    remove = ssub.add_parser("remove", parents=[common], help="stop watching a source")
    remove.add_argument("name")
    remove.set_defaults(handler="sources:remove")
    for action, what in (
        ("disable", "stop polling a source, keeping it"),
        ("enable", "poll a disabled source again"),
    ):
        switch = ssub.add_parser(action, parents=[common], help=what)
        switch.add_argument("name")
        switch.set_defaults(handler=f"sources:{action}")
    imports = ssub.add_parser("import", parents=[common], help="watch the feeds of an OPML file")
    imports.add_argument("file", help="an OPML file, as feed readers export them")
    imports.add_argument(
        "--allow-files",
        action="store_true",
        help="also watch outlines that name a local file (file:// or a path)",
    )
    imports.set_defaults(handler="opml:import_opml")
    export = ssub.add_parser("export", parents=[common], help="print the sources as OPML")
    export.add_argument("--output", "-o", help="write to this file instead")
    export.set_defaults(handler="opml:export_opml")


def _config_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("config", parents=[common], help="check a config file")
    csub = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = csub.add_parser(
        "check", parents=[common], help="validate the config and print what it would watch"
    )
    check.set_defaults(handler="configcheck:check")


def _forward(sub: Any, common: argparse.ArgumentParser) -> None:
    fwd = sub.add_parser(
        "forward",
        parents=[common],
        help="deliver alerts to a webhook or Apprise URLs (else the config's [[forward]])",
    )
    fwd.add_argument("--webhook", metavar="URL", help="POST each alert's JSON here")
    fwd.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="send this header with each webhook POST (a shared secret)",
    )
    fwd.add_argument(
        "--notify",
        action="append",
        default=[],
        metavar="URL",
        help="an Apprise URL (slack://, tgram://, discord://, mailto://, ntfy://, …)",
    )
    fwd.add_argument("--term", action="append", default=[], metavar="NAME")
    fwd.add_argument("--source", action="append", default=[], metavar="NAME")
    fwd.add_argument("--type", action="append", default=[], metavar="TYPE")
    fwd.add_argument("--group", default="forward", help="the consumer group (default: forward)")
    fwd.add_argument(
        "--claim-idle",
        default="60s",
        metavar="DURATION",
        help="take over alerts another forwarder left this long (default: 60s)",
    )
    fwd.add_argument("--count", type=count, default=0, metavar="N", help="stop after N alerts")
    _desk_rules(fwd)
    fwd.set_defaults(handler="forward:forward")


def _desk_rules(fwd: argparse.ArgumentParser) -> None:
    rules = fwd.add_argument_group("a desk's rules (see docs/forwarding.md)")
    rules.add_argument(
        "--per-story",
        action="store_true",
        help="a story's first report at once, then digests of the outlets that join it",
    )
    rules.add_argument(
        "--story-digest",
        metavar="DURATION",
        help="with --per-story: at most one digest of a story this often (default: 30m)",
    )
    rules.add_argument(
        "--quiet-hours",
        metavar="HH:MM-HH:MM",
        help="hold alerts in these hours, then send them as one digest (tier 1 breaks through)",
    )
    rules.add_argument(
        "--timezone", metavar="ZONE", help="the quiet hours' time zone (default: UTC)"
    )
    rules.add_argument(
        "--throttle",
        metavar="N[/DURATION]",
        help="at most N alerts per keyword an hour (or per DURATION); the rest in a digest",
    )


def _stories(sub: Any, common: argparse.ArgumentParser) -> None:
    from monitor.stories.model import DEFAULT_DUPLICATE, DEFAULT_THRESHOLD

    group = sub.add_parser("stories", parents=[common], help="story threads across sources")
    ssub = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    cluster = ssub.add_parser(
        "cluster",
        parents=[common],
        help="group a JSON-lines file of items into stories, offline (no Redis)",
        description="Read one JSON object a line (id, source, published, title, summary; "
        "optional lang, url), take the items in published order through the daemon's story "
        'index and print one line a item: {"id": ..., "story": ..., "first": true|false}. '
        "A file with bad lines is refused whole, each bad line named.",
    )
    cluster.add_argument("items", metavar="ITEMS.jsonl", help='the items ("-" reads stdin)')
    cluster.add_argument(
        "--window", default="48h", help="a story ends this long after its last report (48h)"
    )
    cluster.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"similarity to a story at which an item joins it, 0-1 ({DEFAULT_THRESHOLD})",
    )
    cluster.add_argument(
        "--duplicate",
        type=float,
        default=DEFAULT_DUPLICATE,
        help=f"share of terms making an item a copy of one in a story, 0-1 ({DEFAULT_DUPLICATE})",
    )
    cluster.set_defaults(handler="stories:cluster")


def _port(value: str) -> int:
    number = count(value)
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError("must be a TCP port, 1 to 65535")
    return number


def count(value: str) -> int:
    """A whole number, 0 or more (``--count``, ``--replay``)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number
