"""Alerts on a terminal, in colour (rich): the same lines as the plain text, with the matched
words highlighted instead of marked with ``**``."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.text import Text

from monitor.render import alert_text

_MARKED = re.compile(r"\*\*(.+?)\*\*")
_TYPES = {"item.new": "green", "block.new": "green", "block.edited": "yellow",
          "block.removed": "red"}  # fmt: skip


def print_styled(alert: dict[str, Any], console: Console | None = None) -> None:
    """Print one alert in colour, then a blank line."""
    (console or Console(highlight=False)).print(styled(alert), "")


def styled(alert: dict[str, Any]) -> Text:
    """The alert's readable lines, styled: time, type, source, headline, link, highlights."""
    head, *rest = alert_text(alert).split("\n")
    text = _head(head, alert)
    for line in rest:
        text.append("\n")
        text.append_text(_line(line))
    return text


def _head(line: str, alert: dict[str, Any]) -> Text:
    when, kind, source = (
        str(alert.get("detected_at", "")),
        str(alert.get("type")),
        alert.get("source"),
    )
    headline = line.split(f"[{source}]", 1)[-1].strip()
    text = Text()
    text.append(when, "dim")
    text.append("  ")
    text.append(kind, _TYPES.get(kind, "white"))
    text.append("  ")
    text.append(f"[{source}]", "cyan")
    text.append("  ")
    text.append(headline, "bold")
    return text


def _line(line: str) -> Text:
    stripped = line.strip()
    if stripped.startswith(("http://", "https://")):
        return Text(line, "blue underline")
    if stripped.startswith(("+ ", "- ")):
        return Text(line, "green" if stripped[0] == "+" else "red")
    text, cursor = Text(), 0
    for match in _MARKED.finditer(line):
        text.append(line[cursor : match.start()])
        text.append(match.group(1), "bold yellow")
        cursor = match.end()
    text.append(line[cursor:])
    return text
