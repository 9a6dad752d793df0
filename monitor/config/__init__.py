"""The config file, parsed once at the edge into frozen typed values.

Every error names the file, the key and what is wrong, e.g.
``sources[2].interval: must be a duration like "90s" or "5m" (config/monitor.toml)``, and is
raised before anything starts. Environment variables override the file where a deployment
needs it: ``NEWSMON_CONFIG`` (the file), ``NEWSMON_REDIS_URL`` and ``NEWSMON_DATA_DIR``.

The package's parts: ``model`` (the frozen values), ``load`` (the file and the environment),
``reader`` (typed access to a table, and how errors name the place), ``units`` (durations,
sizes, thresholds), ``sections`` (``[redis]``, ``[monitor]``, ``[stories]``,
``[[keywords]]``), ``sources`` (``[[sources]]`` and a source's record in Redis) and
``forward`` (``[[forward]]`` with a desk's rules). Import the names from here: the modules are
how the package is kept readable, not its interface. Like the rest of layer 1 it imports no
Redis client, fetcher, parser or story index, so a command that only reads its config stays
fast to start.
"""

from __future__ import annotations

from monitor.config.forward import (
    ALERT_TYPES,
    DESK_KEYS,
    FORWARD_KEYS,
    forward_from,
    forward_table,
    parse_story_digest,
    parse_throttle,
)
from monitor.config.load import DEFAULT_PATH, config_from_mapping, config_path, load_config
from monitor.config.model import (
    DEFAULT_TIER,
    MAX_ALERTS,
    MAX_ITEMS,
    TIERS,
    Config,
    ForwardConfig,
    MonitorConfig,
    RedisConfig,
    SourceConfig,
    StoriesConfig,
)
from monitor.config.reader import NAME_PATTERN
from monitor.config.sections import check_keyword_name
from monitor.config.sources import (
    parse_tier,
    record_origin,
    source_from_record,
    source_from_table,
    source_record,
)
from monitor.config.units import (
    bounded,
    parse_deadline,
    parse_duration,
    parse_interval,
    parse_size,
    parse_threshold,
    parse_timeout,
    parse_window,
)
from monitor.errors import ConfigError

__all__ = [
    "ALERT_TYPES",
    "DEFAULT_PATH",
    "DEFAULT_TIER",
    "DESK_KEYS",
    "FORWARD_KEYS",
    "MAX_ALERTS",
    "MAX_ITEMS",
    "NAME_PATTERN",
    "TIERS",
    "Config",
    "ConfigError",
    "ForwardConfig",
    "MonitorConfig",
    "RedisConfig",
    "SourceConfig",
    "StoriesConfig",
    "bounded",
    "check_keyword_name",
    "config_from_mapping",
    "config_path",
    "forward_from",
    "forward_table",
    "load_config",
    "parse_deadline",
    "parse_duration",
    "parse_interval",
    "parse_size",
    "parse_story_digest",
    "parse_threshold",
    "parse_throttle",
    "parse_tier",
    "parse_timeout",
    "parse_window",
    "record_origin",
    "source_from_record",
    "source_from_table",
    "source_record",
]
