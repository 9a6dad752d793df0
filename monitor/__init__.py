"""newsmon: watch news feeds and live blogs, publish one alert per change to Redis.

The public Python surface is small on purpose: the config loader, the keyword spec, a
subscribe helper, and the alert format's JSON Schema. Everything else is the ``newsmon``
command's business and may change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.alerttypes import Alert
    from monitor.client import subscribe
    from monitor.config import Config, load_config
    from monitor.query import KeywordSpec

__all__ = ["Alert", "Config", "KeywordSpec", "alert_schema", "load_config", "subscribe"]
__version__ = "0.1.0"


_LAZY = {
    "Alert": "monitor.alerttypes",
    "subscribe": "monitor.client",
    "Config": "monitor.config",
    "load_config": "monitor.config",
    "KeywordSpec": "monitor.query",
}


def __getattr__(name: str) -> Any:
    # Every ``newsmon`` command imports this package first: importing the Redis client and the
    # whole pipeline here would cost each command its start-up time, needed or not.
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'monitor' has no attribute {name!r}")


def alert_schema() -> dict[str, Any]:
    """The JSON Schema of an alert (also in docs/alert.schema.json)."""
    import json
    from importlib import resources  # not at import: every command imports this package

    text = resources.files("monitor").joinpath("schema/alert.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
