"""A feed body's raw items as lxml reads them: which are looked at, which are parsed.

Everything here works on the raw XML, before feedparser: an item's identity (guid, Atom id,
RDF about, else link, else its content), a hash of its raw XML, its link, and the caps of one
poll (``Caps``): the window of items looked at (the first ``items`` in feed order, the newest
in nearly every feed) and the most new or changed ones parsed (``new``). What is over a cap is
counted, never silently dropped: ``Split.deferred`` items are left out of the recorded
hashes, so the next poll finds them changed again and parses them then. Items sharing an
identity are one item: the first in feed order wins, the others are ``duplicates``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urljoin

from lxml import etree

T = TypeVar("T")
_ITEM_NAMES = frozenset({"item", "entry"})
_URL_QUIRKS = frozenset("?#;")  # urljoin rewrites an empty query, fragment or params
_RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"


@dataclass(frozen=True, slots=True)
class Caps:
    """How much of one feed body a poll reads: items looked at, and new or changed items
    parsed (None: no cap). A feed item gives at most one alert, so ``new`` caps its alerts."""

    items: int | None = None
    new: int | None = None


NO_CAPS = Caps()


def window(items: list[T], most: int | None) -> tuple[list[T], int]:
    """The first ``most`` items (all for None), and how many were left out."""
    if most is None or len(items) <= most:
        return items, 0
    return items[:most], len(items) - most


class Split:
    """Which items of a feed body are parsed: new or changed, wanted, the first of their
    identity, and within the cap of new ones."""

    def __init__(self, skip: frozenset[str], keep: frozenset[str] | None, most: int | None):
        self.skip, self.keep, self.most = skip, keep, most
        self.hashes: set[str] = set()  # recorded as seen: every item not deferred
        self.keys: set[str] = set()  # parsed
        self.seen: set[str] = set()
        self.deferred = self.duplicates = 0

    def wanted(self, item: etree._Element, url: str) -> bool:
        digest, key = item_hash(item), item_key(item, url)
        if key in self.seen:
            self.duplicates += 1
            self.hashes.add(digest)
            return False
        self.seen.add(key)
        if digest in self.skip or (self.keep is not None and key not in self.keep):
            self.hashes.add(digest)
            return False
        if self.most is not None and len(self.keys) >= self.most:
            self.deferred += 1  # its hash is not recorded: the next poll finds it changed
            return False
        self.hashes.add(digest)
        self.keys.add(key)
        return True


def item_key(item: etree._Element, feed_url: str) -> str:
    """What identifies an item across versions of its feed, read from the raw XML: its guid
    or Atom id, else its link, else its whole content."""
    for child in item:
        if local_name(child) in ("guid", "id") and (child.text or "").strip():
            return "id:" + (child.text or "").strip()
    about = item.get(_RDF_ABOUT)
    if about:
        return "id:" + about
    link = item_link(item, feed_url)
    return "link:" + link if link else "raw:" + item_hash(item)


def feed_items(root: etree._Element) -> list[etree._Element]:
    """RSS ``channel/item``, Atom ``entry``, RDF ``item``, namespaced or not, in feed order."""
    found: list[etree._Element] = []
    for child in root:
        name = local_name(child)
        if name in _ITEM_NAMES:
            found.append(child)
        elif name == "channel":
            found.extend(c for c in child if local_name(c) == "item")
    return found


def item_link(item: etree._Element, feed_url: str) -> str:
    """An item's link read from its raw XML, so skipped items have one too."""
    link = ""
    for child in item:
        name = local_name(child)
        if name == "link":
            link = _link_value(child)
        elif name == "guid" and not link and child.get("isPermaLink", "true") != "false":
            text = (child.text or "").strip()
            link = text if text.startswith(("http://", "https://")) else ""
        if link:
            break
    link = link or item.get(_RDF_ABOUT, "")
    return absolute(link, feed_url)


def _link_value(element: etree._Element) -> str:
    href = element.get("href")
    if href is None:  # RSS and RDF: the link is the element's text
        return (element.text or "").strip()
    return href.strip() if element.get("rel", "alternate") == "alternate" else ""


def unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def detach(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def item_hash(item: etree._Element) -> str:
    raw = etree.tostring(item, with_tail=False)
    return hashlib.blake2b(raw, digest_size=10).hexdigest()


def absolute(link: str, feed_url: str) -> str:
    """A relative item link made absolute against the feed's own http(s) URL."""
    if not link or not feed_url.startswith(("http://", "https://")):
        return link
    if link.startswith(("http://", "https://")) and not _URL_QUIRKS.intersection(link):
        return link  # already absolute: urljoin would return it as it is, in 10 µs
    return urljoin(feed_url, link)


def local_name(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # comments and processing instructions
        return ""
    return tag.rpartition("}")[2].lower()  # "{namespace}name": a QName object costs 3x more
