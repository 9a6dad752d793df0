"""Which config file to read, reading it, and the environment variables that override it.

``NEWSMON_CONFIG`` names the file, ``NEWSMON_REDIS_URL`` and ``NEWSMON_DATA_DIR`` override
what it says, because a deployment (a container, a CI job) sets those where the file is shared.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from monitor.config.model import Config, MonitorConfig, RedisConfig
from monitor.config.sections import build, check_redis_url
from monitor.errors import ConfigError

DEFAULT_PATH = Path("config/monitor.toml")


def config_path(explicit: str | Path | None, env: Mapping[str, str]) -> Path:
    """The config file to read: --config, else NEWSMON_CONFIG, else config/monitor.toml."""
    if explicit:
        return Path(explicit)
    if env.get("NEWSMON_CONFIG"):
        return Path(env["NEWSMON_CONFIG"])
    return DEFAULT_PATH


def load_config(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    missing_ok: bool = False,
) -> Config:
    """Read and validate the config; ``missing_ok`` gives an empty config for a missing file."""
    env = os.environ if env is None else env
    file = config_path(path, env)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if not missing_ok:
            raise ConfigError(
                "config file not found (give --config PATH or set NEWSMON_CONFIG)", path=str(file)
            ) from None
        return _apply_env(Config(None, RedisConfig(), MonitorConfig(), (), ()), env, file)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the file: {exc}", path=str(file)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(file)) from exc
    except RecursionError:  # tomllib recurses per nested array or inline table
        raise ConfigError("not valid TOML: nested too deeply", path=str(file)) from None
    return _apply_env(build(raw, file), env, file)


def config_from_mapping(raw: Mapping[str, Any], path: Path | None = None) -> Config:
    """Validate an already-parsed TOML mapping (for tests and tools)."""
    return build(raw, path)


def _apply_env(config: Config, env: Mapping[str, str], file: Path) -> Config:
    redis, monitor = config.redis, config.monitor
    if env.get("NEWSMON_REDIS_URL"):
        url = env["NEWSMON_REDIS_URL"]
        check_redis_url(url, "NEWSMON_REDIS_URL", str(file))
        redis = RedisConfig(url, redis.prefix, redis.stream_maxlen)
    if env.get("NEWSMON_DATA_DIR"):
        monitor = replace(monitor, data_dir=Path(env["NEWSMON_DATA_DIR"]))
    return replace(config, redis=redis, monitor=monitor)
