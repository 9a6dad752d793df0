"""The shared seed page (USA Today-like text with no ids), read as text and as h2 markup."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from monitor.poll.extract import Page, extract_page

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "liveblog-article.txt"
BLINKEN = "Blinken speaks with Lavrov as Biden talks to Macron"
RUSSIA = "Russia announces troops will return to bases"
PROMOS = (
    "Russia-Ukraine explained",
    "Here's what that might look like",
    "What is a false flag?",
)
URL = "https://www.usatoday.test/story/news/politics/2022/02/15/ukraine-russia-live/"


@pytest.fixture
def seed_lines() -> list[str]:
    if not SEED.exists():
        pytest.skip("shared seed page not present")
    return [line for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


def as_html(lines: list[str]) -> str:
    """The seed as a page: its two update headlines as h2, every other line a paragraph."""
    body = [
        f"<h2>{html.escape(x)}</h2>" if x in (BLINKEN, RUSSIA) else f"<p>{html.escape(x)}</p>"
        for x in lines
    ]
    return (
        "<html><head><title>Ukraine live</title></head><body><article>"
        + "".join(body)
        + "</article></body></html>"
    )


def check_seed_blocks(page: Page) -> None:
    headlines = [b.headline for b in page.blocks]
    assert headlines == [BLINKEN, RUSSIA]
    blinken, russia = page.blocks
    assert blinken.byline == "Maureen Groppe"
    assert russia.credits == "Courtney Subramanian, USA TODAY; Associated Press"
    assert "the most severe sanctions ever levied on Russia" in russia.text
    assert "sing the national anthem." in russia.text
    for block in page.blocks:
        assert "Maureen Groppe" not in block.text and "Contributing" not in block.text
        assert "Putin said Russia is ready" not in block.text  # intro paragraphs are not blocks
        assert not any(promo in block.text for promo in PROMOS)


def test_seed_as_plain_text(seed_lines: list[str]) -> None:
    page = extract_page("\n".join(seed_lines).encode(), URL, "text/plain; charset=utf-8")
    check_seed_blocks(page)
    assert all(b.extractor == "text" and b.id is None for b in page.blocks)


def test_seed_as_heading_markup_gives_the_same_blocks(seed_lines: list[str]) -> None:
    markup = extract_page(as_html(seed_lines), URL, "text/html")
    text = extract_page("\n".join(seed_lines), URL, "text/plain")
    check_seed_blocks(markup)
    assert all(b.extractor == "headings" for b in markup.blocks)
    assert [(b.headline, b.text, b.byline, b.credits) for b in markup.blocks] == [
        (b.headline, b.text, b.byline, b.credits) for b in text.blocks
    ]


def without_russia(lines: list[str]) -> list[str]:
    start = lines.index(RUSSIA)
    end = next(i for i, line in enumerate(lines) if line.startswith("What is a false flag?"))
    return lines[:start] + lines[end:]


@pytest.mark.parametrize("render", ["text", "html"])
def test_seed_without_the_russia_block_keeps_the_other_block_identical(
    seed_lines: list[str], render: str
) -> None:
    """Two snapshots of the page (before and after the Russia block) extract consistently."""

    def extract(lines: list[str]) -> Page:
        if render == "html":
            return extract_page(as_html(lines), URL, "text/html")
        return extract_page("\n".join(lines), URL, "text/plain")

    before, after = extract(without_russia(seed_lines)), extract(seed_lines)
    assert [b.headline for b in before.blocks] == [BLINKEN]
    assert before.blocks[0].text == after.blocks[0].text
    new = [b for b in after.blocks if b.headline not in {x.headline for x in before.blocks}]
    assert [b.headline for b in new] == [RUSSIA]
