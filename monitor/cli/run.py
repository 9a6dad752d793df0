"""``newsmon run``: the daemon, or one pass over every source with ``--once``."""

from __future__ import annotations

import argparse
import os

import structlog

from monitor import daemon, logs
from monitor.cli.common import config_of

log = structlog.get_logger("newsmon")


async def run(args: argparse.Namespace) -> int:
    """Run the daemon (or one pass); the only command that logs, so it sets logging up."""
    logs.configure(getattr(args, "log_level", None) or os.environ.get("NEWSMON_LOG_LEVEL", "info"))
    config = config_of(args)
    if not config.sources:
        log.warning("no sources configured", config=str(config.path))
    at = (args.metrics_host, args.metrics_port) if args.metrics_port else None
    return await daemon.run(config, once=args.once, force=args.force, metrics_at=at)
