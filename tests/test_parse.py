"""Feed parsing: cases as data files in tests/data/feeds/, plus the skip optimisation.

Each ``<case>.json`` describes what parsing the body file of the same stem must give; a new
case is a new pair of files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from monitor.errors import ParseError
from monitor.poll.parse import FeedParse, looks_like_feed, parse_feed

FEEDS = Path(__file__).parent / "data" / "feeds"
URL = "https://news.example.test/feed.xml"


def _body_of(case: Path) -> bytes:
    bodies = [p for p in FEEDS.glob(case.stem + ".*") if p.suffix != ".json"]
    assert len(bodies) == 1, f"{case.name}: expected one body file, found {bodies}"
    return bodies[0].read_bytes()


def _feed(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


CASES = sorted(FEEDS.glob("*.json"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_feed_case(case: Path) -> None:
    expected: dict[str, Any] = json.loads(case.read_text("utf-8"))
    body = _body_of(case)
    if "error" in expected:
        with pytest.raises(ParseError) as info:
            parse_feed(body, URL)
        assert expected["error"] in str(info.value)
        assert URL in str(info.value)
        return
    result = parse_feed(body, URL)
    assert result.title == expected["title"]
    assert result.skipped == 0
    assert len(result.item_hashes) == len(expected["documents"])
    assert len(result.documents) == len(expected["documents"])
    for doc, want in zip(result.documents, expected["documents"], strict=True):
        _check_document(doc, want)


def _check_document(doc: Any, want: dict[str, Any]) -> None:
    block = doc.blocks[0]
    assert len(doc.blocks) == 1
    assert block.id == "item"
    assert block.extractor == "feed"
    assert block.headline == doc.title
    plain = {"id": doc.id, "url": doc.url, "title": doc.title, "text": block.text}
    plain |= {"published": block.published, "modified": block.modified, "byline": block.byline}
    for key, value in want.items():
        if key in plain:
            assert plain[key] == value, f"{key}: {plain[key]!r} != {value!r}"
    if want.get("id_is_hash"):
        assert re.fullmatch(r"[0-9a-f]{20}", doc.id)
    assert doc.published == block.published
    if "title_not_contains" in want:
        assert want["title_not_contains"] not in doc.title
    if "text_not_contains" in want:
        assert want["text_not_contains"] not in block.text
    if "max_text_chars" in want:
        assert len(block.text) + len(doc.title) < want["max_text_chars"]


@pytest.mark.parametrize("malformed", [False, True], ids=["lxml", "fallback"])
def test_external_entity_file_is_not_read(malformed: bool) -> None:
    """The XXE fixture points at /etc/hostname; its contents never reach the output."""
    secret = Path("/etc/hostname").read_text().strip() or "unreachable"
    body = _feed("xxe.xml")
    if malformed:  # a bare & sends the body to the feedparser fallback
        body = body.replace(b"<title>Sneaky Sentinel", b"<title>Sneaky & Sentinel")
    doc = parse_feed(body, URL).documents[0]
    assert secret not in doc.title.replace("&secret;", "")
    assert secret not in doc.blocks[0].text.replace("&secret;", "")


def test_unchanged_feed_skips_every_item() -> None:
    """With every raw hash known, nothing is parsed and feedparser never runs."""
    body = _feed("rss2_content.xml")
    first = parse_feed(body, URL)
    again = parse_feed(body, URL, skip=first.item_hashes)
    assert again.documents == ()
    assert again.skipped == 3
    assert again.item_hashes == first.item_hashes
    assert again.title == first.title


def test_item_added_on_top_is_the_only_document() -> None:
    first = parse_feed(_feed("rss2_content.xml"), URL)
    after = parse_feed(_feed("rss2_content_added.xml"), URL, skip=first.item_hashes)
    assert [d.id for d in after.documents] == ["gazette-1004"]
    assert after.skipped == 3
    assert first.item_hashes < after.item_hashes
    assert after.documents[0].blocks[0].text == "Gusts of 90 km/h are expected tonight."


def test_grown_item_comes_back_with_same_guid_and_new_text() -> None:
    first = parse_feed(_feed("rss2_content.xml"), URL)
    after = parse_feed(_feed("rss2_content_grown.xml"), URL, skip=first.item_hashes)
    assert after.skipped == 2
    [doc] = after.documents
    assert doc.id == "gazette-1003"
    assert doc.blocks[0].text.endswith("Update: the 19:30 sailing is cancelled.")
    before = next(d for d in first.documents if d.id == "gazette-1003")
    assert doc.blocks[0].text.startswith(before.blocks[0].text)
    assert len(after.item_hashes - first.item_hashes) == 1


def test_skipped_items_keep_changed_items_in_feed_order() -> None:
    body = _feed("rss2_content_added.xml")
    full = parse_feed(body, URL)
    middle = next(h for h in full.item_hashes if _doc_hash(body, h) == "gazette-1003")
    partial = parse_feed(body, URL, skip=frozenset({middle}))
    assert [d.id for d in partial.documents] == ["gazette-1004", "gazette-1002", "gazette-1001"]
    assert partial.documents == tuple(d for d in full.documents if d.id != "gazette-1003")


def _doc_hash(body: bytes, digest: str) -> str:
    """Which guid a raw hash belongs to: parse with every other hash skipped."""
    full = parse_feed(body, URL)
    only = parse_feed(body, URL, skip=full.item_hashes - {digest})
    return only.documents[0].id


def test_envelope_change_does_not_change_item_hashes() -> None:
    """A new lastBuildDate or channel title alone must not make any item look changed."""
    body = _feed("rss2_content.xml")
    edited = body.replace(b"11:00:00 +0000</lastBuildDate>", b"11:05:00 +0000</lastBuildDate>")
    edited = edited.replace(b"Harbour Gazette &amp; Friends", b"Harbour Gazette")
    assert edited != body
    first = parse_feed(body, URL)
    again = parse_feed(edited, URL, skip=first.item_hashes)
    assert again.skipped == 3
    assert again.documents == ()
    assert again.title == "Harbour Gazette"


def test_atom_skip_works_with_default_namespace() -> None:
    body = _feed("atom_html.xml")
    first = parse_feed(body, URL)
    edited = body.replace(b"Open until 21:00", b"Open until 22:00")
    again = parse_feed(edited, URL, skip=first.item_hashes)
    assert again.skipped == 1
    assert [d.blocks[0].text for d in again.documents] == ["Open until 22:00 on weekdays."]


def test_rdf_skip_works_with_items_outside_channel() -> None:
    body = _feed("rdf.xml")
    first = parse_feed(body, URL)
    again = parse_feed(body.replace(b"400 ewes", b"450 ewes"), URL, skip=first.item_hashes)
    assert again.skipped == 1
    assert [d.id for d in again.documents] == ["https://almanac.example.test/sheep"]


def test_malformed_feed_falls_back_to_every_item() -> None:
    """lxml cannot split it, so feedparser reads it whole: all items, skipped 0, even if known."""
    body = _feed("malformed.xml")
    first = parse_feed(body, URL)
    again = parse_feed(body, URL, skip=first.item_hashes)
    assert again.skipped == 0
    assert [d.id for d in again.documents] == ["bugle-77", "https://bugle.example.test/pier"]
    assert again.item_hashes == first.item_hashes


def test_fallback_item_hashes_follow_content() -> None:
    body = _feed("malformed.xml")
    edited = body.replace(b"All 40 lamps", b"All 41 lamps")
    assert len(parse_feed(body, URL).item_hashes & parse_feed(edited, URL).item_hashes) == 1


def test_relative_item_link_is_made_absolute_against_the_feed_url() -> None:
    body = _feed("no_guid.xml").replace(b"https://notices.example.test/cat", b"/cat")
    docs = parse_feed(body, "https://notices.example.test/feed.xml").documents
    assert docs[1].url == "https://notices.example.test/cat"


def test_hashed_id_is_stable_and_follows_title() -> None:
    body = _feed("no_guid.xml")
    one = parse_feed(body, URL).documents[0].id
    two = parse_feed(body, "https://elsewhere.example.test/").documents[0].id
    other = parse_feed(body.replace(b"Parish meeting moved", b"Parish meeting off"), URL)
    assert one == two
    assert other.documents[0].id != one


@pytest.mark.parametrize("body", [b"", b"   \n\t", b"\x00\x01\x02garbage\xff"])
def test_empty_or_garbage_body_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError, match="not an RSS or Atom feed"):
        parse_feed(body, URL)


def test_xml_that_is_not_a_feed_names_its_root() -> None:
    sitemap = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>'
    with pytest.raises(ParseError, match=r"root element <urlset>"):
        parse_feed(sitemap, URL)


def test_feedparse_is_frozen() -> None:
    result = parse_feed(_feed("empty_channel.xml"), URL)
    assert isinstance(result, FeedParse)
    with pytest.raises(AttributeError):
        result.title = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("rss2_content.xml", None, True),
        ("atom_html.xml", "text/html", True),  # the body wins over a lying content type
        ("rdf.xml", None, True),
        ("utf16.xml", None, True),
        ("xxe.xml", None, True),
        ("not_a_feed.html", "application/rss+xml", False),
        ("tag_soup.html", None, False),
        ("plain.txt", "text/plain", False),
        ("plain.txt", "application/atom+xml", True),  # no element to sniff: trust the type
    ],
)
def test_looks_like_feed(name: str, content_type: str | None, expected: bool) -> None:
    assert looks_like_feed(_feed(name), content_type) is expected


def test_looks_like_feed_skips_comments_and_prolog() -> None:
    body = (
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- <html> -->\n<?xml-stylesheet href="x"?>\n<feed/>'
    )
    assert looks_like_feed(body, None)
    assert not looks_like_feed(b"<!DOCTYPE html>\n<HTML><body></body></HTML>", "text/xml")


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "body",
    [b"<!DOCTYPE [" + b"[]" * 2000, b" \n" * 1000 + b"<!DOCTYPE x [" + b"]" * 1000, b"<?" * 2000],
)
def test_sniffing_a_crafted_prolog_ends_quickly(body: bytes) -> None:
    """A crafted DOCTYPE once made a backtracking regex run for minutes."""
    assert not looks_like_feed(body, None)
    with pytest.raises(ParseError):
        parse_feed(body, URL)


def test_links_cover_skipped_items_in_feed_order() -> None:
    first = parse_feed(_feed("rss2_content.xml"), URL)
    after = parse_feed(_feed("rss2_content_added.xml"), URL, skip=first.item_hashes)
    assert after.skipped == 3
    assert after.links == (
        "https://gazette.example.test/storm-warning",
        "https://gazette.example.test/ferry-timetable",
        "https://gazette.example.test/lighthouse-open-day",
        "https://gazette.example.test/harbour-wall",
    )
    assert first.links == after.links[1:]


@pytest.mark.parametrize(
    ("name", "links"),
    [
        (
            "atom_html.xml",
            ("https://courier.example.test/bridge", "https://courier.example.test/library"),
        ),
        ("rdf.xml", ("https://almanac.example.test/frost", "https://almanac.example.test/sheep")),
        ("malformed.xml", ("https://bugle.example.test/fish", "https://bugle.example.test/pier")),
        ("no_guid.xml", ("https://notices.example.test/cat",)),
        ("cp1252.xml", ()),  # a bare guid that is not a URL is no link
        ("empty_channel.xml", ()),
    ],
)
def test_links_per_format(name: str, links: tuple[str, ...]) -> None:
    assert parse_feed(_feed(name), URL).links == links


def test_links_skip_non_alternate_atom_links_and_resolve_relative_ones() -> None:
    body = _feed("atom_html.xml").replace(
        b'<link rel="alternate" href="https://courier.example.test/bridge"/>',
        b'<link rel="enclosure" href="/audio.mp3"/><link href="/bridge-relative"/>',
    )
    result = parse_feed(body, "https://courier.example.test/feed.atom")
    assert result.links[0] == "https://courier.example.test/bridge-relative"
    assert result.documents[0].url == "https://courier.example.test/bridge-relative"


def test_cdf_channel_is_read_whole_by_feedparser() -> None:
    body = b"""<?xml version="1.0"?>
<CHANNEL HREF="http://example.com/"><TITLE>Desk</TITLE>
<ITEM HREF="http://example.com/a"><TITLE>First</TITLE><ABSTRACT>One</ABSTRACT></ITEM>
<ITEM HREF="http://example.com/b"><TITLE>Second</TITLE></ITEM>
</CHANNEL>"""
    assert looks_like_feed(body, None)
    parsed = parse_feed(body, "http://example.com/cdf")
    assert [d.title for d in parsed.documents] == ["First", "Second"]
    assert len(parsed.item_hashes) == 2
