"""``[[forward]]`` sections: a forwarder's targets, its filters and its desk's rules.

The config file and ``newsmon forward --section`` read a section by the same rules; the rules
themselves (quiet hours, throttle, per-story digests) are values of ``monitor.desk``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitor.config.model import ForwardConfig
from monitor.config.reader import Reader, strings, tables, unique_name
from monitor.config.units import bounded
from monitor.desk import STORY_DIGEST, DeskRules, Throttle, parse_quiet_hours, parse_zone
from monitor.sources.urls import http_url_problem

ALERT_TYPES = ("item.new", "block.new", "block.edited", "block.removed")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
DESK_KEYS = ("per_story", "story_digest", "quiet_hours", "timezone", "throttle")
FORWARD_KEYS = ("webhook", "headers", "notify", "terms", "sources", "types", *DESK_KEYS)


def forward_sections(items: list[Any], path: Path | None) -> tuple[ForwardConfig, ...]:
    """The ``[[forward]]`` sections of a config file, names unique."""
    found: list[ForwardConfig] = []
    seen: set[str] = set()
    for r in tables(items, "forward", path):
        r.only("name", *FORWARD_KEYS)
        found.append(forward_from(r, unique_name(r, seen, "forward")))
    return tuple(found)


def forward_table(table: Mapping[str, Any], where: str) -> ForwardConfig:
    """A forward section given on the command line, validated like the config file's."""
    r = Reader(table, where, None)
    return forward_from(r, unique_name(r, set(), "forward"))


def forward_from(r: Reader, name: str) -> ForwardConfig:
    """One forward section, read through ``r``, as the consumer group ``name``."""
    webhook = r.get("webhook", str, "") or None
    problem = None if webhook is None else http_url_problem(webhook)
    if problem is not None:
        raise r.fail("webhook", problem)
    notify = strings(r, "notify")
    if webhook is None and not notify:
        raise r.fail(None, "needs a webhook or at least one notify URL")
    types = strings(r, "types")
    unknown = sorted(set(types) - set(ALERT_TYPES))
    if unknown:
        raise r.fail("types", f"unknown {unknown[0]!r}; use: {', '.join(ALERT_TYPES)}")
    headers = tuple(r.get("headers", dict, {}).items())
    for key, value in headers:
        if not _HEADER_NAME.match(key) or not isinstance(value, str) or "\n" in value:
            raise r.fail(f"headers.{key}", "must be a header name with a one-line string value")
    return ForwardConfig(name, webhook, headers, notify, strings(r, "terms"),
                         strings(r, "sources"), types, _desk_rules(r))  # fmt: skip


def _desk_rules(r: Reader) -> DeskRules:
    zone = r.convert("timezone", parse_zone, parse_zone("UTC"))
    quiet = r.convert("quiet_hours", lambda v: parse_quiet_hours(v, zone), None)
    return DeskRules(
        per_story=r.get("per_story", bool, False),
        story_digest=r.convert("story_digest", parse_story_digest, STORY_DIGEST),
        quiet=quiet,
        throttle=r.convert("throttle", parse_throttle, None),
    )


parse_story_digest = bounded(1.0, 86_400.0, '"1s" and "1d"')


def parse_throttle(value: object) -> Throttle:
    """A throttle from a whole number (alerts per keyword an hour) or "N/DURATION" ("3/15m")."""
    limit, window = value, "1h"
    if isinstance(value, str):
        count, _, per = value.partition("/")
        limit = int(count) if count.strip().isdigit() else None
        window = per.strip() or window
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError('must be a whole number of alerts an hour, 1 or more, or like "3/15m"')
    try:
        seconds = bounded(60.0, 86_400.0, '"1m" and "1d"')(window)
    except ValueError as exc:
        raise ValueError(f"the window {exc}") from None
    return Throttle(limit, seconds)
