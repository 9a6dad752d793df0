"""Items to cluster offline (``newsmon stories cluster``): JSON lines read into reports.

A file is checked whole before any item is clustered, so a bad file prints no stories: every
bad line is named (up to ``MAX_PROBLEMS`` of them) with the field at fault.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from monitor.stories.model import Report, epoch

MAX_PROBLEMS = 20
_REQUIRED = ("id", "source", "published", "title", "summary")


@dataclass(frozen=True, slots=True)
class ItemsError(ValueError):
    """A file of items that cannot be clustered, and why (``line N: field: reason`` each)."""

    where: str
    problems: tuple[str, ...]
    more: int  # bad lines beyond those listed

    def __str__(self) -> str:
        listed = "\n".join(f"  {self.where}:{problem}" for problem in self.problems)
        tail = f"\n  ... and {self.more} more bad lines" if self.more else ""
        count = len(self.problems) + self.more
        return f"{self.where}: {count} bad lines, nothing clustered\n{listed}{tail}"


def read_items(lines: Iterable[str], where: str) -> list[Report]:
    """The reports of a file's lines (blank lines skipped), in published order (ties: in the
    order read); ItemsError when any line is bad."""
    reports: list[Report] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = _report(line)
        except ValueError as exc:
            problems.append(f"{number}: {exc}")
            continue
        if item.id in first_line:
            problems.append(f"{number}: id: {item.id!r} is already on line {first_line[item.id]}")
            continue
        first_line[item.id] = number
        reports.append(item)
    if problems:
        raise ItemsError(
            where, tuple(problems[:MAX_PROBLEMS]), max(0, len(problems) - MAX_PROBLEMS)
        )
    return sorted(reports, key=lambda r: r.seen)  # stable: equal times keep the file's order


def _report(line: str) -> Report:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg}, column {exc.colno})") from None
    if not isinstance(item, dict):
        raise ValueError("not a JSON object")
    for key in _REQUIRED:
        if key not in item:
            raise ValueError(f"{key}: missing")
        if not isinstance(item[key], str):
            raise ValueError(f"{key}: must be a string, not {type(item[key]).__name__}")
    for key in ("id", "source"):
        if not item[key].strip():
            raise ValueError(f"{key}: must not be empty")
    for key in ("lang", "url"):
        if item.get(key) is not None and not isinstance(item[key], str):
            raise ValueError(f"{key}: must be a string or null, not {type(item[key]).__name__}")
    seen = _epoch(item["published"])
    return Report(
        item["id"], item["source"], seen, item["title"], item["summary"], item.get("lang")
    )


def _epoch(published: str) -> float:
    try:
        return epoch(published)
    except ValueError:
        raise ValueError(
            f'published: {published[:40]!r} is not an ISO 8601 time like "2026-10-04T21:30:20Z"'
        ) from None
