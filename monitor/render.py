"""Alerts and matches as a person reads them in a terminal."""

from __future__ import annotations

import textwrap
from typing import Any

_WIDTH = 100


def headline(alert: dict[str, Any]) -> str:
    """What an alert is about in one line: the block's headline, else the item's title ("" if
    it has neither)."""
    block, item = _parts(alert)
    return str(block.get("headline") or item.get("title") or "")


def link(alert: dict[str, Any]) -> str | None:
    """Where the change can be read: the block's permalink, else the item's URL."""
    block, item = _parts(alert)
    url = block.get("url") or item.get("url")
    return str(url) if url else None


def opening(alert: dict[str, Any], limit: int = 280) -> str:
    """The start of the changed text, cut at ``limit`` characters ("" if there is none)."""
    block, item = _parts(alert)
    body = str(block.get("text") or item.get("text") or "")
    return body[:limit] + ("…" if len(body) > limit else "")


def alert_text(alert: dict[str, Any]) -> str:
    """A few readable lines for one alert."""
    title = headline(alert) or "(untitled)"
    lines = [
        f"{alert.get('detected_at', '')}  {alert.get('type')}  [{alert.get('source')}]  {title}"
    ]
    url = link(alert)
    if url:
        lines.append(f"    {url}")
    edit = alert.get("edit")
    if edit:
        for run in edit.get("added", [])[:3]:
            lines.append(_wrap(f"+ {run}"))
        for run in edit.get("removed", [])[:3]:
            lines.append(_wrap(f"- {run}"))
    for term in alert.get("terms", []):
        lines.append(_term_line(term))
        for snippet in term.get("snippets", [])[:2]:
            lines.append(_wrap(f"  “{snippet}”"))
    body = opening(alert)
    if not alert.get("terms") and not edit and body:
        lines.append(_wrap(body))
    return "\n".join(lines)


def _term_line(term: dict[str, Any]) -> str:
    flags = [f for f in ("appeared", "disappeared") if term.get(f)]
    numbers = ", ".join(
        f"{n['word']}: {'/'.join(n['before'])} → {'/'.join(n['after'])}"
        for n in term.get("numbers", [])
    )
    extra = f" ({', '.join(flags)})" if flags else ""
    extra += f" numbers {numbers}" if numbers else ""
    return f"    term {term['name']}: {term['before']} → {term['after']}{extra}"


def _parts(alert: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    return alert.get("block") or {}, alert.get("item") or {}


def _wrap(text: str) -> str:
    return textwrap.fill(
        " ".join(text.split()), width=_WIDTH, initial_indent="    ", subsequent_indent="      "
    )
