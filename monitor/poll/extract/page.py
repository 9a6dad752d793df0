"""Page-level facts: canonical URL, title and publication time."""

from __future__ import annotations

from urllib.parse import urljoin

from lxml.html import HtmlElement

from monitor.poll.extract.dates import iso
from monitor.poll.extract.tree import clean


def _first(root: HtmlElement, path: str) -> str:
    for value in root.xpath(path):
        text = clean(str(value))
        if text:
            return text
    return ""


def canonical(root: HtmlElement, url: str) -> str | None:
    """The URL the page declares as canonical, made absolute."""
    href = _first(root, "//link[contains(concat(' ', @rel, ' '), ' canonical ')]/@href")
    return urljoin(url, href) if href else None


def title(root: HtmlElement, fallback: str | None) -> str:
    """og:title, then the JSON-LD headline, then <title>, then the first h1."""
    return (
        _first(root, "//meta[@property='og:title']/@content")
        or fallback
        or _first(root, "//title//text()")
        or _first(root, "//h1//text()")
    )


def published(root: HtmlElement, fallback: str | None) -> str | None:
    """The JSON-LD datePublished, else the article:published_time meta tag."""
    if fallback:
        return fallback
    return iso(_first(root, "//meta[@property='article:published_time']/@content"))
