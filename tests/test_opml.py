"""OPML: reading what feed readers export, names, writing, and a round trip through Redis."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest

from monitor.errors import ConfigError
from monitor.sources import opml
from monitor.sources.opml import (
    NS,
    Outline,
    Subscription,
    names_for,
    read_opml,
    slug,
    write_opml,
)
from tests.test_cli import newsmon

READER = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>Mine</title></head><body>
  <outline text="World">
    <outline type="rss" text="BBC News - World" xmlUrl="https://feeds.example/world.xml"/>
    <outline type="rss" text="Le Monde &#8211; International" xmlUrl="https://lm.example/i.xml"/>
    <outline type="rss" text="Le Monde &#8211; International" xmlUrl="https://lm.example/e.xml"/>
  </outline>
  <outline type="rss" text="" xmlUrl="https://www.guardian.example/world/rss"/>
  <outline text="A site, no feed" htmlUrl="https://example.com/"/>
  <outline type="rss" text="Entity &amp; Co" xmlUrl="https://entity.example/feed"/>
</body></opml>"""


def test_feeds_are_read_from_any_folder_and_sites_without_a_feed_are_skipped() -> None:
    outlines = read_opml(READER, "mine.opml")
    assert [o.url for o in outlines] == [
        "https://feeds.example/world.xml",
        "https://lm.example/i.xml",
        "https://lm.example/e.xml",
        "https://www.guardian.example/world/rss",
        "https://entity.example/feed",
    ]
    assert all(o.kind == "feed" for o in outlines)
    assert outlines[-1].title == "Entity & Co"


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cr3t")
    data = (
        f'<!DOCTYPE opml [<!ENTITY x SYSTEM "{secret.as_uri()}">]><opml><body>'
        '<outline text="&x;" xmlUrl="https://x.example/feed"/></body></opml>'
    ).encode()
    with pytest.raises(ConfigError, match="external entity") as caught:
        read_opml(data, "evil.opml")
    assert "s3cr3t" not in str(caught.value)


def test_names_are_valid_unique_and_come_from_titles_or_urls() -> None:
    outlines = read_opml(READER, "mine.opml")
    names = names_for(outlines, taken=["bbc-news-world"])
    assert names == [
        "bbc-news-world-2",
        "le-monde-international",
        "le-monde-international-2",
        "guardian.example-world-rss",
        "entity-co",
    ]
    assert slug("Café ★ Noticias") == "cafe-noticias" and slug("—") == ""
    assert len(slug("x" * 200)) == 80


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<opml><body><outline", "not well-formed XML"),
        (b"<rss version='2.0'/>", "not OPML: the root element is <rss>"),
        (b"<opml version='2.0'><head/></opml>", "not OPML: no <body>"),
    ],
)
def test_a_broken_file_is_refused_naming_it(data: bytes, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        read_opml(data, "broken.opml")
    assert "broken.opml" in str(caught.value)


def lines_run_in_opml(call: Callable[[], Any]) -> int:
    """How many lines of monitor/sources/opml.py ``call`` runs: work counted, not timed."""
    count = 0

    def trace(frame: Any, event: str, _arg: Any) -> Any:
        nonlocal count
        if frame.f_code.co_filename != opml.__file__:
            return None
        count += event == "line"
        return trace

    sys.settrace(trace)
    try:
        call()
    finally:
        sys.settrace(None)
    return count


def same_titles(count: int, title: str = "Same") -> list[Outline]:
    return [Outline(title, f"https://x.example/{i}.xml") for i in range(count)]


def test_naming_repeated_titles_is_linear_work() -> None:
    """Each repeat tried every suffix from -2 up: 20,000 "Same" took 110 s of CPU."""
    small = lines_run_in_opml(lambda: names_for(same_titles(500)))
    large = lines_run_in_opml(lambda: names_for(same_titles(2000)))
    assert large < 4.5 * small, (small, large)  # quadratic work would be about 16 times
    names = names_for(same_titles(20_000), taken=["same-3"])
    assert names[:4] == ["same", "same-2", "same-4", "same-5"]
    assert names[-1] == "same-20001" and len(set(names)) == 20_000
    mixed = names_for([Outline("Same 2", "https://x.example/a"), *same_titles(3)])
    assert mixed == ["same-2", "same", "same-3", "same-4"]


def test_a_file_over_the_outline_cap_is_refused_naming_it() -> None:
    many = '<outline text="x" xmlUrl="https://x.example/f"/>' * (opml.MAX_OUTLINES + 1)
    with pytest.raises(ConfigError, match="more than 50,000 outlines") as caught:
        read_opml(f"<opml><body>{many}</body></opml>".encode(), "huge.opml")
    assert "huge.opml" in str(caught.value)
    just = many[: -len('<outline text="x" xmlUrl="https://x.example/f"/>')]
    assert len(read_opml(f"<opml><body>{just}</body></opml>".encode(), "big.opml")) == 50_000


def test_what_is_written_reads_back_the_same() -> None:
    subs = [
        Subscription("wire", "https://x.example/feed?a=1&b=2", "feed"),
        Subscription("live", "https://x.example/live", "page", 90.0),
    ]
    text = write_opml(subs)
    assert read_opml(text.encode(), "out.opml") == [
        Outline("wire", "https://x.example/feed?a=1&b=2", "feed", None),
        Outline("live", "https://x.example/live", "page", "90s"),
    ]


def test_a_tier_is_read_from_newsmon_tier_or_a_bare_tier_and_written_back() -> None:
    text = (
        f'<opml version="2.0" xmlns:newsmon="{NS}"><body>'
        '<outline text="ap" xmlUrl="https://ap.example/f" newsmon:tier="1"/>'
        '<outline text="blog" xmlUrl="https://b.example/f" tier="3"/>'
        '<outline text="both" xmlUrl="https://c.example/f" newsmon:tier="1" tier="3"/>'
        '<outline text="plain" xmlUrl="https://d.example/f"/>'
        "</body></opml>"
    )
    assert [o.tier for o in read_opml(text.encode(), "t.opml")] == ["1", "3", "1", None]
    written = write_opml([Subscription("ap", "https://ap.example/f", "feed", None, 1),
                          Subscription("bbc", "https://b.example/f", "feed")])  # fmt: skip
    assert 'newsmon:tier="1"' in written and written.count("tier=") == 1  # not for tier 2
    assert [o.tier for o in read_opml(written.encode(), "out.opml")] == ["1", None]


def test_an_outline_with_a_bad_tier_is_refused_naming_it_and_nothing_is_stored(
    newsmon_cmd: list[str], tmp_path: Path, redis_url: str, prefix: str
) -> None:
    config = tmp_path / "m.toml"
    config.write_text(f'[redis]\nprefix = "{prefix}"\n')
    path = tmp_path / "tiers.opml"
    path.write_text(
        f'<opml version="2.0" xmlns:newsmon="{NS}"><body>'
        '<outline text="ap" xmlUrl="https://ap.example/f" newsmon:tier="1"/>'
        '<outline text="odd" xmlUrl="https://o.example/f" newsmon:tier="top"/>'
        "</body></opml>"
    )
    env = {"NEWSMON_REDIS_URL": redis_url}
    got = newsmon(newsmon_cmd, "sources", "import", str(path), "--config", str(config), env=env)
    assert got.returncode == 2, got.stdout
    assert "outline 2 (title 'odd').tier: must be 1 (official or wire)" in got.stderr
    assert str(path) in got.stderr
    listed = newsmon(newsmon_cmd, "sources", "list", "--json", "--config", str(config), env=env)
    assert listed.stdout == ""


def test_import_export_import_gives_the_same_sources(
    newsmon_cmd: list[str], tmp_path: Path, redis_url: str, prefix: str
) -> None:
    env = {"NEWSMON_REDIS_URL": redis_url}
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text(f'[redis]\nprefix = "{prefix}"\n')
    second.write_text(f'[redis]\nprefix = "{prefix}-again"\n')
    (tmp_path / "mine.opml").write_bytes(READER)
    got = newsmon(newsmon_cmd, "sources", "import", str(tmp_path / "mine.opml"), "--config",
                  str(first), env=env)  # fmt: skip
    assert got.returncode == 0, got.stderr
    assert got.stdout.splitlines()[-1] == f"imported 5 sources from {tmp_path / 'mine.opml'}"
    added = newsmon(newsmon_cmd, "sources", "add", "live", "https://x.example/live", "--kind",
                    "page", "--interval", "90s", "--tier", "1", "--config", str(first),
                    env=env)  # fmt: skip
    assert added.returncode == 0, added.stderr
    again = newsmon(newsmon_cmd, "sources", "import", str(tmp_path / "mine.opml"), "--config",
                    str(first), env=env)  # fmt: skip
    assert "imported 0 sources" in again.stdout and "(5 already watched)" in again.stdout
    exported = tmp_path / "out.opml"
    out = newsmon(newsmon_cmd, "sources", "export", "-o", str(exported), "--config", str(first),
                  env=env)  # fmt: skip
    assert out.returncode == 0, out.stderr
    back = newsmon(newsmon_cmd, "sources", "import", str(exported), "--config", str(second),
                   env=env)  # fmt: skip
    assert back.returncode == 0, back.stderr

    def listed(config: Path) -> list[tuple[str, str, str, float | None, int]]:
        rows = newsmon(newsmon_cmd, "sources", "list", "--json", "--config", str(config), env=env)
        return [
            (r["name"], r["url"], r["kind"], r["interval"], r["tier"])
            for r in map(json.loads, rows.stdout.splitlines())
        ]

    assert len(listed(first)) == 6 and listed(second) == listed(first)
    assert [row[4] for row in listed(second)].count(1) == 1  # the page's tier came back


def test_import_of_a_bad_outline_stores_nothing(
    newsmon_cmd: list[str], tmp_path: Path, redis_url: str, prefix: str
) -> None:
    env = {"NEWSMON_REDIS_URL": redis_url}
    config = tmp_path / "m.toml"
    config.write_text(f'[redis]\nprefix = "{prefix}"\n')
    bad = tmp_path / "bad.opml"
    bad.write_text(
        '<opml version="2.0"><body><outline text="ok" xmlUrl="https://x.example/a"/>'
        '<outline text="Old FTP" xmlUrl="ftp://x.example/b"/></body></opml>'
    )
    got = newsmon(newsmon_cmd, "sources", "import", str(bad), "--config", str(config), env=env)
    assert got.returncode == 2
    assert "outline 2 (title 'Old FTP').url: must be http" in got.stderr
    assert "bad.opml" in got.stderr
    rows = newsmon(newsmon_cmd, "sources", "list", "--json", "--config", str(config), env=env)
    assert rows.stdout == ""


def opml_file(tmp_path: Path, *outlines: tuple[str, str]) -> Path:
    body = "".join(
        f"<outline text={quoteattr(title)} xmlUrl={quoteattr(url)}/>" for title, url in outlines
    )
    path = tmp_path / "in.opml"
    path.write_text(f'<opml version="2.0"><body><outline text="folder">{body}</outline></body>'
                    "</opml>")  # fmt: skip
    return path


def test_import_refuses_a_url_the_fetcher_cannot_read_naming_the_outline(
    newsmon_cmd: list[str], tmp_path: Path, redis_url: str, prefix: str
) -> None:
    """An outline's javascript: URL was imported ("watching js: javascript:alert(1)")."""
    from tests.test_config import BAD_URLS

    env = {"NEWSMON_REDIS_URL": redis_url}
    config = tmp_path / "m.toml"
    config.write_text(f'[redis]\nprefix = "{prefix}"\n')
    for url, reason in [(u, r) for u, r in BAD_URLS if "\x00" not in u]:  # XML holds no NUL
        path = opml_file(tmp_path, ("ok", "https://x.example/a"), ("x", url))
        got = newsmon(newsmon_cmd, "sources", "import", str(path), "--config", str(config),
                      "--allow-files", env=env)  # fmt: skip
        assert got.returncode == 2, (url, got.stdout)
        assert "outline 3 (title 'x').url: " in got.stderr and reason in got.stderr, got.stderr
    rows = newsmon(newsmon_cmd, "sources", "list", "--json", "--config", str(config), env=env)
    assert rows.stdout == ""


def test_a_local_file_in_an_opml_file_is_watched_only_with_allow_files(
    newsmon_cmd: list[str], tmp_path: Path, redis_url: str, prefix: str
) -> None:
    """An OPML file could make newsmon read /etc/passwd without a word."""
    env = {"NEWSMON_REDIS_URL": redis_url}
    config = tmp_path / "m.toml"
    config.write_text(f'[redis]\nprefix = "{prefix}"\n')
    for local in ("file:///etc/passwd", "/etc/passwd"):
        path = opml_file(tmp_path, ("ok", "https://x.example/a"), ("Secrets", local))
        got = newsmon(newsmon_cmd, "sources", "import", str(path), "--config", str(config),
                      env=env)  # fmt: skip
        assert got.returncode == 2, got.stdout
        assert "outline 3 (title 'Secrets').url: a local file" in got.stderr
        assert "--allow-files" in got.stderr and str(path) in got.stderr
    rows = newsmon(newsmon_cmd, "sources", "list", "--json", "--config", str(config), env=env)
    assert rows.stdout == ""
    allowed = newsmon(newsmon_cmd, "sources", "import", str(path), "--config", str(config),
                      "--allow-files", env=env)  # fmt: skip
    assert allowed.returncode == 0, allowed.stderr
    assert "watching secrets: /etc/passwd" in allowed.stdout
