"""``newsmon run``: the daemon, or one pass over every source with ``--once``."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

import structlog

from monitor import logs
from monitor.cli.common import config_of, token_of
from monitor.config import Config
from monitor.daemon import service as daemon

if TYPE_CHECKING:
    from monitor.daemon.metrics import Metrics

log = structlog.get_logger("newsmon")


async def run(args: argparse.Namespace) -> int:
    """Run the daemon (or one pass, with a progress bar on a terminal)."""
    config = config_of(args)
    if args.once and sys.stderr.isatty():
        from monitor.cli.progress import bar  # rich, only for a person watching

        with bar() as metrics:
            _logs(args)  # after the bar took stderr over: log lines print above it
            return await _run(args, config, metrics)
    _logs(args)
    return await _run(args, config, None)


async def _run(args: argparse.Namespace, config: Config, metrics: Metrics | None) -> int:
    if not config.sources:
        log.warning("no sources configured", config=str(config.path))
    at = (args.metrics_host, args.metrics_port) if args.metrics_port else None
    return await daemon.run(config, once=args.once, force=args.force, metrics_at=at,
                            metrics=metrics, web_token=token_of(args))  # fmt: skip


def _logs(args: argparse.Namespace) -> None:
    logs.configure(getattr(args, "log_level", None) or os.environ.get("NEWSMON_LOG_LEVEL", "info"))
