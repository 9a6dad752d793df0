"""``newsmon config check``: validate a config file and say what it would watch."""

from __future__ import annotations

import argparse

from monitor.cli.common import aligned, config_of
from monitor.config import DEFAULT_TIER, Config


async def check(args: argparse.Namespace) -> int:
    """Print the file's settings, sources and keywords (exit 2, naming the key, if invalid)."""
    config = config_of(args)
    for line in describe(config):
        print(line)
    return 0


def describe(config: Config) -> list[str]:
    """The config in a few readable lines."""
    m = config.monitor
    lines = [
        f"{config.path}: valid",
        f"redis     {config.redis_label()}, key prefix {config.redis.prefix!r}",
        f"polling   every {m.interval:g}s (jitter {m.jitter:g}s), timeout {m.timeout:g}s, "
        f"at most {m.max_bytes} bytes, {m.concurrency} at once",
        f"sources   {len(config.sources)}",
    ]
    watched = [
        [s.name, s.kind, s.url, f"every {config.interval_of(s):g}s", _tier(s.tier)]
        for s in config.sources
    ]
    lines += aligned(watched, indent="  ")
    lines.append(f"keywords  {len(config.keywords)}")
    lines += aligned([[k.name, k.query] for k in config.keywords], indent="  ")
    return lines


def _tier(tier: int) -> str:
    """A tier other than the default, as a column ("" for tier 2, which most sources are)."""
    return "" if tier == DEFAULT_TIER else f"tier {tier}"
