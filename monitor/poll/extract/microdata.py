"""Updates marked up as microdata: ``[itemprop~=liveBlogUpdate]`` (legacy Guardian, CMS)."""

from __future__ import annotations

from dataclasses import replace

from lxml.html import HtmlElement

from monitor.models import Block
from monitor.poll.extract import body, element, ids, noise
from monitor.poll.extract.tree import clean, paragraphs, tag_of
from monitor.text import html_to_text


def extract(root: HtmlElement, page_url: str) -> list[Block]:
    """One block per ``liveBlogUpdate`` item, skipping summary items."""
    blocks = []
    for el in root.iter():
        props = (el.get("itemprop") or "").split() if tag_of(el) else []
        if "liveBlogUpdate" in props and not noise.is_summary_element(el):
            blocks.append(_block(el, page_url))
    return blocks


def _native_id(el: HtmlElement) -> str | None:
    native = ids.from_reference(el.get("itemid"))
    native = native or ids.from_element_id(el.get("id"), prefixed_only=False)
    if native:
        return native
    for node in el.iter():
        if tag_of(node) and node.get("itemprop") == "url":
            return ids.from_reference(node.get("href") or node.get("content"))
    return None


def _prop(el: HtmlElement, name: str) -> HtmlElement | None:
    for node in el.iter():
        if node is not el and tag_of(node) and name in (node.get("itemprop") or "").split():
            return node
    return None


def _block(el: HtmlElement, page_url: str) -> Block:
    """The item's fields; a ``content`` attribute stands for an empty element's text
    (``<meta itemprop=headline content=…>``), and when the ``articleBody`` holds no text the
    item's own visible text is the body."""
    head = _prop(el, "headline")
    fields = element.read(el, page_url, headline_el=head)
    if head is not None and not fields.headline:
        headline = clean(head.get("content") or "")
        # the visible copy of a headline given as an attribute is not body text
        lines = [line for line in fields.text.split("\n") if line != headline]
        fields = replace(fields, headline=headline, text="\n".join(lines))
    text = _article_text(_prop(el, "articleBody"))
    if text:
        fields = replace(fields, text=text)
    return fields.block(_native_id(el), "microdata", pinned=_pinned(el))


def _article_text(article: HtmlElement | None) -> str:
    if article is None:
        return ""
    text = body.build(paragraphs(article, noise.is_noise_element)).text
    return text or body.from_text(html_to_text(article.get("content") or "")).text


def _pinned(el: HtmlElement) -> bool:
    label = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    return "pinned" in label
