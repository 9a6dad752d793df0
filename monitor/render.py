"""Alerts and matches as a person reads them in a terminal."""

from __future__ import annotations

import textwrap
from typing import Any

_WIDTH = 100


def alert_text(alert: dict[str, Any]) -> str:
    """A few readable lines for one alert."""
    block = alert.get("block") or {}
    item = alert.get("item") or {}
    headline = block.get("headline") or item.get("title") or "(untitled)"
    lines = [
        f"{alert.get('detected_at', '')}  {alert.get('type')}  [{alert.get('source')}]  {headline}"
    ]
    url = block.get("url") or item.get("url")
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
    if not alert.get("terms") and not edit:
        body = block.get("text") or item.get("text") or ""
        if body:
            lines.append(_wrap(body[:280] + ("…" if len(body) > 280 else "")))
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


def _wrap(text: str) -> str:
    return textwrap.fill(
        " ".join(text.split()), width=_WIDTH, initial_indent="    ", subsequent_indent="      "
    )
