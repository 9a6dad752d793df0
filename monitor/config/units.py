"""Durations, sizes and thresholds as the config file, the command line and the API write them.

Each parser takes the raw value and returns seconds, bytes or a fraction, or raises
ValueError with the message a reader puts after the key's name (``must be a duration like
"90s" or "5m"``), so every place that reads a duration says the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}


def parse_duration(value: object) -> float:
    """Seconds from a duration such as "90s", "5m", "1.5h" or a bare number of seconds."""
    if isinstance(value, bool):
        raise ValueError('must be a duration like "90s" or "5m"')
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _DURATION_UNITS[m.group(2) or "s"]
    else:
        raise ValueError('must be a duration like "90s" or "5m"')
    if seconds <= 0:
        raise ValueError("must be longer than zero")
    return seconds


def bounded(low: float, high: float, label: str) -> Callable[[object], float]:
    """A duration parser that also refuses values outside [low, high] seconds."""

    def parse(value: object) -> float:
        seconds = parse_duration(value)
        if not low <= seconds <= high:
            raise ValueError(f"must be between {label}")
        return seconds

    return parse


# A poll more often than once a second is abuse of the site; one less often than monthly is
# a forgotten source. A request may take up to 10 minutes.
parse_interval = bounded(1.0, 30 * 86_400.0, '"1s" and "30d"')
parse_timeout = bounded(0.1, 600.0, '"0.1s" and "10m"')
parse_deadline = bounded(1.0, 3600.0, '"1s" and "1h"')
parse_window = bounded(60.0, 30 * 86_400.0, '"1m" and "30d"')


def non_negative_duration(value: object) -> float:
    """A duration that may be zero (``jitter = 0``), at most a day."""
    if value in (0, "0", "0s"):
        return 0.0
    seconds = parse_duration(value)
    if seconds > 86_400:
        raise ValueError('must be between "0s" and "1d"')
    return seconds


def parse_size(value: object) -> int:
    """Bytes from a size such as "10MB", "512KiB" or a bare number of bytes."""
    if isinstance(value, bool):
        raise ValueError('must be a size like "10MB" or a number of bytes')
    if isinstance(value, int):
        size = value
    elif isinstance(value, str) and (m := _SIZE.match(value)):
        size = int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])
    else:
        raise ValueError('must be a size like "10MB" or a number of bytes')
    if size <= 0:
        raise ValueError("must be larger than zero")
    return size


def parse_threshold(value: object) -> float:
    """A similarity threshold: a number above 0 and at most 1."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number above 0 and at most 1")
    if not 0 < value <= 1:
        raise ValueError("must be above 0 and at most 1")
    return float(value)
