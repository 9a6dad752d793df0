"""Issue 18's families of misses on real pages, one test each, on small pages shaped like them:
one update in several representations, slots that are not updates, microdata whose text is in
attributes, unknown repeated markup, score lines in a plain split, bylines only in JSON-LD."""

from __future__ import annotations

import json

from monitor.poll.documents import read_source
from monitor.poll.extract import extract_page, ids
from monitor.poll.snapshots import OfflineMonitor
from monitor.query import Matcher

URL = "https://live.example.test/story"
BODY_A = "The minister said the border crossings would reopen on Friday morning for freight."
BODY_B = "Rescue teams reached the village after the road was cleared of the landslide."


def _ld(updates: list[dict[str, object]]) -> str:
    blog = {"@context": "https://schema.org", "@type": "LiveBlogPosting", "url": URL}
    blog["liveBlogUpdate"] = updates
    return f'<script type="application/ld+json">{json.dumps(blog)}</script>'


def _amp_page(items: str, ld: str = "") -> str:
    return (
        f"<html><head>{ld}</head><body><amp-live-list id=live><div items>{items}</div>"
        "</amp-live-list></body></html>"
    )


def _amp_item(uid: str, head: str, text: str, ms: int) -> str:
    return f'<div id="{uid}" data-sort-time="{ms}"><h2>{head}</h2><p>{text}</p></div>'


def test_one_update_in_amp_and_jsonld_under_different_ids_is_one_block() -> None:
    ld = _ld(
        [
            {"@type": "BlogPosting", "url": f"{URL}#liveblogPost1288930", "articleBody": BODY_A},
            {"@type": "BlogPosting", "url": f"{URL}#liveblogPost1288931", "articleBody": BODY_B},
        ]
    )
    items = _amp_item("post-1288931", "Village reached", BODY_B, 1660000600000)
    items += _amp_item("post-1288930", "Crossings to reopen", BODY_A, 1660000000000)
    page = extract_page(_amp_page(items, ld), URL)
    assert [(b.id, b.headline) for b in page.blocks] == [
        ("1288931", "Village reached"),
        ("1288930", "Crossings to reopen"),
    ]


def test_ids_that_carry_one_number_name_one_update() -> None:
    assert ids.strip_prefix("liveblogPost1288930") == ids.strip_prefix("post-1288930")
    assert ids.number_of("#liveblogPost1288930") == "1288930"
    assert ids.number_of("block-5f3a9c1234d") is None  # hex ids hold no one number


def test_unrelated_ids_same_minute_same_text_are_one_block() -> None:
    ld = _ld(
        [
            {
                "@type": "BlogPosting",
                "@id": "urn:uuid:6f1c2a",
                "datePublished": "2022-08-08T23:06:40Z",
                "articleBody": BODY_A,
            }
        ]
    )
    items = _amp_item("p77", "Crossings to reopen", BODY_A, 1660000000000)
    page = extract_page(_amp_page(items, ld), URL)
    assert [(b.id, b.headline, b.extractor) for b in page.blocks] == [
        ("p77", "Crossings to reopen", "amp")
    ]


def test_ad_promo_embed_and_load_more_slots_are_not_blocks() -> None:
    items = _amp_item("post-1", "Crossings to reopen", BODY_A, 1660000000000)
    items += '<div id="ad-2" data-sort-time="1660000100000"><amp-ad type="x"></amp-ad></div>'
    items += '<div id="post-3" data-sort-time="1660000200000"><amp-twitter></amp-twitter></div>'
    items += '<div id="more-4" data-sort-time="1660000300000"><p>Load more updates</p></div>'
    items += '<div id="promo-5" data-sort-time="1660000400000"><p>Advertisement</p></div>'
    page = extract_page(_amp_page(items), URL)
    assert [b.headline for b in page.blocks] == ["Crossings to reopen"]


def _microdata(text: str) -> str:
    return (
        '<html><body><div itemscope itemtype="https://schema.org/LiveBlogPosting">'
        '<div itemprop="liveBlogUpdate" itemscope itemtype="https://schema.org/BlogPosting"'
        ' id="update-4411">'
        '<meta itemprop="headline" content="Crossings to reopen">'
        '<meta itemprop="datePublished" content="2022-08-08T23:06:40Z">'
        '<div itemprop="articleBody"></div>'
        f"<h3>Crossings to reopen</h3><p>{text}</p></div>"
        '<div itemprop="liveBlogUpdate" itemscope itemtype="https://schema.org/BlogPosting"'
        ' id="update-4410">'
        '<meta itemprop="headline" content="Village reached">'
        f'<meta itemprop="articleBody" content="{BODY_B}"></div>'
        "</div></body></html>"
    )


def test_microdata_reads_content_attributes_and_the_visible_text() -> None:
    page = extract_page(_microdata(BODY_A), URL)
    assert [(b.id, b.headline, b.text) for b in page.blocks] == [
        ("4411", "Crossings to reopen", BODY_A),
        ("4410", "Village reached", BODY_B),
    ]


def test_an_edit_of_microdata_visible_text_is_seen() -> None:
    monitor = OfflineMonitor(Matcher([]), source="md")
    assert monitor.feed(read_source("page", _microdata(BODY_A).encode(), URL)) == []
    edited = _microdata(BODY_A + " Officials later delayed it to Saturday.")
    alerts = monitor.feed(read_source("page", edited.encode(), URL))
    assert [(a["type"], a["block"]["id"]) for a in alerts] == [("block.edited", "4411")]


def _scoreboard(entries: list[tuple[str, str]]) -> str:
    rows = "".join(
        f'<div class="tickr-item" id="{uid}"><span class="tickr-item__clock">{clock}</span>'
        f"<time>{clock}</time><p>{text}</p><ul><li>1 : 5</li><li>57 : 33</li></ul></div>"
        for uid, (clock, text) in zip(("9003", "9002", "9001"), entries, strict=False)
    )
    return f"<html><body><main><div class=tickr>{rows}</div></main></body></html>"


def test_unknown_markup_is_read_by_its_repeated_structure() -> None:
    entries = [("19:30", BODY_A), ("19:10", BODY_B), ("18:50", "Warm-up laps are under way now.")]
    page = extract_page(_scoreboard(entries), URL)
    assert [(b.id, b.extractor) for b in page.blocks] == [
        ("9003", "repeated"),
        ("9002", "repeated"),
        ("9001", "repeated"),
    ]
    assert page.blocks[0].text.startswith(BODY_A)


def test_a_plain_text_split_never_cuts_on_digits_or_scores() -> None:
    text = (
        "Speedway semi-final live\n\nHome side take the lead\n"
        "Kubera won the first heat by a distance.\n8 +2\n11\n57 : 33\n"
        "Leszno 45:45 Falubaz\nThe crowd is loud as the riders line up again.\n"
    )
    page = extract_page(text, URL, "text/plain")
    assert [b.headline for b in page.blocks] == ["Home side take the lead"]
    assert "The crowd is loud" in page.blocks[0].text


def test_bylines_from_jsonld_author_string_or_list() -> None:
    ld = _ld(
        [
            {"@type": "BlogPosting", "url": f"{URL}#p2", "articleBody": BODY_B, "author": "A B"},
            {
                "@type": "BlogPosting",
                "url": f"{URL}#p1",
                "articleBody": BODY_A,
                "author": [{"@type": "Person", "name": "Jane Doe"}, {"name": "John Roe"}],
            },
        ]
    )
    page = extract_page(f"<html><head>{ld}</head><body></body></html>", URL)
    assert [b.byline for b in page.blocks] == ["A B", "Jane Doe, John Roe"]


def test_an_author_every_update_shares_is_still_each_updates_byline() -> None:
    ld = _ld(
        [
            {
                "@type": "BlogPosting",
                "url": f"{URL}#p{i}",
                "articleBody": body,
                "author": {"name": "Jane Doe"},
            }
            for i, body in enumerate((BODY_A, BODY_B))
        ]
    )
    page = extract_page(f"<html><head>{ld}</head><body></body></html>", URL)
    assert [b.byline for b in page.blocks] == ["Jane Doe", "Jane Doe"]


def _time_led(extra: str = "") -> str:
    entries = [
        ("16.06", "Radar data suggest the aircraft climbed steeply before it crashed." + extra),
        ("15.25", "As night falls the search has been called off until tomorrow morning."),
        ("14.53", "The navy has released the latest images from the search mission."),
    ]
    paras = "".join(
        f"<p><strong>{t} </strong>{text}</p><p>More detail on it.</p>" for t, text in entries
    )
    return f"<html><body><article><h3>Latest</h3>{paras}</article></body></html>"


def test_paragraphs_led_by_a_display_time_are_updates_not_one_lump() -> None:
    page = extract_page(_time_led(), URL)
    assert [(b.headline, b.extractor) for b in page.blocks] == [
        ("16.06", "timeline"),
        ("15.25", "timeline"),
        ("14.53", "timeline"),
    ]
    assert page.blocks[0].text.startswith("Radar data") and page.blocks[0].published is None


def test_a_sentence_added_to_a_time_led_update_is_an_edit() -> None:
    monitor = OfflineMonitor(Matcher([]), source="tl")
    assert monitor.feed(read_source("page", _time_led().encode(), URL)) == []
    grown = _time_led(" Investigators said the black box had been located by divers.")
    alerts = monitor.feed(read_source("page", grown.encode(), URL))
    assert [(a["type"], a["block"]["headline"]) for a in alerts] == [("block.edited", "16.06")]
