"""Unit behaviour of the extraction helpers: ids, times, charsets, noise lines, empty pages."""

from __future__ import annotations

import pytest

from monitor.poll.extract import extract_page, ids, noise
from monitor.poll.extract.dates import iso

URL = "https://live.example.test/story"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://x.test/live#block-abc123", "abc123"),
        ("https://x.test/live?postId=7f3a21", "7f3a21"),
        ("https://x.test/live?page=with:block-abc#block-abc", "abc"),
        ("https://x.test/live/#liveblog-entry-88412", "88412"),
        ("https://x.test/live", None),
        ("_:b0", None),
        ("post-update-5c1e07d2", "5c1e07d2"),
    ],
)
def test_reference_ids(raw: str, expected: str | None) -> None:
    assert ids.from_reference(raw, ("https://x.test/live",)) == expected


def test_jsonld_and_markup_ids_agree() -> None:
    assert ids.from_reference("https://x/live#block-5f3a9c") == ids.from_element_id(
        "block-5f3a9c", prefixed_only=True
    )


def test_layout_ids_are_not_block_ids() -> None:
    assert ids.from_element_id("post-body", prefixed_only=True) is None
    assert ids.from_element_id("content", prefixed_only=True) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-02-15T10:38:00.000Z", "2022-02-15T10:38:00+00:00"),
        ("1644933900", "2022-02-15T14:05:00+00:00"),
        ("1667958300000", "2022-11-09T01:45:00+00:00"),
        ("10:11 a.m.", None),
        ("", None),
    ],
)
def test_iso(value: str, expected: str | None) -> None:
    assert iso(value) == expected


@pytest.mark.parametrize(
    "line",
    [
        "USA TODAY ON TELEGRAM: Join our channel",
        "'YOU FIGHT ENDLESSLY': Ukrainians dig in",
        "► Live updates: the latest",
        "More: Biden's next move",
        "Russia-Ukraine explained:Inside the crisis as US, allies await next move",
        "What is a false flag? US says Russia may use the tactic to justify Ukraine invasion",
    ],
)
def test_promo_lines(line: str) -> None:
    assert noise.is_promo(line)


def test_bylines_and_credits() -> None:
    assert noise.byline_of("- Maureen Groppe") == "Maureen Groppe"
    assert noise.byline_of("By Jane Doe") == "Jane Doe"
    assert noise.byline_of("By Tuesday, the troops had left.") is None
    assert noise.credits_of("Contributing: The Associated Press") == "The Associated Press"


def test_charset_from_content_type_beats_utf8_guess() -> None:
    body = "<html><body><article id='block-1a'><h2>Zürich</h2><p>Grüße aus Zürich.</p></article>"
    page = extract_page(body.encode("cp1252"), URL, "text/html; charset=windows-1252")
    assert page.blocks[0].headline == "Zürich"


def test_utf8_bom_is_honoured() -> None:
    page = extract_page(b"\xef\xbb\xbfHeadline here\nFirst line of the body text is here.", URL)
    assert page.title == "Headline here"


@pytest.mark.parametrize("body", ["", "<html></html>", "<p>Just one paragraph.</p>", b""])
def test_pages_without_blocks(body: str | bytes) -> None:
    assert extract_page(body, URL).blocks == ()


def test_page_url_defaults_to_the_fetched_url() -> None:
    assert extract_page("<html><body><p>x</p></body></html>", URL).url == URL


def test_a_json_ld_script_nested_past_the_stack_costs_only_that_script() -> None:
    """json.loads raised RecursionError, which took the page's other JSON-LD with it."""
    deep = "[" * 100_000 + "]" * 100_000
    sane = (
        '{"@type":"LiveBlogPosting","headline":"Live","liveBlogUpdate":[{"@type":"BlogPosting",'
        '"@id":"https://live.example.test/story#block-1","headline":"Troops move",'
        '"articleBody":"Troops moved at dawn."}]}'
    )
    html = (
        f'<html><head><script type="application/ld+json">{deep}</script>'
        f'<script type="application/ld+json">{sane}</script></head><body></body></html>'
    )
    page = extract_page(html, URL, "text/html")
    assert [(b.text, b.extractor) for b in page.blocks] == [("Troops moved at dawn.", "jsonld")]
