"""What every ``newsmon`` command shares: reading the config, reporting a removal."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from monitor.config import Config, load_config


def config_of(args: argparse.Namespace, *, missing_ok: bool = False) -> Config:
    """The config file the command names (``--config``), or the default one."""
    return load_config(getattr(args, "config", None), missing_ok=missing_ok)


def report_removal(kind: str, name: str, removed: bool) -> int:
    """Say what was removed (exit 0), or that there was nothing of that name (exit 1)."""
    return report_done(kind, name, removed, f"removed {name}")


def report_done(kind: str, name: str, done: bool, said: str) -> int:
    """Print ``said`` (exit 0), or that there is no ``kind`` of that name (exit 1)."""
    if not done:
        print(f"newsmon: no {kind} named {name!r}", file=sys.stderr)
        return 1
    print(said)
    return 0


def aligned(rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    """Rows of cells as lines whose columns line up (two spaces between; the last unpadded)."""
    widths = [max(map(len, column)) for column in zip(*rows, strict=False)] if rows else []
    return [
        indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip()
        for row in rows
    ]


def token_of(args: argparse.Namespace) -> str | None:
    """The web token: ``--token``, else ``NEWSMON_WEB_TOKEN``, else None."""
    return getattr(args, "token", None) or os.environ.get("NEWSMON_WEB_TOKEN") or None
