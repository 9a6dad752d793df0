"""Languages (issue 18, item 4): what a text is taken to be in, declared languages of pages and
feeds, and keywords that stem each text in its own language, through the real pipeline (a
loopback HTTP server, the suite's Redis) and the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from monitor.config import SourceConfig
from monitor.poll.fetch import Fetcher
from monitor.poll.pagelang import page_language
from monitor.poll.parse import parse_feed
from monitor.poll.pipeline import Poller
from monitor.query import KeywordSpec, Matcher
from monitor.query.language import declared, stemming_language, taken_as
from monitor.store import Store
from tests.feeds import liveblog, rss
from tests.httpserver import LocalHTTPServer
from tests.test_alerts import SCHEMA
from tests.test_cli import newsmon
from tests.test_pipeline import stream

# Our own sentences, long enough to tell their language (over 20 words each).
UK = (
    "Європейський Союз ухвалив новий пакет обмежень проти Росії. Він передбачає заборону "
    "імпорту скрапленого газу, а кілька банків опинилися під санкціями, повідомили в Брюсселі."
)
RU = (
    "Европейский союз утвердил новый пакет ограничений против России. Он предусматривает "
    "запрет импорта сжиженного газа, а несколько банков оказались под санкциями, сообщили в "
    "Брюсселе."
)
EN = (
    "The European Union agreed a new package of measures against Russia on Tuesday. It bans "
    "imports of liquefied gas, and several banks were sanctioned, officials said in Brussels."
)
SANCTIONS = KeywordSpec("sanctions", "{sanctions|санкції|санкции}")


@pytest.mark.parametrize(
    ("tag", "code"),
    [("en-GB", "en"), ("uk_UA", "uk"), ("RU", "ru"), ("ua", "uk"), ("zxx", None), ("", None),
     ("x", None), ("en GB", None), (None, None)],
)  # fmt: skip
def test_declared_tags_become_language_codes(tag: str | None, code: str | None) -> None:
    assert declared(tag) == code


def test_a_long_text_is_detected_whatever_is_declared_and_a_short_one_keeps_the_declared() -> None:
    assert taken_as(UK, "en") == "uk"
    assert taken_as(RU, "uk") == "ru"
    assert taken_as(EN, None) == "en"
    assert taken_as("Sanctions on Russia", "de") == "de"  # too short to overrule the page
    assert taken_as("Sanctions on Russia", None) == "en"  # none declared: a reliable guess
    assert taken_as("Live: Kyiv under attack", None) is None  # no reliable guess
    assert taken_as("\x00\x85\ufffe" + EN, "de") == "en"  # what CLD2 refuses is blanked


def test_stemmers_by_language() -> None:
    assert [stemming_language(c) for c in ("uk", "ru", "en", "ja", None)] == [
        "ukrainian", "russian", "english", "none", "english",
    ]  # fmt: skip


def test_matches_say_which_language_the_text_was_taken_as() -> None:
    matcher = Matcher([SANCTIONS])
    assert matcher.match(UK).lang == "uk"
    assert matcher.match("Коротко", declared="uk").lang == "uk"
    off = Matcher([SANCTIONS], detect=False)  # detection off: the declared language stands
    assert off.match(UK, declared="en").lang == "en"


@pytest.mark.parametrize(
    ("head", "code"),
    [
        (b'<!doctype html><html class="js" lang="uk-UA"><head>', "uk"),
        (b"<html xml:lang='ru'><head>", "ru"),
        (b'<html><head><meta http-equiv="Content-Language" content="de-AT">', "de"),
        (b'<html><head><meta property="og:locale" content="pl_PL"/>', "pl"),
        (b"<html><head><title>lang=en</title>", None),
    ],
)
def test_the_language_a_page_declares(head: bytes, code: str | None) -> None:
    assert page_language(head) == code


def test_feed_items_take_their_own_xml_lang_else_the_feeds() -> None:
    atom = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ru">'
        "<title>t</title><entry xml:lang='uk'><title>a</title><id>1</id><summary>s</summary>"
        "</entry><entry><title>b</title><id>2</id><summary>s</summary></entry></feed>"
    )
    parsed = parse_feed(atom.encode(), "https://news.example.test/feed")
    assert [d.blocks[0].lang for d in parsed.documents] == ["uk", "ru"]


async def _poll(store: Store, source: SourceConfig, matcher: Matcher) -> Any:
    async with Fetcher(timeout=5) as fetcher:
        return await Poller(store, fetcher, lambda: matcher).poll(source)


async def test_a_mixed_language_feed_matches_each_item_in_its_own_language(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """A feed that declares Ukrainian carries Ukrainian, Russian and English items: each long
    item is taken as its own language, and the one keyword's spellings match the inflected
    forms of each (санкціями, санкциями, sanctioned); a short item keeps the feed's language."""
    matcher = Matcher([SANCTIONS])
    old = ("old", "Підсумки дня", "Нічого нового.")
    http_server.put("/feed.xml", rss([old], language="uk-UA"))
    source = SourceConfig("mixed", http_server.url("/feed.xml"))
    assert (await _poll(store, source, matcher)).status == "baseline"
    items = [("uk", "Нові обмеження", UK), ("ru", "Новые ограничения", RU),
             ("en", "New measures", EN), ("short", "Коротко", "Нові санкції.")]  # fmt: skip
    http_server.put("/feed.xml", rss([*items, old], language="uk-UA"))
    result = await _poll(store, source, matcher)
    assert (result.status, result.alerts) == ("changed", 4)
    alerts = {a["item"]["title"]: a for a in await stream(store)}
    for alert in alerts.values():
        jsonschema.validate(alert, SCHEMA)
    taken = {
        title: (a["item"]["lang"], [t["after"] for t in a["terms"]]) for title, a in alerts.items()
    }
    assert taken == {
        "Нові обмеження": ("uk", [1]),
        "Новые ограничения": ("ru", [1]),
        "New measures": ("en", [1]),
        "Коротко": ("uk", [1]),
    }


async def test_a_page_that_declares_the_wrong_language_is_read_in_its_own(
    store: Store, http_server: LocalHTTPServer
) -> None:
    """A Ukrainian live blog whose template says lang="en": its long update is taken as
    Ukrainian, so "санкції" finds "санкціями", and lang:uk holds; its short one keeps "en"."""
    matcher = Matcher(
        [KeywordSpec("uk", "санкції AND lang:uk"), KeywordSpec("en", "Брюсселі lang:en")]
    )
    first = ("u1", "2022-02-15T09:00:00Z", "Ранок", "Тихо.")
    http_server.put("/live", liveblog([first], lang="en"), "text/html; charset=utf-8")
    source = SourceConfig("live", http_server.url("/live"), "page")
    assert (await _poll(store, source, matcher)).status == "baseline"
    new = ("u2", "2022-02-15T10:00:00Z", "Санкції", UK)
    short = ("u3", "2022-02-15T10:05:00Z", "Брюсселі", "Коротко.")
    http_server.put("/live", liveblog([short, new, first], lang="en"), "text/html; charset=utf-8")
    assert (await _poll(store, source, matcher)).alerts == 2
    alerts = {a["block"]["headline"]: a for a in await stream(store)}
    assert alerts["Санкції"]["block"]["lang"] == "uk"
    assert [(t["name"], t["after"]) for t in alerts["Санкції"]["terms"]] == [("uk", 2)]
    assert alerts["Брюсселі"]["block"]["lang"] == "en"
    assert [t["name"] for t in alerts["Брюсселі"]["terms"]] == ["en"]


def test_keywords_test_shows_the_language_each_text_was_taken_as(
    newsmon_cmd: list[str], tmp_path: Path
) -> None:
    text = newsmon(newsmon_cmd, "keywords", "test", "{Київ|Kyiv} санкції", "У Києві санкції",
                   "--config", "x.toml")  # fmt: skip
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("text: 2 matches [in uk]")
    page = tmp_path / "live.html"
    update = ("u1", "2022-02-15T10:00:00Z", "Санкції", UK)
    page.write_text(liveblog([update], lang="en"), encoding="utf-8")
    found = newsmon(newsmon_cmd, "keywords", "test", "санкції", "--file", str(page),
                    "--config", "x.toml")  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert "Санкції: 2 matches [in uk; the page says en]" in found.stdout
    miss = newsmon(newsmon_cmd, "keywords", "test", "санкции", EN, "--config", "x.toml")
    assert miss.returncode == 1 and "text: no match [in en]" in miss.stdout
    titled = newsmon(newsmon_cmd, "keywords", "test", "title:sanctions", "Budget\nNew sanctions",
                     "--config", "x.toml")  # fmt: skip
    assert titled.returncode == 1, titled.stdout  # a text's first line is its title
