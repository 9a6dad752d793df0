"""What the pages say, read as HTML from a real server on loopback over the session's Redis:
a past error as past with its time, health in plain words, an edit marked in its text, one
passage for two keywords, times labelled with their zone, the query syntax as a page."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import html as lxml_html

from tests.feeds import rss
from tests.httpserver import LocalHTTPServer
from tests.test_e2e import Newsmon
from tests.test_web_api import put_all, typed
from tests.webserver import call

EDITED = "More than 150,000 troops are massed near the long border."


def run_once(
    tmp_path: Path, newsmon_cmd: list[str], redis_url: str, prefix: str, url: str, code: int = 0
) -> None:
    (tmp_path / "run.toml").write_text(
        f'[redis]\nprefix = "{prefix}"\n[[sources]]\nname = "wire"\nurl = "{url}"\nkind = "feed"\n'
    )
    ran = Newsmon(newsmon_cmd, tmp_path / "run.toml", {"NEWSMON_REDIS_URL": redis_url}).run(
        "run", "--once"
    )
    assert ran.returncode == code, ran.stderr


def _row(page: str, name: str) -> lxml_html.HtmlElement:
    (row,) = lxml_html.fromstring(page).xpath(f'//tr[@data-name="{name}"]')
    return row


async def test_an_error_a_later_poll_got_past_is_shown_as_past_with_its_time(
    tmp_path: Path, prefix: str, redis_url: str, http_server: LocalHTTPServer,
    newsmon_cmd: list[str], site: str,
) -> None:  # fmt: skip
    url = http_server.url("/wire/feed.xml")
    run_once(tmp_path, newsmon_cmd, redis_url, prefix, url, code=1)  # nothing there yet: a 404
    _, page = await call("GET", site + "sources")
    cell = _row(page, "wire").find_class("error-cell")[0]
    assert "current" in cell.classes and "404" in cell.text_content()
    assert "(past)" not in cell.text_content()
    (failing,) = cell.xpath(".//time/@datetime")
    http_server.put("/wire/feed.xml", rss([("w1", "Banks", "Sanctions hit two banks.")]))
    for action in ("disable", "enable"):  # due now, not after its backoff
        assert (await call("POST", site + f"api/sources/wire/{action}"))[0] == 200
    run_once(tmp_path, newsmon_cmd, redis_url, prefix, url)
    _, rows = await call("GET", site + "api/sources")
    assert rows[0]["failures"] == 0 and rows[0]["last_error_at"], rows
    _, page = await call("GET", site + "sources")
    row = _row(page, "wire")
    cell = row.find_class("error-cell")[0]
    assert "past" in cell.classes and "current" not in cell.classes
    assert cell.text_content().startswith("(past) ") and "404" in cell.text_content()
    assert cell.xpath(".//time/@datetime") == [failing] and failing.endswith("Z")
    assert cell.xpath(".//time/@title") == [failing]
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", cell.xpath(".//time")[0].text_content()
    )
    health = row.find_class("health")[0].text_content()
    assert "_" not in health and "first poll (baseline)" in health, health


async def test_the_sources_page_speaks_plainly_and_keeps_urls_whole(
    tmp_path: Path, prefix: str, redis_url: str, http_server: LocalHTTPServer,
    newsmon_cmd: list[str], site: str,
) -> None:  # fmt: skip
    url = http_server.url("/wire/feed.xml")
    http_server.put("/wire/feed.xml", rss([("w1", "Banks", "Sanctions hit two banks.")]))
    for _ in range(2):  # the second poll is answered 304
        run_once(tmp_path, newsmon_cmd, redis_url, prefix, url)
    _, page = await call("GET", site + "sources")
    row = _row(page, "wire")
    assert row.find_class("health")[0].text_content() == "not modified since last poll HTTP 304"
    link = lxml_html.fromstring(page).xpath('//link[@rel="icon"]/@href')
    assert link and (await call("GET", site + link[0].lstrip("/")))[0] == 200
    (shown,) = row.find_class("url")
    assert shown.text_content() == url
    assert len(list(shown.iter("wbr"))) == url.count("/") - 1  # after "://" and each "/" then
    assert "<wbr>" not in page.split("127.0.0.1", 1)[1].split(":", 1)[0]


async def test_an_edit_is_marked_in_its_text_on_the_wall_and_its_page(
    site: str, redis_url: str, prefix: str
) -> None:
    edit = typed(1, "block.edited")
    edit["block"]["text"] = EDITED
    start = EDITED.index("150,000")
    edit["edit"] = {
        "added": ["150,000", "long"], "removed": ["130,000"], "numbers_changed": True,
        "marks": [{"start": start, "end": start + 7, "removed": "130,000"},
                  {"start": EDITED.index("long"), "end": EDITED.index("long") + 4, "removed": ""}],
    }  # fmt: skip
    (sid,) = put_all(redis_url, prefix, [edit])
    _, wall = await call("GET", site)
    (card,) = lxml_html.fromstring(wall).xpath("//article")
    (shown,) = card.find_class("edited")
    assert [e.text for e in shown.iter("ins")] == ["150,000", "long"]
    assert [e.text for e in shown.iter("del")] == ["130,000"]
    assert (
        shown.text_content() == "More than 130,000150,000 troops are massed near the long border."
    )
    _, page = await call("GET", site + f"alerts/{sid}")
    doc = lxml_html.fromstring(page)
    (text,) = doc.find_class("text")
    assert [e.text for e in text.iter("ins")] == ["150,000", "long"]
    assert [e.text for e in text.iter("del")] == ["130,000"]
    added = doc.xpath('//ul[@class="diff"]/li[2]')[0].text_content()
    assert added == "Added: 150,000; long"


async def test_two_keywords_in_one_sentence_are_one_snippet_and_times_say_their_zone(
    site: str, redis_url: str, prefix: str
) -> None:
    new = typed(1, "item.new", term="sanctions")
    both = "…new **sanctions** and **troops** near the border"
    new["terms"].append({**new["terms"][0], "name": "troops"})
    new["terms"][0]["snippets"] = new["terms"][1]["snippets"] = [
        both.replace("**troops**", "troops")
    ]
    new["snippets"] = [both]
    old = typed(2, "item.new", term="x")  # written before the joint snippets
    old["terms"].append({**old["terms"][0], "name": "y"})
    put_all(redis_url, prefix, [new, old])
    _, wall = await call("GET", site)
    cards = lxml_html.fromstring(wall).xpath("//article")
    assert [[m.text for m in p.iter("mark")] for p in cards[1].find_class("snippet")] == [
        ["sanctions", "troops"]
    ]
    assert len(cards[0].find_class("snippet")) == 1  # the same snippet of two terms, once
    (stamp,) = cards[1].xpath(".//time")
    assert (stamp.get("datetime"), stamp.get("title")) == ("2026-11-25T07:00:00.000Z",) * 2
    assert stamp.text_content() == "2026-11-25 07:00:00 UTC"


async def test_the_workbench_links_to_the_query_syntax_served_as_a_page(site: str) -> None:
    _, bench = await call("GET", site + "workbench")
    (href,) = lxml_html.fromstring(bench).xpath('//label[@for="query"]//a/@href')
    status, page = await call("GET", site + href.lstrip("/"))
    doc = lxml_html.fromstring(page)
    assert status == 200 and doc.xpath("//article//h1")[0].text == "Keyword queries"
    assert "NEAR" in doc.xpath("string(//article)")


async def test_a_query_is_tried_on_the_items_of_a_feeds_first_poll_too(
    tmp_path: Path, prefix: str, redis_url: str, http_server: LocalHTTPServer,
    newsmon_cmd: list[str], site: str,
) -> None:  # fmt: skip
    """A feed's first poll keeps its body unparsed (no document stored); the workbench parses
    it when asked, and counts an item stored since (edited, here) once."""
    items = [("w1", "Banks face new sanctions", "Sanctions hit two banks."),
             ("w2", "Weather turns cold", "Snow is expected.")]  # fmt: skip
    http_server.put("/wire", rss(items))
    url = http_server.url("/wire")
    run_once(tmp_path, newsmon_cmd, redis_url, prefix, url)
    _, rows = await call("GET", site + "api/sources")
    assert rows[0]["documents"] == 0  # nothing parsed, nothing stored
    test = site + "api/keywords/test"
    status, found = await call("POST", test, json={"query": "sanction*"})
    assert status == 200 and (found["documents"], found["total"]) == (2, 1), found
    assert found["matches"][0]["document"]["title"] == "Banks face new sanctions"
    assert (await call("POST", test, json={"query": "snow", "last": 1}))[1]["total"] == 0
    edited = ("w1", "Banks face new sanctions", "Sanctions hit three banks.")
    http_server.put("/wire", rss([edited, items[1], ("w3", "Ports close", "Sanctions bite.")]))
    run_once(tmp_path, newsmon_cmd, redis_url, prefix, url)
    _, found = await call("POST", test, json={"query": "sanction*"})
    assert (found["documents"], found["total"]) == (3, 2), found
    assert {m["document"]["title"] for m in found["matches"]} == {
        "Banks face new sanctions", "Ports close"}  # fmt: skip
    assert any("three" in s for m in found["matches"] for s in m["snippets"])  # the stored one


async def test_the_sources_page_says_how_often_a_source_was_first(
    tmp_path: Path, prefix: str, redis_url: str, http_server: LocalHTTPServer,
    newsmon_cmd: list[str], site: str,
) -> None:  # fmt: skip
    """A source whose new item started a story counts one "first" on the sources page."""
    url = http_server.url("/wire/feed.xml")
    old = ("w1", "Banks", "Sanctions hit two banks.")
    http_server.put("/wire/feed.xml", rss([old]))
    run_once(tmp_path, newsmon_cmd, redis_url, prefix, url)  # the baseline: no alert, no story
    _, page = await call("GET", site + "sources")
    assert _row(page, "wire").find_class("first")[0].text_content() == "0"
    new = ("w2", "Volcano erupts in Iceland", "Lava reached the town of Grindavik overnight.")
    http_server.put("/wire/feed.xml", rss([new, old]))
    run_once(tmp_path, newsmon_cmd, redis_url, prefix, url)
    _, page = await call("GET", site + "sources")
    assert _row(page, "wire").find_class("first")[0].text_content() == "1"
