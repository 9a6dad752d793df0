"""What every handler reads from the application: the store and the config."""

from __future__ import annotations

from aiohttp import web

from monitor.config import Config
from monitor.store import Store

STORE: web.AppKey[Store] = web.AppKey("store", Store)
CONFIG: web.AppKey[Config] = web.AppKey("config", Config)
