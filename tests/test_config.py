"""Config: defaults, overrides, and errors that name the file and the key."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.config import (
    SourceConfig,
    load_config,
    parse_duration,
    parse_size,
    source_record,
)
from monitor.errors import ConfigError
from monitor.sources import registry as sources

ROOT = Path(__file__).resolve().parents[1]

GOOD = """
[redis]
prefix = "nm"

[monitor]
interval = "90s"
max_bytes = "2MB"

[[sources]]
name = "live"
url = "https://example.test/live"
kind = "page"
interval = "1m"
alert_on_first_poll = true

[[sources]]
name = "feed"
url = "/tmp/feed.xml"

[[keywords]]
name = "sanctions"
query = "sanction*"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_is_valid() -> None:
    config = load_config(ROOT / "config" / "monitor.toml", env={})
    assert config.redis.url is None
    assert {k.name for k in config.keywords} == {"troop-pullback", "sanctions"}
    assert len(config.sources) >= 3


def test_good_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD), env={})
    assert config.redis.prefix == "nm"
    assert config.monitor.interval == 90
    assert config.monitor.max_bytes == 2_000_000
    live, feed = config.sources
    assert (live.kind, live.interval, live.alert_on_first_poll) == ("page", 60, True)
    assert config.interval_of(feed) == 90


def test_env_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    env = {"NEWSMON_CONFIG": str(path), "NEWSMON_REDIS_URL": "redis://:secret@h:1/0"}
    config = load_config(None, env=env)
    assert config.redis.url == "redis://:secret@h:1/0"
    assert config.path == path


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("[redis]\nbogus = 1", "redis.bogus", "unknown key"),
        ("[[sources]]\nname='a'\nurl='x'\ninterval='soon'", "sources[0].interval", "duration"),
        (
            "[[sources]]\nname='a'\nurl='x'\n[[sources]]\nname='a'\nurl='y'",
            "sources[1].name",
            "duplicate",
        ),
        ("[[sources]]\nname='a'\nurl='x'\nkind='video'", "sources[0].kind", '"feed" or "page"'),
        ("[[sources]]\nname='a'", "sources[0].url", "is required"),
        ("[[sources]]\nname='a b'\nurl='x'", "sources[0].name", "letters"),
        ("[[sources]]\nname='a'\nurl='ftp://x'", "sources[0].url", "http"),
        ("[monitor]\ntimeout = true", "monitor.timeout", "duration"),
        ("[monitor]\nconcurrency = '5'", "monitor.concurrency", "whole number"),
        ("[[keywords]]\nname='k'\nquery='(troops'", "keywords[0].query", "column"),
        ("[redis]\nurl='http://x'", "redis.url", "redis://"),
        ("sources = 3", "sources", "must be a list"),
        ("[monitor]\ninterval = '1ms'", "monitor.interval", 'between "1s" and "30d"'),
        ("[[sources]]\nname='a'\nurl='x'\ninterval='100000d'", "sources[0].interval", "30d"),
        ("[monitor]\ntimeout = '1h'", "monitor.timeout", 'between "0.1s" and "10m"'),
        ("[monitor]\njitter = '2d'", "monitor.jitter", '"1d"'),
        ("[monitor]\nworkers = 100", "monitor.workers", "between 0 and 64"),
        ("[monitor]\nmax_items = 0", "monitor.max_items", "between 1 and 100,000"),
        ("[monitor]\nmax_alerts = 20000", "monitor.max_alerts", "between 1 and 10,000"),
        ("[monitor]\nmax_alerts = '5'", "monitor.max_alerts", "whole number"),
        ("[monitor]\npoll_deadline = '2h'", "monitor.poll_deadline", 'between "1s" and "1h"'),
        ("[monitor]\npoll_deadline = '5s'", "monitor.poll_deadline", "at least the timeout"),
        ("[monitor]\nuser_agent = ' '", "monitor.user_agent", "must not be empty"),
        ("[redis]\nstream_maxlen = 5", "redis.stream_maxlen", "at least 100"),
        ("[redis]\nprefix = 'a:b'", "redis.prefix", "letters"),
        ("[[sources]]\nname='a*'\nurl='x'", "sources[0].name", "letters"),
        ("[[sources]]\nname='a:b'\nurl='x'", "sources[0].name", "letters"),
        ("[[sources]]\nname='café'\nurl='x'", "sources[0].name", "letters"),
        ("[[keywords]]\nname='k:1'\nquery='x'", "keywords[0].name", "letters"),
        ("[[keywords]]\nname='k'\nquery='  '", "keywords[0].query", "must not be empty"),
        (
            "[[keywords]]\nname='k'\nquery='x'\nlanguage='klingon'",
            "keywords[0].language",
            "unknown stemming language",
        ),
        ("[stories]\nenabled = 'no'", "stories.enabled", "true or false"),
        ("[stories]\nwindow = '10s'", "stories.window", 'between "1m" and "30d"'),
        ("[stories]\nthreshold = 1.5", "stories.threshold", "at most 1"),
        ("[stories]\nthreshold = '0.5'", "stories.threshold", "a number"),
        ("[stories]\nduplicate = 0", "stories.duplicate", "above 0"),
        ("[stories]\nsimilarity = 0.5", "stories.similarity", "unknown key"),
        (
            "[[sources]]\nname='a'\nurl='x'\nfollow_links='yes'",
            "sources[0].follow_links",
            "true or false",
        ),
        ("[[sources]]\nname='a'\nurl='x'\ntier=4", "sources[0].tier", "must be 1 (official"),
        ("[[sources]]\nname='a'\nurl='x'\ntier=true", "sources[0].tier", "2 (default)"),
        ("[[sources]]\nname='a'\nurl='x'\ntier=1.0", "sources[0].tier", "3 (low)"),
        ("[[sources]]\nname='a'\nurl='x'\ntier='wire'", "sources[0].tier", "must be 1"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, key: str, reason: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    message = str(err.value)
    assert message.startswith(f"{key}: ")
    assert reason in message
    assert str(path) in message


def test_unreadable_and_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", env={})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[redis\n"), env={})
    assert load_config(tmp_path / "nope.toml", env={}, missing_ok=True).sources == ()


def test_durations_and_sizes() -> None:
    assert parse_duration("5m") == 300
    assert parse_duration("1.5h") == 5400
    assert parse_duration(30) == 30
    assert parse_size("512KiB") == 524288
    for bad in ("0s", "-1m", "5 parsecs", ""):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_the_documented_config_with_every_key_loads(tmp_path: Path) -> None:
    docs = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
    block = re.search(r"```toml\n(.*?)```", docs.read_text(), re.S)
    assert block is not None
    path = tmp_path / "monitor.toml"
    path.write_text(block.group(1))
    config = load_config(path)
    assert [s.name for s in config.sources] == ["guardian-world"]
    assert [k.name for k in config.keywords] == ["troop-pullback"]
    (forward,) = config.forward
    assert forward.name == "desk" and forward.headers == (("Authorization", "Bearer s3cr3t"),)
    assert (config.monitor.max_items, config.monitor.max_alerts) == (2000, 500)
    assert (config.stories.enabled, config.stories.window) == (True, 48 * 3600)


def test_a_config_source_read_back_from_its_stored_record_is_itself(tmp_path: Path) -> None:
    """The daemon takes a config file's sources as read (not decoded again at each claim):
    that holds only while the stored record gives every field back unchanged."""
    path = write(
        tmp_path,
        '[[sources]]\nname = "wire"\nurl = "https://x.test/feed"\n\n'
        '[[sources]]\nname = "live"\nurl = "https://x.test/live"\nkind = "page"\n'
        'interval = "90s"\nalert_on_first_poll = true\nfollow_links = true\ntier = 1\n\n'
        '[[sources]]\nname = "disk"\nurl = "file:///tmp/feed.xml"\ninterval = "1h"\n'
        "tier = 3\n",
    )
    for source in load_config(path).sources:
        stored = source_record(source, "config")
        assert sources._decode(source.name, stored) == source
    assert [s.tier for s in load_config(path).sources] == [2, 1, 3]


def test_a_default_tier_leaves_a_stored_record_as_it_was_before_tiers() -> None:
    """A record stored before tiers has no ``tier``; writing the default again must not change
    it, or every source of an upgraded deployment would count as changed and be due at once."""
    wire = SourceConfig("wire", "https://x.test/feed")
    assert "tier" not in json.loads(source_record(wire, "config"))
    assert json.loads(source_record(replace(wire, tier=1), "config"))["tier"] == 1


BAD_URLS = [
    ("javascript:alert(1)", "not javascript:"),
    ("data:text/html,<b>x</b>", "not data:"),
    ("//x.example/feed", "has no scheme"),
    ("http://", "needs a host"),
    ("http:/x.example/feed", "needs a host"),
    ("http://[::1", "not a valid URL: Invalid IPv6 URL"),
    ("http://a b/", "'a b' is not a host name"),
    ("http://x.example:99999/", "Port out of range"),
    ("file://elsewhere/etc/passwd", "no other host than localhost"),
    ("https://x.example/\x00feed", "control characters"),
]


@pytest.mark.parametrize(("url", "reason"), BAD_URLS)
def test_a_source_url_the_fetcher_cannot_read_is_refused_naming_the_key(
    tmp_path: Path, url: str, reason: str
) -> None:
    """These passed (a javascript: URL was watched, and failed at every poll)."""
    first = "[[sources]]\nname = 'a'\nurl = 'https://x.example/a'\n" * 2
    first = first.replace("name = 'a'", "name = 'b'", 1)
    path = write(tmp_path, f"{first}[[sources]]\nname = 'c'\nurl = {json.dumps(url)}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert str(err.value).startswith("sources[2].url: ") and reason in str(err.value)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://x.example/feed?a=1&b=2#f",
        "HTTP://X.EXAMPLE",
        "https://user:pw@x.example:8443/f",
        "http://[::1]:8080/feed",
        "http://127.0.0.1/feed",
        "http://例え.jp/feed",
        "http://a_b.example/feed",
        "https://x.example/a b",
        "file:///var/feeds/a.xml",
        "file://localhost/var/feeds/a.xml",
        "/var/feeds/a.xml",
        "feeds/a b.xml",
    ],
)
def test_every_form_the_docs_allow_is_taken(tmp_path: Path, url: str) -> None:
    path = write(tmp_path, f"[[sources]]\nname = 'a'\nurl = {json.dumps(url)}\n")
    assert load_config(path, env={}).sources[0].url == url


def test_a_forward_webhook_needs_a_host(tmp_path: Path) -> None:
    path = write(tmp_path, "[[forward]]\nname = 'desk'\nwebhook = 'https://'\n")
    with pytest.raises(ConfigError, match=r"^forward\[0\]\.webhook: needs a host"):
        load_config(path, env={})


def test_a_toml_nested_past_the_stack_is_refused_naming_the_file(tmp_path: Path) -> None:
    """tomllib recursed into 5,000 nested arrays: RecursionError, a traceback and exit 1."""
    path = write(tmp_path, "a = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConfigError, match="not valid TOML: nested too deeply") as err:
        load_config(path, env={})
    assert str(path) in str(err.value)


def test_the_stories_defaults_are_the_story_index_defaults() -> None:
    """config keeps its own copy of [stories]' defaults (it does not import the index and its
    libraries): they must be the ones `stories cluster` and the index use."""
    from monitor.config import StoriesConfig
    from monitor.stories import StorySettings

    config, index = StoriesConfig(), StorySettings()
    assert (config.window, config.threshold, config.duplicate) == (
        index.window, index.threshold, index.duplicate)  # fmt: skip


# What a process that reads only its config must not load: the Redis client (`store/`),
# the fetcher, the parsers, the scheduler and the story index with its similarity libraries.
NOT_FOR_CONFIG = (
    "redis", "aiohttp", "lxml", "feedparser", "apscheduler", "rensa", "structlog",
    "monitor.store", "monitor.stories", "monitor.sources.registry", "monitor.poll",
)  # fmt: skip


def test_importing_config_loads_no_heavy_library() -> None:
    """`monitor.config` stays in layer 1 whatever its modules: a fresh interpreter that
    imports it and loads a config has none of the adapters' libraries in sys.modules."""
    probe = (
        "import sys\n"
        "from monitor.config import config_from_mapping\n"
        "config_from_mapping({'sources': [{'name': 'a', 'url': 'https://example.com/'}],"
        " 'keywords': [{'name': 'k', 'query': 'embargo'}]})\n"
        f"print(sorted(m for m in {NOT_FOR_CONFIG!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
