"""The web server on loopback for tests: a fixture serving the site on the session's Redis,
a config, and a request helper."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor.cli.common import config_of
from monitor.config import Config
from monitor.store import Store
from monitor.web import build, serving
from tests.httpserver import free_port


def config(tmp_path: Path, redis_url: str = "") -> Config:
    """A config with only a Redis URL (the Store handed to the site carries the prefix)."""
    path = tmp_path / "monitor.toml"
    path.write_text(f'[redis]\nurl = "{redis_url}"\n' if redis_url else "")
    return config_of(argparse.Namespace(config=str(path)), missing_ok=True)


@pytest.fixture
async def site(tmp_path: Path, store: Store) -> AsyncIterator[str]:
    """The site's base URL, served with no token on loopback for this test."""
    async with serving(build(store, config(tmp_path), None), "127.0.0.1", free_port()) as url:
        yield url


async def call(method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    """One request: (status, the JSON body decoded, or the text)."""
    async with aiohttp.ClientSession() as session, session.request(method, url, **kwargs) as r:
        body = await r.text()
        return r.status, json.loads(body) if "json" in r.content_type else body
