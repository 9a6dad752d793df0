"""``newsmon stories cluster ITEMS.jsonl``: cluster items into stories offline, no Redis.

The items go, in published order, through the same StoryIndex the daemon uses; one JSON line
a report says its story and whether it started it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from monitor.config import parse_duration
from monitor.errors import UsageError
from monitor.stories import StoryIndex, StorySettings
from monitor.stories.items import ItemsError, read_items


async def cluster(args: argparse.Namespace) -> int:
    """Print each item's story; exit 2, printing none, when the file has bad lines."""
    settings = _settings(args)
    lines, where = _lines(args.items)
    try:
        reports = read_items(lines, where)
    except ItemsError as exc:
        raise UsageError(str(exc)) from None
    index = StoryIndex(settings)
    out = sys.stdout
    for report in reports:
        ref = index.assign(report)
        out.write(
            json.dumps({"id": report.id, "story": ref.id, "first": ref.first}, ensure_ascii=False)
            + "\n"
        )
    return 0


def _settings(args: argparse.Namespace) -> StorySettings:
    try:
        window = parse_duration(args.window)
    except ValueError as exc:
        raise UsageError(f"--window {args.window!r}: {exc}") from None
    try:
        return StorySettings(window=window, threshold=args.threshold, duplicate=args.duplicate)
    except ValueError as exc:
        raise UsageError(f"--{exc}") from None


def _lines(name: str) -> tuple[list[str], str]:
    if name == "-":
        return sys.stdin.read().splitlines(), "<stdin>"
    path = Path(name)
    try:
        return path.read_text(encoding="utf-8").splitlines(), name
    except FileNotFoundError:
        raise UsageError(f"{name}: no such file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{name}: {exc.strerror}") from None
