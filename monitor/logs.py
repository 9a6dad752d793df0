"""structlog setup, done once by the CLI: JSON lines when stderr is not a terminal, readable
lines when it is. Modules only call ``structlog.get_logger()``."""

from __future__ import annotations

import logging
import sys

import structlog


def configure(level: str = "info", json_lines: bool | None = None) -> None:
    """Route structlog (and stdlib logging) to stderr at ``level``."""
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    # Third-party libraries (apscheduler, asyncio) log through the stdlib: keep only warnings.
    logging.basicConfig(
        level=max(numeric, logging.WARNING), stream=sys.stderr, format="%(message)s"
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
