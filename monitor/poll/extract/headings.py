"""Heading-split markup: the main content cut at its h2 (or h3) headings.

The fallback for pages whose updates carry no ids (USA Today's 2022 live pages): each block
is a heading and the paragraphs up to the next one.
"""

from __future__ import annotations

from lxml.html import HtmlElement

from monitor.models import Block
from monitor.poll.extract import noise, segment
from monitor.poll.extract.tree import Para, paragraphs, tag_of

_MAIN_PATHS = (
    "//*[@itemprop='articleBody']",
    "//main//article",
    "//article",
    "//main",
    "//*[@role='main']",
)


def main_content(root: HtmlElement) -> HtmlElement:
    """The element holding the page's story: the first of articleBody, article, main, body."""
    for path in _MAIN_PATHS:
        found = [e for e in root.xpath(path) if isinstance(e, HtmlElement)]
        if found:
            return _story(found)
    body = root.find("body")
    return body if body is not None else root


def _story(found: list[HtmlElement]) -> HtmlElement:
    """The richest candidate; or, when it is one of many sibling articles none of which holds
    most of the text (a live blog set as one <article> per update), their parent."""
    best = max(found, key=_paragraph_count)
    parent = best.getparent()
    siblings = [e for e in found if e.getparent() is parent]
    total = sum(_paragraph_count(e) for e in siblings)
    if parent is not None and len(siblings) > 1 and 2 * _paragraph_count(best) <= total:
        return parent
    return best


def _paragraph_count(el: HtmlElement) -> int:
    return len(el.findall(".//p"))


def skip(el: HtmlElement) -> bool:
    """Page furniture and noise that never holds an update (h1 is the page title)."""
    return tag_of(el) == "h1" or noise.is_noise_element(el)


def heading_level(content: HtmlElement) -> str | None:
    """The heading tag updates are set in: whichever of h2/h3 occurs more, h2 on a tie."""
    counts = {tag: len(content.findall(f".//{tag}")) for tag in ("h2", "h3")}
    best = max(counts, key=lambda tag: (counts[tag], tag == "h2"))
    return best if counts[best] else None


def extract(content: HtmlElement) -> list[Block]:
    """Blocks split at the headings of ``content``, the page's main content."""
    level = heading_level(content)
    if level is None:
        return []
    paras: list[Para] = paragraphs(content, skip, frozenset({level}))
    return segment.split(paras, guess=False, extractor="headings")
