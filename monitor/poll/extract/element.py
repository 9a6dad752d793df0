"""Reading one update element (markup, microdata or AMP item) into block fields."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from monitor.models import Block
from monitor.poll.extract import body, noise
from monitor.poll.extract.dates import iso
from monitor.poll.extract.tree import inside, paragraphs, tag_of, text_of

_HEADLINE_TAGS = frozenset({"h1", "h2", "h3", "h4"})
_MODIFIED_HINTS = ("updated", "modified", "edited")


@dataclass(frozen=True, slots=True)
class Fields:
    """What an update element says about itself."""

    headline: str
    text: str
    byline: str | None
    credits: str | None
    published: str | None
    modified: str | None
    url: str | None

    def block(
        self, block_id: str | None, extractor: str, *, pinned: bool = False, tombstone: bool = False
    ) -> Block:
        """The update block these fields describe."""
        return Block(
            id=block_id,
            headline=self.headline,
            text=self.text,
            published=self.published,
            modified=self.modified,
            byline=self.byline,
            credits=self.credits,
            url=self.url,
            extractor=extractor,
            pinned=pinned,
            tombstone=tombstone,
        )


def read(el: HtmlElement, page_url: str, headline_el: HtmlElement | None = None) -> Fields:
    """The fields of one update element; ``headline_el`` overrides the headline search."""
    head = headline_el if headline_el is not None else find_headline(el)
    # The update element itself is read whatever its class says ("coventry--time"): it was
    # chosen as an update; only what is inside it can be noise.
    parts = body.build(
        paragraphs(el, lambda e: e is not el and (e is head or noise.is_noise_element(e)))
    )
    published, modified = read_times(el)
    return Fields(
        headline=text_of(head, noise.is_noise_element) if head is not None else "",
        text=parts.text,
        byline=read_byline(el) or parts.byline,
        credits=parts.credits,
        published=published,
        modified=modified,
        url=permalink(el, page_url),
    )


def _not_content(el: HtmlElement) -> bool:
    tag = tag_of(el)
    return tag in ("aside", "nav", "figure") or noise.is_summary_element(el)


def find_headline(el: HtmlElement) -> HtmlElement | None:
    """The update's own headline: ``[itemprop=headline]``, else its first h1-h4."""
    for node in el.iter():
        if node is el or not tag_of(node):
            continue
        named = node.get("itemprop") == "headline"
        if (named or tag_of(node) in _HEADLINE_TAGS) and not inside(node, el, _not_content):
            return node
    return None


def read_times(el: HtmlElement) -> tuple[str | None, str | None]:
    """Machine-readable first-published and last-modified times inside an element."""
    published: str | None = None
    modified: str | None = None
    for node in el.iter():
        value = _time_value(node)
        if value is None:
            continue
        if _is_modified(node, el):
            modified = modified or value
        else:
            published = published or value
    return published, modified


def _time_value(node: HtmlElement) -> str | None:
    if not tag_of(node):
        return None
    if node.get("itemprop") in ("datePublished", "dateModified"):
        return iso(node.get("datetime") or node.get("content") or "")
    if tag_of(node) == "time" and node.get("datetime"):
        return iso(node.get("datetime"))
    stamp = node.get("data-timestamp")
    return iso(stamp) if stamp else None


def _is_modified(node: HtmlElement, stop: HtmlElement) -> bool:
    if node.get("itemprop") == "dateModified":
        return True

    def hinted(e: HtmlElement) -> bool:
        label = f"{e.get('class') or ''} {e.get('itemprop') or ''}".lower()
        return any(hint in label for hint in _MODIFIED_HINTS)

    return inside(node, stop, hinted)


def read_byline(el: HtmlElement) -> str | None:
    """The author named by a byline element (``.byline``, ``[rel=author]``, ``.…__author``)."""
    for node in el.iter():
        if node is el or not tag_of(node) or not noise.is_byline_element(node):
            continue
        name = text_of(node, lambda e: False)
        if name:
            return _strip_by(name)
    return None


def _strip_by(name: str) -> str:
    for prefix in ("By ", "by ", "- "):
        if name.startswith(prefix):
            return name[len(prefix) :].strip()
    return name


def permalink(el: HtmlElement, page_url: str) -> str | None:
    """A link to the update itself, else the page URL with the element's id as fragment."""
    element_id = el.get("id") or ""
    for node in el.iter("a"):
        href: str = str(node.get("href") or "")
        if element_id and (f"#{element_id}" in href or f"with:{element_id}" in href):
            return urljoin(page_url, href)
        if node.get("rel") == "bookmark" and href:
            return urljoin(page_url, href)
    if element_id:
        return f"{urlsplit(page_url)._replace(fragment='').geturl()}#{element_id}"
    return None
