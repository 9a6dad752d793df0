"""Properties of extraction that must hold for any page built from update blocks."""

from __future__ import annotations

import contextlib
import html
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.errors import ParseError
from monitor.poll.extract import extract_page

URL = "https://live.example.test/story"
_VOCABULARY = (
    "troops border minister talks sanctions Kyiv Moscow officials said city power "
    "missile council vote grain ships forecast storm"
)
WORDS = st.sampled_from(_VOCABULARY.split())
SENTENCE = st.lists(WORDS, min_size=6, max_size=14).map(lambda ws: " ".join(ws).capitalize() + ".")
HEADLINE = st.lists(WORDS, min_size=3, max_size=7).map(lambda ws: " ".join(ws).capitalize())


@st.composite
def updates(draw: st.DrawFn) -> list[tuple[str, str, str]]:
    """Distinct (id, headline, text) updates."""
    count = draw(st.integers(min_value=1, max_value=6))
    ids = draw(st.lists(st.integers(1000, 99999), min_size=count, max_size=count, unique=True))
    heads = draw(st.lists(HEADLINE, min_size=count, max_size=count, unique=True))
    texts = draw(st.lists(SENTENCE, min_size=count, max_size=count, unique=True))
    return [(str(i), h, t) for i, h, t in zip(ids, heads, texts, strict=True)]


def article(native: str | None, headline: str, text: str) -> str:
    id_attr = f' id="block-{native}"' if native else ""
    return (
        f'<article class="block"{id_attr}><header><h2>{html.escape(headline)}</h2></header>'
        f"<p>{html.escape(text)}</p></article>"
    )


def page(blocks: list[str], pinned: str = "") -> str:
    pin = f'<div id="pinned-post">{pinned}</div>' if pinned else ""
    return f"<html><body><main>{pin}{''.join(blocks)}</main></body></html>"


def found(body: str) -> set[tuple[str | None, str, str]]:
    return {(b.id, b.headline, b.text) for b in extract_page(body, URL).blocks}


@given(updates(), st.randoms())
@settings(max_examples=60, deadline=None)
def test_block_order_does_not_change_the_blocks(
    items: list[tuple[str, str, str]], rnd: random.Random
) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert found(page([article(*u) for u in items])) == found(page([article(*u) for u in shuffled]))
    assert found(page([article(*u) for u in items])) == set(items)


@given(updates(), st.data())
@settings(max_examples=60, deadline=None)
def test_a_pinned_copy_adds_no_block(
    items: list[tuple[str, str, str]], data: st.DataObject
) -> None:
    chosen = data.draw(st.sampled_from(items))
    plain = extract_page(page([article(*u) for u in items]), URL).blocks
    pinned = extract_page(
        page([article(*u) for u in items], article(None, *chosen[1:])), URL
    ).blocks
    assert [(b.id, b.text) for b in pinned] == [(b.id, b.text) for b in plain]
    assert [b.id for b in pinned if b.pinned] == [chosen[0]]


@given(updates(), SENTENCE)
@settings(max_examples=60, deadline=None)
def test_native_id_is_stable_under_body_edits(
    items: list[tuple[str, str, str]], extra: str
) -> None:
    native, headline, text = items[0]
    edited = [(native, headline, f"{text} {extra}"), *items[1:]]
    before = extract_page(page([article(*u) for u in items]), URL).blocks
    after = extract_page(page([article(*u) for u in edited]), URL).blocks
    assert [b.id for b in before] == [b.id for b in after]
    assert after[0].text.endswith(extra)


@given(st.text(max_size=400))
@settings(max_examples=200, deadline=None)
def test_any_text_extracts_without_raising(body: str) -> None:
    extract_page(body, URL)
    extract_page("<html><body><h2>" + body + "</h2><p>" + body + "</p>", URL)


@given(st.binary(max_size=400))
@settings(max_examples=200, deadline=None)
def test_any_bytes_extract_or_raise_parse_error(body: bytes) -> None:
    with contextlib.suppress(ParseError):
        extract_page(body, URL)


@pytest.mark.parametrize(
    "body", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"\x00\x01\x02\x03" * 50, b"%PDF-1.7\n"]
)
def test_binary_bodies_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        extract_page(body, URL)
