"""Live-blog extraction: a page's bytes in, its update blocks out, in page order.

Structured extractors run first and are merged into one block per update (JSON-LD,
microdata, AMP live list, markup with ids); when none of the DOM ones finds an update, the
page's repeated sibling structure is read instead; heading-split markup (or time-led
paragraphs, whichever finds more) and then headline-like lines are fallbacks used only when
all those find nothing. Pure: no I/O, and
never raises on a page it can decode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from lxml.html import HtmlElement

from monitor.models import Block
from monitor.poll.extract import (
    amp,
    headings,
    jsonld,
    markup,
    merge,
    microdata,
    page,
    plaintext,
    repeated,
    timeline,
)
from monitor.poll.extract.tree import decode, looks_like_html, parse_html

__all__ = ["Page", "extract_page"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched page as the diff needs it."""

    url: str  # canonical URL if the page declares one, else the URL it was fetched from
    title: str
    blocks: tuple[Block, ...]  # in page order, usually newest first
    published: str | None = None


def extract_page(body: str | bytes, url: str, content_type: str | None = None) -> Page:
    """The blocks of a page; raises ParseError only for bytes that are not text at all."""
    text = body if isinstance(body, str) else decode(body, content_type)
    plain = (content_type or "").split(";")[0].strip().lower() == "text/plain"
    if plain or not looks_like_html(text):
        title, blocks = plaintext.extract_text(text)
        return Page(url=url, title=title, blocks=tuple(merge.merge([blocks])))
    root = parse_html(text)
    if root is None:
        return Page(url=url, title="", blocks=())
    return _from_html(root, url)


def _from_html(root: HtmlElement, url: str) -> Page:
    blog = _safely(jsonld.extract, root, url) or jsonld.LiveBlog()
    page_url = page.canonical(root, url) or blog.url or url
    found = [_safely(extract, root, page_url) or [] for extract in _DOM_EXTRACTORS]
    if not any(found):
        found.append(_safely(repeated.extract, root, page_url) or [])
    blocks = merge.merge([*found, list(blog.blocks)])
    if not blocks:
        blocks = _split(root)
    return Page(
        url=page_url,
        title=page.title(root, blog.headline),
        blocks=tuple(blocks),
        published=page.published(root, blog.published),
    )


_DOM_EXTRACTORS: tuple[Callable[[HtmlElement, str], Sequence[Block]], ...] = (
    microdata.extract,
    amp.extract,
    markup.extract,
)


def _split(root: HtmlElement) -> list[Block]:
    """Fallbacks for a page no extractor read: its main content split at headings or at
    time-led paragraphs, else at headline-like lines."""
    found = _safely(headings.main_content, root)
    content = found if found is not None else root
    blocks = merge.merge([_longest(content, headings.extract, timeline.extract)])
    return blocks or merge.merge([_safely(plaintext.extract_html, content) or []])


def _longest(content: HtmlElement, *splits: Callable[[HtmlElement], list[Block]]) -> list[Block]:
    """The split of the main content that finds the most updates, the first on a tie: a page
    set as time-led paragraphs under one heading is many updates, not one."""
    found = [_safely(split, content) or [] for split in splits]
    return max(found, key=len)


def _safely(run: Callable[..., T], *args: object) -> T | None:
    """Run one extractor; a page that trips it yields nothing from it, not a failed poll.

    Pages are hostile input and the contract is "never raises", so any error inside one
    extractor is contained here, in one place, and the other extractors still run.
    """
    try:
        return run(*args)
    except Exception:
        return None
