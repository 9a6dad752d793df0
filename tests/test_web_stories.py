"""Stories on the wall, read as HTML and JSON from a real server on loopback over the
session's Redis: a story's alerts as one card (its first report in full, "N outlets, first:
SOURCE at TIME", the others listed and expandable), and the ``story`` filter of the wall,
/api/alerts and /api/events. The alerts carry ``story`` as the daemon commits them."""

from __future__ import annotations

import json

import aiohttp
from lxml import html as lxml_html

from tests.test_client import put
from tests.test_subscribe_stories import FIRST_SEEN, story_alert
from tests.test_web_api import put_all, read_events, stream_ids, typed
from tests.webserver import call


def cards(page: str) -> list[lxml_html.HtmlElement]:
    return list(lxml_html.fromstring(page).xpath('//section[@id="alerts"]/article'))


def text(element: lxml_html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def desk(redis_url: str, prefix: str) -> list[str]:
    """Two stories and an edit, interleaved as a poll cycle commits them."""
    return put_all(redis_url, prefix, [
        story_alert(1, "wire", "s-a", 1), story_alert(2, "wire", "s-b", 1),
        story_alert(3, "ap", "s-a", 2), typed(4, "block.edited", "bbc"),
        story_alert(5, "dw", "s-a", 3), story_alert(6, "ap", "s-b", 2)])  # fmt: skip


async def test_a_storys_alerts_are_one_card_led_by_its_first_report(
    site: str, redis_url: str, prefix: str
) -> None:
    ids = desk(redis_url, prefix)
    status, page = await call("GET", site)
    assert status == 200
    b, a, edit = cards(page)  # where each card's newest alert stands
    assert [c.get("data-story") for c in (b, a, edit)] == ["s-b", "s-a", None]
    assert (a.get("data-id"), a.get("data-outlets"), b.get("data-id")) == (ids[0], "3", ids[1])
    assert "Troops return to bases (wire)" in text(a.xpath("./h2")[0])  # the first, in full
    (line,) = a.find_class("story-line")
    assert text(line) == "3 outlets, first: wire at 2026-11-25 07:00:00 UTC"
    assert line.xpath(".//time/@datetime") == [FIRST_SEEN]
    assert line.xpath('.//a[@class="story-link"]/@href') == ["/?story=s-a"]
    reports = a.xpath('.//ul[@class="reports"]/li')
    assert [r.get("data-id") for r in reports] == [ids[2], ids[4]]  # in the order they came
    assert [r.xpath(".//summary//span[@class='source']")[0].text for r in reports] == ["ap", "dw"]
    assert reports[0].xpath("./details/p/a/@href")[0] == f"/alerts/{ids[2]}"  # expandable
    assert "edited" in text(edit) and not edit.find_class("story-line")
    assert "2 outlets, first: wire" in text(b.find_class("story-line")[0])


async def test_the_wall_and_the_api_filter_by_story(site: str, redis_url: str, prefix: str) -> None:
    ids = desk(redis_url, prefix)
    _, page = await call("GET", site + "?story=s-a")
    (card,) = cards(page)
    assert card.get("data-story") == "s-a" and len(card.xpath(".//li[@class='report']")) == 2
    found = lxml_html.fromstring(page)
    assert "story=s-a&" in found.xpath('//section[@id="alerts"]/@data-query')[0]  # live too
    assert found.xpath('//form[@class="filters"]/input[@name="story"]/@value') == ["s-a"]
    assert "s-a" in text(found.get_element_by_id("story-filter"))
    status, body = await call("GET", site + "api/alerts?story=s-a")
    assert status == 200 and stream_ids(body) == [ids[4], ids[2], ids[0]]
    _, body = await call("GET", site + "api/alerts?story=s-b,s-a&source=ap")
    assert stream_ids(body) == [ids[5], ids[2]]
    _, body = await call("GET", site + "api/alerts?story=s-none")
    assert body == {"alerts": [], "next": None}


async def test_the_event_stream_filters_by_story(site: str, redis_url: str, prefix: str) -> None:
    desk(redis_url, prefix)
    async with (
        aiohttp.ClientSession() as session,
        session.get(site + "api/events?story=s-b") as response,  # from its end, headers sent
    ):
        put(redis_url, prefix, story_alert(7, "dw", "s-a", 4))
        later = put(redis_url, prefix, story_alert(8, "dw", "s-b", 3))
        (got,) = await read_events(response, 1)
    assert got["id"] == later and json.loads(got["data"])["story"]["id"] == "s-b"


async def test_a_story_whose_first_report_left_the_page_is_led_by_its_oldest_shown(
    site: str, redis_url: str, prefix: str
) -> None:
    """The first report was trimmed, or is older than the alerts the wall opens with."""
    ids = put_all(redis_url, prefix, [story_alert(2, "ap", "s-a", 2),
                                      story_alert(3, "dw", "s-a", 3)])  # fmt: skip
    _, page = await call("GET", site)
    (card,) = cards(page)
    assert card.get("data-id") == ids[0] and "(ap)" in text(card.xpath("./h2")[0])
    assert "3 outlets, first: wire at" in text(card.find_class("story-line")[0])


async def test_an_alerts_page_names_its_story_and_its_sources_tier(
    site: str, redis_url: str, prefix: str
) -> None:
    ids = desk(redis_url, prefix)
    _, page = await call("GET", site + f"alerts/{ids[2]}")
    facts = dict(zip(*(lxml_html.fromstring(page).xpath(f"//dl/{t}") for t in ("dt", "dd")),
                     strict=True))  # fmt: skip
    by_name = {text(dt): dd for dt, dd in facts.items()}
    assert text(by_name["Source"]) == "ap (tier 2)"
    assert text(by_name["Story"]).startswith("2 outlets so far, first: wire at 2026-11-25 ")
    assert by_name["Story"].xpath("./a/@href") == ["/?story=s-a"]
    _, edit = await call("GET", site + f"alerts/{ids[3]}")
    assert "<dt>Story</dt>" not in edit
