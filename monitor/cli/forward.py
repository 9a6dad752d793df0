"""``newsmon forward``: alerts to a webhook and Apprise URLs, or the config's ``[[forward]]``."""

from __future__ import annotations

import argparse
import os
from contextlib import AsyncExitStack
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
    async with AsyncExitStack() as stack:
        store = await stack.enter_async_context(open_store(config))
        session = await stack.enter_async_context(aiohttp.ClientSession())
        routes = [_route(section, session) for section in sections]
        await run_forward(store, routes, claim_idle=idle, count=args.count)
    return 0


def _section(args: argparse.Namespace) -> ForwardConfig:
    table: dict[str, Any] = {"name": args.group, "notify": args.notify, "terms": args.term,
                             "sources": args.source, "types": args.type,
                             "headers": dict(map(_header, args.header))}  # fmt: skip
    if args.webhook:
        table["webhook"] = args.webhook
    return forward_table(table, "newsmon forward")


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

    return Route(section.name, targets, wanted)
