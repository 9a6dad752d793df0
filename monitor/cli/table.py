"""``newsmon status`` as a table (rich): boxed and cut to the width on a terminal, plain
aligned columns with nothing cut when the output goes to a file or a pipe."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

COLUMNS = (
    "source", "kind", "every", "last poll", "last ok", "http", "fails", "next poll", "docs",
    "24 h", "first", "last error",
)  # fmt: skip
_NUMERIC = frozenset({"http", "fails", "docs", "24 h", "first"})
_KEEP = frozenset({"kind", "every", "http", "fails", "docs", "24 h", "first"})  # never cut
_TIMES = frozenset({"last poll", "last ok", "next poll"})  # at least HH:MM:SS
OVERDUE_AFTER = 10.0  # seconds: daemons claim due sources every second or so


def print_status(rows: list[dict[str, Any]], console: Console | None = None) -> None:
    """Print one line per source (times in UTC)."""
    console = console or Console(highlight=False)
    plain = not console.is_terminal
    if plain:
        console = Console(width=100_000, no_color=True, highlight=False, soft_wrap=True)
    table = Table(box=None if plain else box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    names = min(24, max(len(row["source"]) for row in rows))
    for name in COLUMNS:
        table.add_column(
            name.upper() if plain else name,
            justify="right" if name in _NUMERIC else "left",
            no_wrap=True,
            overflow="ellipsis",
            min_width=_min_width(name, names),
        )
    now = datetime.now(UTC)
    for row in rows:
        table.add_row(*_cells(row, now), style=_style(row, plain))
    console.print(table)


def _min_width(name: str, names: int) -> int | None:
    if name == "source":
        return names
    if name in _TIMES:
        return 8
    return len(name) if name in _KEEP else None


def _cells(row: dict[str, Any], now: datetime) -> list[str]:
    today = now.date()
    name = row["source"] + ("" if row["watched"] else " (not watched)")
    return [
        name,
        row["kind"] or "?",
        _duration(row["interval"]),
        f"{_time(row['last_poll'], today)} {row['last_status'] or ''}".strip(),
        _time(row["last_ok"], today),
        str(row["last_http"] or ""),
        str(row["failures"] or "") + (f" {row['failure_class']}" if row["failures"] else ""),
        _next(row, now),
        str(row["documents"]),
        str(row["alerts_24h"]),
        str(row.get("stories_first", 0)),  # stories it reported first (docs/alerts.md)
        _error(row, today),
    ]


def _next(row: dict[str, Any], now: datetime) -> str:
    if row["gone"]:
        return "never (410 Gone)"
    if row["polling"]:
        return "polling now"
    if row["disabled"]:
        return "disabled"
    when = _time(row["next_poll"], now.date()) or "not scheduled"
    if _overdue(row["next_poll"], now):
        when += " overdue"
    reason = row["next_reason"]
    return f"{when} ({reason})" if reason not in (None, "interval") else when


def _overdue(stamp: str | None, now: datetime) -> bool:
    """Due longer ago than a daemon's claim takes: nothing is polling it."""
    moment = _moment(stamp)
    return moment is not None and (now - moment).total_seconds() > OVERDUE_AFTER


def _error(row: dict[str, Any], today: Any) -> str:
    if row["moved_to"]:
        return f"moved to {row['moved_to']}"
    if not row["last_error"]:
        return ""
    when = _time(row["last_error_at"], today)
    said = f"{when}: {row['last_error']}" if when else str(row["last_error"])
    # A poll that succeeds clears the failures but keeps the last error, for the record.
    return said if row["failures"] or row["gone"] else f"(past) {said}"


def _style(row: dict[str, Any], plain: bool) -> str:
    if plain:
        return ""
    if row["gone"] or row["failures"]:
        return "red"
    return "" if row["last_ok"] else "yellow"


def _time(stamp: str | None, today: Any) -> str:
    """An ISO time as HH:MM:SS today, or with its date otherwise ("" for none)."""
    moment = _moment(stamp)
    if moment is None:
        return stamp or ""
    return moment.strftime("%H:%M:%S" if moment.date() == today else "%Y-%m-%d %H:%M")


def _moment(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
