"""Decoding page bytes, parsing HTML, and reading an element as a list of paragraphs.

A paragraph knows how much of it is link text, whether it was a heading or a list item, and
the machine-readable time of a ``<time datetime>`` marker, which is all the block builders
need; the tree itself is never modified, so every extractor reads the same tree.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlElement

from monitor.errors import ParseError
from monitor.poll.extract.dates import iso
from monitor.text import normalize

Skip = Callable[[HtmlElement], bool]

_BINARY_MAGIC = (
    *(b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"BZh"),
    *(b"\x7fELF", b"\xfd7zXZ", b"RIFF", b"OggS", b"\x00\x00\x01\x00"),
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""")
_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
# WHATWG: these labels mean windows-1252 on the web.
_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252"}
_BLOCK_TAGS = frozenset(
    {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
    | {"tr", "table", "section", "article", "header", "footer", "figure", "figcaption", "br"}
    | {"hr", "dd", "dt", "dl", "aside", "main", "amp-live-list", "td", "th", "body", "html"}
)
_HTML_TAG = re.compile(r"<(?:[a-zA-Z][\w:-]*[\s/>]|!doctype|!--)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode(body: bytes, content_type: str | None) -> str:
    """Bytes to text: BOM, then the declared charset, then UTF-8 with replacement characters."""
    if body.startswith(_BINARY_MAGIC):
        raise ParseError("page body is binary data, not text")
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    if b"\x00" in body[:4096]:
        raise ParseError("page body holds NUL bytes: not text")
    charset = _declared_charset(body, content_type)
    if charset:
        text = body.decode(charset, errors="replace")
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = body.decode("utf-8", errors="replace")
    if _garbage_share(text) > 0.3:
        raise ParseError("page body is not text in any known encoding")
    return text


def _declared_charset(body: bytes, content_type: str | None) -> str | None:
    found: str | None = None
    ct_match = _CT_CHARSET.search(content_type or "")
    if ct_match:
        found = ct_match.group(1)
    else:
        meta = _META_CHARSET.search(body[:4096]) or _XML_ENCODING.search(body[:200])
        found = meta.group(1).decode("ascii", "replace") if meta else None
    if not found:
        return None
    name = _ALIASES.get(found.lower(), found)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _garbage_share(text: str) -> float:
    sample = text[:4096]
    if not sample:
        return 0.0
    bad = sum(1 for ch in sample if ch == "\ufffd" or (ch < " " and ch not in "\t\n\r\f"))
    return bad / len(sample)


def looks_like_html(text: str) -> bool:
    """Whether a body holds HTML tags at all."""
    return bool(_HTML_TAG.search(text))


def parse_html(text: str) -> HtmlElement | None:
    """The document tree, or None for a document with nothing in it."""
    data = _CONTROL.sub("", text).encode("utf-8", "replace")
    if not data.strip():
        return None
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml_html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError):
        return None
    return root if isinstance(root, HtmlElement) else None


def tag_of(el: object) -> str:
    """The lower-case tag name, or "" for comments and other non-elements."""
    tag = getattr(el, "tag", None)
    return tag.lower() if isinstance(tag, str) else ""


def clean(text: str) -> str:
    """One line of normalised text."""
    return normalize(unicodedata.normalize("NFC", text).replace("\n", " "))


@dataclass(frozen=True, slots=True)
class Para:
    """One paragraph of an element, in document order."""

    text: str
    links: float = 0.0  # share of the characters that sit inside links
    heading: bool = False
    item: bool = False  # a list item
    time: str | None = None  # set on the marker of a <time datetime>, whose text is empty


@dataclass(slots=True)
class _Collector:
    paras: list[Para] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    link_chars: int = 0
    item: bool = False

    def add(self, text: str, in_link: bool) -> None:
        self.parts.append(text)
        if in_link:
            self.link_chars += len(text.strip())

    def flush(self) -> None:
        text = clean("".join(self.parts))
        if text:
            share = min(1.0, self.link_chars / max(1, len(text)))
            self.paras.append(Para(text, links=share, item=self.item))
        self.parts, self.link_chars = [], 0


def paragraphs(root: HtmlElement, skip: Skip, headings: frozenset[str] = frozenset()) -> list[Para]:
    """The paragraphs of ``root``, leaving out skipped elements; ``headings`` tags become
    heading paragraphs, ``<time datetime>`` elements become time markers."""
    collector = _Collector()
    _walk(root, collector, False, skip, headings)
    collector.flush()
    return collector.paras


def _walk(
    el: HtmlElement, out: _Collector, in_link: bool, skip: Skip, heads: frozenset[str]
) -> None:
    tag = tag_of(el)
    if tag == "time" and el.get("datetime"):
        out.flush()
        out.paras.append(Para("", time=iso(el.get("datetime"))))
        return
    if not tag or skip(el):
        return
    if tag in heads:
        out.flush()
        text = clean(" ".join(p.text for p in paragraphs(el, skip)))
        if text:
            out.paras.append(Para(text, heading=True))
        return
    _walk_children(el, tag, out, in_link or tag == "a", skip, heads)


def _walk_children(
    el: HtmlElement, tag: str, out: _Collector, link: bool, skip: Skip, heads: frozenset[str]
) -> None:
    block = tag in _BLOCK_TAGS
    was_item = out.item
    if block:
        out.flush()
        out.item = was_item or tag == "li"
    if el.text:
        out.add(el.text, link)
    for child in el:
        _walk(child, out, link, skip, heads)
        if child.tail:
            out.add(child.tail, link)
    if block:
        out.flush()
        out.item = was_item


def text_of(el: HtmlElement, skip: Skip) -> str:
    """All the text of an element on one line."""
    return clean(" ".join(p.text for p in paragraphs(el, skip) if p.text))


def inside(node: HtmlElement, stop: HtmlElement, pred: Skip) -> bool:
    """Whether ``node`` or an ancestor below ``stop`` satisfies ``pred``."""
    current: HtmlElement | None = node
    while current is not None and current is not stop:
        if pred(current):
            return True
        current = current.getparent()
    return False
