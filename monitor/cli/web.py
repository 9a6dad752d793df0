"""``newsmon web``: the alert wall, keyword workbench and sources pages, and the JSON API, on
their own against Redis alone (a daemon serves the same on its ``--metrics-port``)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

import structlog

from monitor import logs
from monitor.cli.common import config_of, token_of
from monitor.store.backend import open_store
from monitor.web import build, check_binding, serving

log = structlog.get_logger("newsmon")


async def web(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM."""
    logs.configure(getattr(args, "log_level", None) or os.environ.get("NEWSMON_LOG_LEVEL", "info"))
    token = token_of(args)
    check_binding(args.host, token)  # before anything is opened
    config = config_of(args, missing_ok=True)
    async with (
        open_store(config) as store,
        serving(build(store, config, token), args.host, args.port) as url,
    ):
        log.info("serving the web pages", url=url, token="required" if token else "not required")
        received = await _until_stopped()
        log.info("stopping the web pages", signal=received)
    log.info("web stopped", url=url)
    return 0


async def _until_stopped() -> str:
    """Wait for SIGINT or SIGTERM; the name of the one that came."""
    stopped: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _settle, stopped, sig.name)
    return await stopped


def _settle(stopped: asyncio.Future[str], name: str) -> None:
    if not stopped.done():
        stopped.set_result(name)
