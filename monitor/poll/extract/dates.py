"""Machine-readable times to ISO 8601; display times ("10:11 a.m.") are never read."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_NUMBER = re.compile(r"^\d{9,13}(?:\.\d+)?$")
_MS_THRESHOLD = 1e11  # seconds since 1970 stay below this until the year 5138


def iso(value: object) -> str | None:
    """An ISO 8601 string for an ISO value or a unix timestamp (s or ms), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _NUMBER.match(text):
        return _from_epoch(float(text))
    try:
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _from_epoch(value: float) -> str | None:
    seconds = value / 1000 if value > _MS_THRESHOLD else value
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None
