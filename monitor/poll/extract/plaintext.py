"""Plain text: updates found by their headline-like lines (short, no closing punctuation,
followed by body paragraphs), as on a copied USA Today live page.

The first line is the page title when it looks like a headline, since a text copy of a page
starts with its title; the lines up to the first headline are the intro and are dropped.
"""

from __future__ import annotations

from lxml.html import HtmlElement

from monitor.models import Block
from monitor.poll.extract import headings, noise, segment
from monitor.poll.extract.tree import Para, clean, paragraphs


def extract_text(text: str) -> tuple[str, list[Block]]:
    """The title and blocks of a plain-text page."""
    lines = [line for line in (clean(raw) for raw in text.splitlines()) if line]
    title = ""
    if lines and noise.headline_like(lines[0]) and not noise.is_promo(lines[0]):
        title = lines.pop(0)
    blocks = segment.split([Para(line) for line in lines], guess=True, extractor="text")
    return title, blocks


def extract_html(content: HtmlElement) -> list[Block]:
    """Blocks of an HTML page's main content with neither ids nor headings, line by line."""
    paras = paragraphs(content, headings.skip)
    return segment.split(paras, guess=True, extractor="text")
