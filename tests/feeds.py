"""Small RSS and live-blog page builders for tests (our own text, not copied from sites)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape

Item = tuple[str, str, str]  # guid, title, body


def rss(
    items: Sequence[Item],
    title: str = "Test World News",
    base: str = "https://news.example.test/",
    language: str | None = None,
) -> str:
    """An RSS 2.0 feed with content:encoded bodies, newest item first, in the ``language``
    its channel declares, if given."""
    declared = f"<language>{escape(language)}</language>" if language else ""
    entries = "".join(
        f"<item><guid isPermaLink='false'>{escape(guid)}</guid><title>{escape(t)}</title>"
        f"<link>{escape(base)}{escape(guid)}</link>"
        f"<pubDate>Tue, 15 Feb 2022 {10 + sum(map(ord, guid)) % 12}:00:00 GMT</pubDate>"
        f"<content:encoded><![CDATA[<p>{body}</p>]]></content:encoded></item>"
        for guid, t, body in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{escape(title)}</title><link>https://news.example.test/</link>"
        f"<description>Test feed</description>{declared}{entries}</channel></rss>"
    )


Update = tuple[str, str, str, str]  # id, iso time, headline, body


def liveblog(
    updates: Sequence[Update], title: str = "Live: Ukraine crisis", lang: str | None = None
) -> str:
    """A live-blog page with LiveBlogPosting JSON-LD and matching article markup, declaring
    ``<html lang>`` when given."""
    url = "https://news.example.test/live/ukraine"
    ld = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "@id": url,
        "url": url,
        "headline": title,
        "liveBlogUpdate": [
            {
                "@type": "BlogPosting",
                "@id": f"{url}#block-{uid}",
                "url": f"{url}#block-{uid}",
                "headline": head,
                "datePublished": when,
                "articleBody": body,
            }
            for uid, when, head, body in updates
        ],
    }
    attr = f' lang="{escape(lang)}"' if lang else ""
    articles = "".join(
        f'<article id="block-{uid}" class="block"><h2>{escape(head)}</h2>'
        f'<time datetime="{when}">{when[11:16]}</time><p>{escape(body)}</p></article>'
        for uid, when, head, body in updates
    )
    return (
        f"<!doctype html><html{attr}><head><title>{escape(title)}</title>"
        f'<script type="application/ld+json">{json.dumps(ld)}</script></head>'
        f"<body><main><h1>{escape(title)}</h1>{articles}</main></body></html>"
    )
