"""schema.org ``LiveBlogPosting`` updates from JSON-LD, in any nesting.

Handles ``@graph``, top-level lists, list-valued and prefixed ``@type``, updates given by
reference, raw newlines inside strings, and lossy publishers: a headline or date that every
update repeats (or that equals the article's) is the article's, and a headline that is only
the start of the body was generated from it; both are dropped rather than trusted.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import json_repair
from lxml.html import HtmlElement

from monitor.models import Block
from monitor.poll.extract import body, ids
from monitor.poll.extract.dates import iso
from monitor.poll.extract.tree import clean
from monitor.text import html_to_text, normalize

_TYPE_PREFIX = re.compile(r"^(?:https?://schema\.org/|schema:)", re.IGNORECASE)
_WRAPPERS = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[)|(?://\s*\]\]>|-->)\s*$", re.MULTILINE)
_ELLIPSIS = re.compile(r"(?:\.\.\.|…)\s*$")
_UPDATE_TYPES = frozenset(
    {"BlogPosting", "NewsArticle", "Article", "SocialMediaPosting", "ReportageNewsArticle"}
)


@dataclass(frozen=True, slots=True)
class LiveBlog:
    """The page-level facts and the updates of every LiveBlogPosting on a page."""

    url: str | None = None
    headline: str | None = None
    published: str | None = None
    blocks: tuple[Block, ...] = field(default=())


def extract(root: HtmlElement, page_url: str) -> LiveBlog:
    """Every LiveBlogPosting update in the page's JSON-LD scripts."""
    documents = [doc for doc in map(_load, _scripts(root)) if doc is not None]
    index = {str(n["@id"]): n for doc in documents for n in _nodes(doc) if _is_full(n)}
    blogs = [n for doc in documents for n in _nodes(doc) if "LiveBlogPosting" in _types(n)]
    if not blogs:
        return LiveBlog()
    first = blogs[0]
    blocks = [b for blog in blogs for b in _updates(blog, index, page_url)]
    return LiveBlog(
        url=_string(first.get("url")) or None,
        headline=clean(_string(first.get("headline") or first.get("name"))) or None,
        published=iso(first.get("datePublished")),
        blocks=tuple(blocks),
    )


def _scripts(root: HtmlElement) -> Iterator[str]:
    for script in root.iter("script"):
        if "ld+json" in (script.get("type") or "").lower() and script.text:
            yield script.text


def _load(raw: str) -> Any:
    """JSON as publishers write it: strict JSON first (fast, and most pages), then repaired."""
    text = _WRAPPERS.sub("", raw).strip()
    try:
        return json.loads(text, strict=False)  # strict=False: raw newlines in strings
    except RecursionError:
        return None  # nested past Python's stack (a hostile page): this script, not the page
    except ValueError:
        pass
    # A whole script HTML-escaped ({&quot;headline&quot;: …}) reads as JSON once unescaped.
    repaired = _repaired(html.unescape(text) if "&quot;" in text else text)
    return repaired if isinstance(repaired, dict | list) else None


def _repaired(text: str) -> Any:
    """What a careful reader recovers from broken JSON (missing or extra braces, trailing
    commas, unescaped quotes, comments, objects one after another) with json-repair, a
    maintained parser made for it, instead of ever more hand-written tolerance here."""
    try:
        return json_repair.loads(text)
    except (ValueError, TypeError, RecursionError):
        return None


def _nodes(data: Any) -> Iterator[dict[str, Any]]:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _is_full(node: dict[str, Any]) -> bool:
    return isinstance(node.get("@id"), str) and len(node) > 1


def _types(node: dict[str, Any]) -> set[str]:
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {_TYPE_PREFIX.sub("", v) for v in values if isinstance(v, str)}


def _string(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(_string(v) for v in value)
    if isinstance(value, dict):
        return _string(value.get("@value") or value.get("name") or "")
    return value if isinstance(value, str) else ""


def _updates(blog: dict[str, Any], index: dict[str, Any], page_url: str) -> list[Block]:
    raw = blog.get("liveBlogUpdate") or []
    items = raw if isinstance(raw, list) else [raw]
    nodes = [_resolve(item, index) for item in items]
    updates = [n for n in nodes if n is not None and (_types(n) & _UPDATE_TYPES or not _types(n))]
    blog_urls = (page_url, _string(blog.get("url")), _string(blog.get("@id")))
    lossy = _article_level(blog, updates)
    return [_block(node, blog_urls, lossy) for node in updates]


def _resolve(item: Any, index: dict[str, Any]) -> dict[str, Any] | None:
    if isinstance(item, str):
        return index.get(item)
    if not isinstance(item, dict):
        return None
    if len(item) == 1 and "@id" in item:
        return index.get(str(item["@id"]))
    return item


def _article_level(blog: dict[str, Any], updates: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Values of headline/date/author that belong to the article, not to any one update."""
    lossy: dict[str, set[str]] = {}
    for key in ("headline", "datePublished", "dateModified"):
        values = Counter(_field(u, key) for u in updates)
        shared = {v for v, n in values.items() if v and n > 1}
        own = _field(blog, key)
        lossy[key] = shared | ({own} if own else set())
    # An author every update repeats is still each update's author (a one-reporter blog).
    lossy["author"] = set()
    return lossy


def _field(node: dict[str, Any], key: str) -> str:
    if key == "author":
        return _authors(node.get("author"))
    value = node.get(key)
    return (iso(value) or "") if key.startswith("date") else clean(_string(value))


def _authors(value: Any) -> str:
    values = value if isinstance(value, list) else [value]
    names = [clean(_string(v)) for v in values]
    return ", ".join(n for n in names if n)


def _block(node: dict[str, Any], blog_urls: tuple[str, ...], lossy: dict[str, set[str]]) -> Block:
    native = ids.from_reference(node.get("@id"), blog_urls)
    native = native or ids.from_reference(node.get("url"), blog_urls)
    raw_body = _string(node.get("articleBody") or node.get("text") or node.get("description"))
    parts = body.from_text(html_to_text(raw_body))

    def kept(key: str) -> str | None:
        value = _field(node, key)
        return value if value and value not in lossy[key] else None

    headline = kept("headline")
    if headline and _generated(headline, parts.text):
        headline = None
    return Block(
        id=native,
        headline=headline or "",
        text=parts.text,
        published=kept("datePublished"),
        modified=kept("dateModified"),
        byline=kept("author") or parts.byline,
        credits=parts.credits,
        url=_string(node.get("url")) or None,
        extractor="jsonld",
    )


def _generated(headline: str, text: str) -> bool:
    """A headline made from the first words of the body (the WordPress liveblog plugin)."""
    stem = normalize(_ELLIPSIS.sub("", headline)).casefold()
    flat = " ".join(text.split()).casefold()
    return bool(stem) and flat.startswith(stem)
