"""``newsmon forward``: alerts to a webhook and Apprise URLs, or the config's ``[[forward]]``."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any

import aiohttp

from monitor import logs
from monitor.cli.common import config_of
from monitor.config import ForwardConfig, forward_table, parse_duration
from monitor.errors import ConfigError
from monitor.forward import AppriseTarget, Route, Target, Webhook
from monitor.forward import forward as run_forward
from monitor.store.backend import open_store


async def forward(args: argparse.Namespace) -> int:
    """Forward until SIGINT/SIGTERM (or ``--count`` alerts per group)."""
    logs.configure(getattr(args, "log_level", None) or os.environ.get("NEWSMON_LOG_LEVEL", "info"))
    config = config_of(args, missing_ok=True)
    given = [key for key, value in _desk_flags(args).items() if value is not None]
    if given and not (args.webhook or args.notify):
        flag = "--" + given[0].replace("_", "-")
        raise ConfigError(
            f"{flag} applies to a --webhook or --notify target given with it; "
            f"for the config's [[forward]] sections, set {given[0]} in the section"
        )
    sections = [_section(args)] if args.webhook or args.notify else list(config.forward)
    if not sections:
        raise ConfigError(
            "nothing to forward to: give --webhook URL or --notify URL, "
            "or [[forward]] sections in the config file"
        )
    try:
        idle = parse_duration(args.claim_idle)
    except ValueError as exc:
        raise ConfigError(str(exc), key="--claim-idle") from None
    clock = _clock(os.environ)
    async with AsyncExitStack() as stack:
        store = await stack.enter_async_context(open_store(config))
        session = await stack.enter_async_context(aiohttp.ClientSession())
        routes = [_route(section, session) for section in sections]
        await run_forward(store, routes, claim_idle=idle, count=args.count, clock=clock)
    return 0


CLOCK_VARIABLE = "NEWSMON_FORWARD_NOW"


def _clock(env: Mapping[str, str]) -> Callable[[], float]:
    """The forwarder's clock: the wall clock, or for tests (``NEWSMON_FORWARD_NOW``, an ISO
    instant) one that starts at that instant and runs at the wall clock's pace, so quiet
    hours and throttle windows can be tried without waiting for them."""
    start = env.get(CLOCK_VARIABLE)
    if not start:
        return time.time
    try:
        at = datetime.fromisoformat(start)
    except ValueError:
        raise ConfigError(
            f"{start!r}: must be an ISO instant like 2026-12-03T22:30:00Z", key=CLOCK_VARIABLE
        ) from None
    if at.tzinfo is None:
        raise ConfigError(f"{start!r}: must say its UTC offset (Z)", key=CLOCK_VARIABLE)
    offset = at.timestamp() - time.time()
    return lambda: time.time() + offset


def _section(args: argparse.Namespace) -> ForwardConfig:
    table: dict[str, Any] = {"name": args.group, "notify": args.notify, "terms": args.term,
                             "sources": args.source, "types": args.type,
                             "headers": dict(map(_header, args.header))}  # fmt: skip
    if args.webhook:
        table["webhook"] = args.webhook
    table |= {key: value for key, value in _desk_flags(args).items() if value is not None}
    return forward_table(table, "newsmon forward")


def _desk_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The desk's rules from the command line, as the config file's keys (checked alike)."""
    return {
        "per_story": args.per_story or None,
        "story_digest": args.story_digest,
        "quiet_hours": args.quiet_hours,
        "timezone": args.timezone,
        "throttle": args.throttle,
    }


def _header(value: str) -> tuple[str, str]:
    name, sep, text = value.partition(":")
    if not sep or not name.strip():
        raise ConfigError(f"--header {value!r}: must be 'Name: value'")
    return name.strip(), text.strip()


def _route(section: ForwardConfig, session: aiohttp.ClientSession) -> Route:
    targets: list[Target] = []
    if section.webhook:
        targets.append(Webhook(section.webhook, session, dict(section.headers)))
    targets += [AppriseTarget(url) for url in section.notify]

    def wanted(alert: dict[str, Any]) -> bool:
        if section.sources and alert.get("source") not in section.sources:
            return False
        if section.types and alert.get("type") not in section.types:
            return False
        named = {t.get("name") for t in alert.get("terms", [])}
        return not section.terms or bool(named & set(section.terms))

    return Route(section.name, targets, wanted, section.rules)
